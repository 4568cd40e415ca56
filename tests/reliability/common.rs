//! What every scenario shares: the mode (short or long), the results table,
//! and the real `tradepact` binary started and stopped as a process.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tonic::transport::Channel;
use tradepact::grpc::google_type::Date;
use tradepact::grpc::pb;
use tradepact::grpc::pb::refresh_service_client::RefreshServiceClient;

/// How hard to try: CI runs short, `reliability/run --long` runs long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Short,
    Long,
}

pub fn mode() -> Mode {
    match std::env::var("RELIABILITY_MODE").as_deref() {
        Ok("long") => Mode::Long,
        _ => Mode::Short,
    }
}

/// `short` in short mode, `long` in long mode.
pub fn pick<T>(short: T, long: T) -> T {
    match mode() {
        Mode::Short => short,
        Mode::Long => long,
    }
}

/// One row of the results table.
pub struct Outcome<'a> {
    pub scenario: &'a str,
    pub trials: u64,
    pub failures: u64,
    /// Must be 0: rows, runs or answers that went missing or came back wrong.
    pub data_lost: u64,
    /// Free text: the scenario's measurements ("p99 3.1 ms, RSS +2%").
    pub figures: String,
}

/// Appends the row to `$RELIABILITY_RESULTS` (tab-separated) when set, and
/// prints it; `reliability/run` turns the file into the table.
pub fn record(outcome: &Outcome<'_>) {
    let line = format!(
        "{}\t{}\t{}\t{}\t{}",
        outcome.scenario,
        outcome.trials,
        outcome.failures,
        outcome.data_lost,
        outcome.figures.replace(['\t', '\n'], " ")
    );
    println!("RESULT {line}");
    if let Ok(path) = std::env::var("RELIABILITY_RESULTS") {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("cannot open {path}: {e}"));
        writeln!(file, "{line}").unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
    }
}

/// The binary cargo built for this test run.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tradepact"))
}

/// [`binary`] as a child process that reads none of the caller's
/// `TRADEPACT_*` variables (a scenario passes what it needs), with stdin
/// closed and warnings-only logging.
pub fn command() -> Command {
    let mut command = Command::new(binary());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("TRADEPACT_") {
            command.env_remove(name);
        }
    }
    // The allocator setting the container image ships with (Dockerfile):
    // the scenarios measure the server as it is deployed.
    command
        .stdin(Stdio::null())
        .env("TRADEPACT_LOG", "warn")
        .env("MALLOC_ARENA_MAX", "2");
    command
}

/// A running `tradepact serve` process.
pub struct Server {
    pub child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    pub log: PathBuf,
}

/// Starts `tradepact serve` on `db` with extra `args` (the worker is off
/// unless `args` turn it on) and waits, bounded, until it is ready.
pub fn start(dir: &Path, db: &Path, args: &[&str]) -> Server {
    let ready = dir.join("ready");
    let _ = std::fs::remove_file(&ready);
    let log = dir.join(format!("server-{}.log", std::process::id()));
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .expect("log file");
    // The worker is off unless `args` say otherwise (clap takes a flag once).
    let worker_off: &[&str] = if args.contains(&"--refresh") {
        &[]
    } else {
        &["--refresh", "false"]
    };
    let child = command()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "off",
        ])
        .args(worker_off)
        .arg("--db")
        .arg(db)
        .arg("--ready-file")
        .arg(&ready)
        .args(args)
        .stdout(log_file.try_clone().expect("log file"))
        .stderr(log_file)
        .spawn()
        .expect("the binary starts");
    let mut server = Server {
        child,
        addr: String::new(),
        log,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(text) = std::fs::read_to_string(&ready)
            && !text.trim().is_empty()
        {
            server.addr = text.trim().to_owned();
            return server;
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!(
                "the server exited with {status} before it was ready:\n{}",
                server.log_text()
            );
        }
        assert!(
            Instant::now() < deadline,
            "the server was not ready in 30 s:\n{}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

impl Server {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, and reap.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then wait at most `limit` for the exit status.
    pub fn terminate(mut self, limit: Duration) -> Option<ExitStatus> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Resident set size in KiB, from /proc.
    pub fn rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .unwrap_or(0)
    }

    /// Open file descriptors, from /proc.
    pub fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .map(|d| d.count())
            .unwrap_or(0)
    }
}

