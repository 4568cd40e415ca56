//! Litestream as a supervised child process: started with the arguments of
//! the role, its log lines passed on to ours, started again (with backoff)
//! whenever it ends, and stopped with SIGTERM on shutdown, which makes
//! `litestream replicate` sync one last time before it exits.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;

use super::Replication;

/// Backoff between starts: from the first to the longest.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// Short: a reader started before the writer's first snapshot waits for it
/// this way, and a replica away for a while is found again soon after.
const LONGEST_BACKOFF: Duration = Duration::from_secs(5);
/// A child that ran this long before ending starts again without waiting.
const HEALTHY_RUN: Duration = Duration::from_secs(60);
/// How long Litestream may take to stop after SIGTERM (a last sync to
/// object storage) before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum ChildError {
    #[error(
        "cannot run Litestream ({program}): {source}; install it (the image ships it) or give its path with --litestream"
    )]
    NotRunnable {
        program: PathBuf,
        source: std::io::Error,
    },
    #[error("Litestream ({program}) does not work: `version` exited with {status}")]
    Broken { program: PathBuf, status: String },
}

/// Checks that `program` runs (`litestream version`), and returns the
/// version it prints: a writer or reader without a working Litestream
/// refuses to start rather than serve unreplicated.
pub async fn check(program: &Path) -> Result<String, ChildError> {
    let output = Command::new(program)
        .arg("version")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(10), output)
        .await
        .map_err(|_| ChildError::Broken {
            program: program.to_path_buf(),
            status: "no answer in 10 s".into(),
        })?
        .map_err(|source| ChildError::NotRunnable {
            program: program.to_path_buf(),
            source,
        })?;
    if !output.status.success() {
        return Err(ChildError::Broken {
            program: program.to_path_buf(),
            status: output.status.to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// What to prepare before a start: `None` before the first, else the
/// ended child's last lines, to repair what made it end.
pub type BeforeStart = Box<dyn Fn(Option<&[String]>) + Send + Sync>;

/// One Litestream command, kept running.
pub struct Supervised {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    /// Where the running child's process id is kept. A process killed with
    /// SIGKILL cannot stop its child, which goes on replicating (or writing
    /// the copy); the next start finds it here and stops it first, so two
    /// never work on one database.
    pub pidfile: PathBuf,
    pub before_start: BeforeStart,
}

impl Supervised {
    /// Runs the command until `stop`, starting it again whenever it ends.
    pub async fn run(self, replication: Arc<Replication>, stop: CancellationToken) {
        stop_orphan(&self.pidfile, &self.program).await;
        (self.before_start)(None);
        let mut backoff = FIRST_BACKOFF;
        let mut first = true;
        while !stop.is_cancelled() {
            let started = Instant::now();
            let lines = match self.start() {
                Ok(child) => {
                    if let Some(pid) = child.id()
                        && let Err(error) = std::fs::write(&self.pidfile, format!("{pid}\n"))
                    {
                        tracing::warn!(pidfile = %self.pidfile.display(), %error, "cannot record Litestream's process id");
                    }
                    replication.update(|p| {
                        p.child_running = true;
                        if !first {
                            p.child_restarts += 1;
                        }
                    });
                    let lines = watch(child, &stop).await;
                    replication.update(|p| p.child_running = false);
                    lines
                }
                Err(error) => {
                    tracing::error!(program = %self.program.display(), %error, "cannot start Litestream");
                    Vec::new()
                }
            };
            first = false;
            if stop.is_cancelled() {
                return;
            }
            if started.elapsed() >= HEALTHY_RUN {
                backoff = FIRST_BACKOFF;
            }
            tokio::select! {
                () = tokio::time::sleep(backoff) => {}
                () = stop.cancelled() => return,
            }
            backoff = (backoff * 2).min(LONGEST_BACKOFF);
            (self.before_start)(Some(&lines));
        }
        let _ = std::fs::remove_file(&self.pidfile);
    }

    fn start(&self) -> std::io::Result<Child> {
        tracing::info!(
            program = %self.program.display(),
            args = ?self.args,
            "starting Litestream"
        );
        Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
    }
}

/// What `litestream restore` says when the replica holds no backup yet.
const NOTHING_TO_RESTORE: &str = "no matching backup files";

/// How many of the child's last lines are kept for `before_restart`.
const KEPT_LINES: usize = 20;

/// Passes the child's lines on until it ends or `stop` fires (then stops
/// it); returns its last lines.
async fn watch(mut child: Child, stop: &CancellationToken) -> Vec<String> {
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<String>(64);
    if let Some(out) = child.stdout.take() {
        tokio::spawn(forward(BufReader::new(out), sender.clone()));
    }
    if let Some(err) = child.stderr.take() {
        tokio::spawn(forward(BufReader::new(err), sender));
    }
    let mut last = std::collections::VecDeque::with_capacity(KEPT_LINES);
    let mut keep = |line: String| {
        log_line(&line);
        if last.len() == KEPT_LINES {
            last.pop_front();
        }
        last.push_back(line);
    };
    let ended = loop {
        tokio::select! {
            Some(line) = receiver.recv() => keep(line),
            status = child.wait() => break Some(status),
            () = stop.cancelled() => break None,
        }
    };
    match ended {
        Some(status) => {
            while let Ok(line) = receiver.try_recv() {
                keep(line);
            }
            let said = last.back().map_or("", String::as_str);
            match status {
                // A reader started before the writer's first snapshot: the
                // normal wait of a new deployment, not a fault.
                Ok(status) if said.contains(NOTHING_TO_RESTORE) => {
                    tracing::info!(%status, "no backup on the replica yet (the writer has not shipped its first snapshot); asking again");
                }
                Ok(status) => {
                    tracing::warn!(%status, last_line = said, "Litestream ended; starting it again");
                }
                Err(error) => tracing::warn!(%error, "Litestream could not be waited for"),
            }
        }
        None => terminate(&mut child).await,
    }
    last.into()
}

/// Stops the Litestream child a killed predecessor left running, if the
/// process the pidfile names is still that (its command line names the
/// program and this pidfile's database), and removes the pidfile.
async fn stop_orphan(pidfile: &Path, program: &Path) {
    let Some(pid) = std::fs::read_to_string(pidfile)
        .ok()
        .and_then(|text| text.trim().parse::<i32>().ok())
        .filter(|pid| *pid > 1)
    else {
        return;
    };
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
    let program_name = program
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let db = pidfile
        .to_string_lossy()
        .trim_end_matches(PIDFILE_SUFFIX)
        .to_owned();
    if !program_name.is_empty() && cmdline.contains(&program_name) && cmdline.contains(&db) {
        tracing::warn!(
            pid,
            "a previous process's Litestream is still running; stopping it"
        );
        if let Some(pid) = rustix::process::Pid::from_raw(pid) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
            let deadline = Instant::now() + STOP_GRACE;
            while Instant::now() < deadline
                && Path::new(&format!("/proc/{}", pid.as_raw_nonzero())).exists()
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        }
    }
    let _ = std::fs::remove_file(pidfile);
}

/// The pidfile of the Litestream child working on `db`.
pub fn pidfile(db: &Path) -> PathBuf {
    super::beside(db, PIDFILE_SUFFIX)
}

const PIDFILE_SUFFIX: &str = "-litestream.pid";

/// SIGTERM, then SIGKILL if it has not ended within [`STOP_GRACE`].
async fn terminate(child: &mut Child) {
    let pid = child
        .id()
        .and_then(|id| rustix::process::Pid::from_raw(id as i32));
    if let Some(pid) = pid
        && rustix::process::kill_process(pid, rustix::process::Signal::TERM).is_ok()
        && let Ok(status) = tokio::time::timeout(STOP_GRACE, child.wait()).await
    {
        tracing::info!(status = ?status.ok(), "Litestream stopped");
        return;
    }
    tracing::warn!("Litestream did not stop on SIGTERM; killing it");
    let _ = child.kill().await;
}

async fn forward<R: tokio::io::AsyncRead + Unpin>(
    reader: BufReader<R>,
    sender: tokio::sync::mpsc::Sender<String>,
) {
    let mut lines = reader.lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if sender.send(line).await.is_err() {
            return;
        }
    }
}

/// Litestream's own level decides ours: its errors are our warnings (it
/// retries them itself), the rest is information, but for the line a
/// follower writes for every change it applies (every heartbeat).
fn log_line(line: &str) {
    if line.contains("level=ERROR") || line.contains("\"level\":\"ERROR\"") {
        tracing::warn!(target: "litestream", "{line}");
    } else if line.contains("follow: applied updates") {
        tracing::debug!(target: "litestream", "{line}");
    } else {
        tracing::info!(target: "litestream", "{line}");
    }
}