/// A digest of the data a database serves, ignoring bookkeeping (runs,
/// changes), so "exactly the old or exactly the new dataset" can be checked.
pub fn content_hash(db: &Path) -> String {
    use sha2::{Digest, Sha256};
    let connection =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("the database opens");
    let mut hasher = Sha256::new();
    for table in [
        "agreements",
        "agreement_events",
        "trade_figures",
        "partner_flows",
        "product_flows",
        "indicator_values",
        "quoted_ranks",
        "quoted_products",
    ] {
        let mut statement = connection
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2, 3"))
            .expect("prepares");
        let columns = statement.column_count();
        let mut rows = statement.query([]).expect("queries");
        while let Some(row) = rows.next().expect("reads") {
            for index in 0..columns {
                let value: rusqlite::types::Value = row.get(index).expect("a value");
                hasher.update(format!("{value:?}|").as_bytes());
            }
            hasher.update(b"\n");
        }
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `PRAGMA integrity_check` of a database file.
pub fn integrity(db: &Path) -> String {
    rusqlite::Connection::open(db)
        .and_then(|c| c.query_row("PRAGMA integrity_check", [], |row| row.get(0)))
        .unwrap_or_else(|e| format!("cannot check: {e}"))
}

/// Whether `pid` holds SQLite's WAL write lock (byte 120 of the `-shm` file
/// whose inode is `shm_inode`) right now, from `/proc/locks`.
pub fn holds_wal_write_lock(pid: u32, shm_inode: u64) -> bool {
    let needle = format!(":{shm_inode} 120 120");
    let owner = format!(" {pid} ");
    std::fs::read_to_string("/proc/locks").is_ok_and(|locks| {
        locks.lines().any(|line| {
            line.contains("POSIX")
                && line.contains(" WRITE ")
                && line.contains(&owner)
                && line.ends_with(&needle)
        })
    })
}

/// A `google.type.Date` as "YYYY-MM-DD" (how the upstreams name vintages).
pub fn date_text(date: &Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year, date.month, date.day)
}

/// [`date_text`] of each date.
pub fn dates_text(dates: &[Date]) -> Vec<String> {
    dates.iter().map(date_text).collect()
}

/// How often [`follow_run`] asks for a run.
pub const FOLLOW_EVERY: Duration = Duration::from_millis(50);

/// Follows a run that TriggerRefresh started (it answers at once with the
/// run RUNNING) by asking GetRefreshRun for it every `every` until it is no
/// longer RUNNING, and returns it then. A run TriggerRefresh answered as
/// already finished (SKIPPED, SKIPPED_OVERLAP) comes back as it is. A call
/// the server sheds (RESOURCE_EXHAUSTED) is asked again; any other error
/// ends the following with that status (the server stopped or went away),
/// and a run still RUNNING after `limit` with DEADLINE_EXCEEDED.
pub async fn follow_run(
    channel: Channel,
    run: pb::RefreshRun,
    every: Duration,
    limit: Duration,
) -> Result<pb::RefreshRun, tonic::Status> {
    let deadline = Instant::now() + limit;
    let mut client = RefreshServiceClient::new(channel);
    let mut current = run;
    while current.state == pb::RunState::Running as i32 {
        if Instant::now() >= deadline {
            return Err(tonic::Status::deadline_exceeded(format!(
                "run {} still RUNNING {limit:?} after it was triggered (client side): {current:?}",
                current.id
            )));
        }
        tokio::time::sleep(every).await;
        match client
            .get_refresh_run(pb::GetRefreshRunRequest { id: current.id })
            .await
        {
            Ok(answer) => {
                let answer = answer.into_inner();
                if answer.id != current.id {
                    return Err(tonic::Status::internal(format!(
                        "GetRefreshRun {} answered run {} (client side check)",
                        current.id, answer.id
                    )));
                }
                current = answer;
            }
            Err(status) if status.code() == tonic::Code::ResourceExhausted => {}
            Err(status) => return Err(status),
        }
    }
    Ok(current)
}
