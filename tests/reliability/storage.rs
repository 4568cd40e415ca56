//! Storage faults: the disk filling up during a refresh, a read-only
//! database at start, a corrupt database at start, and a database written
//! by a newer schema. The service must never lose or rewrite user data to
//! get past a fault: it keeps serving the old data, or refuses to start with
//! one clear line and a non-zero exit, leaving the file byte for byte as it
//! was.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tradepact::grpc::pb;

use crate::common::{self, Outcome, dates_text, record};
use crate::crash::{
    BigWorldBank, PROBE_ECONOMY, WAIT, channel, copy_db, indicator_codes, indicator_series,
    korea_cambodia, prepared_db, release, runs, start_blocking, state_name, trigger_to_end,
};

/// The uid and gid an unprivileged server runs as when the suite runs as
/// root (root ignores file modes, so a read-only file would not be).
const NOBODY: u32 = 65534;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every file in `dir` with the digest of its bytes.
fn files(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.path().is_file())
                .map(|e| {
                    let bytes = std::fs::read(e.path()).unwrap_or_default();
                    (e.file_name().to_string_lossy().into_owned(), sha256(&bytes))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What changed between two [`files`] listings, in words; empty if nothing.
fn differences(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Vec<String> {
    let mut changes = Vec::new();
    for (name, digest) in before {
        match after.get(name) {
            None => changes.push(format!("{name} was deleted")),
            Some(now) if now != digest => changes.push(format!("{name} was modified")),
            Some(_) => {}
        }
    }
    for name in after.keys().filter(|name| !before.contains_key(*name)) {
        changes.push(format!("{name} was created"));
    }
    changes
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// How one start of the binary ended.
struct Attempt {
    /// `None`: it was still running after the limit (and was killed).
    status: Option<ExitStatus>,
    /// It became ready (wrote its address): it served.
    served: bool,
    output: String,
}

impl Attempt {
    fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }

    fn error_lines(&self) -> Vec<&str> {
        self.output
            .lines()
            .filter(|line| line.contains("ERROR") || line.starts_with("tradepact:"))
            .collect()
    }

    /// The problems with a refusal to start: it must not serve, must exit
    /// non-zero (`code` when given) and say why in one line naming `db`.
    fn refusal_problems(&self, db: &Path, code: Option<i32>) -> Vec<String> {
        let mut problems = Vec::new();
        if self.served {
            problems.push("it started serving instead of refusing".to_owned());
        }
        match (self.code(), code) {
            (None, _) => problems.push(format!("no exit code ({:?})", self.status)),
            (Some(0), _) => problems.push("exit code 0".to_owned()),
            (Some(found), Some(wanted)) if found != wanted => {
                problems.push(format!("exit code {found}, expected {wanted}"));
            }
            _ => {}
        }
        let errors = self.error_lines();
        if errors.len() != 1 {
            problems.push(format!(
                "{} error lines, expected one: {:?}",
                errors.len(),
                errors
            ));
        } else if !errors[0].contains(&db.display().to_string()) {
            problems.push(format!(
                "the error does not name {}: {}",
                db.display(),
                errors[0]
            ));
        }
        if self.output.contains("panicked") {
            problems.push("the binary panicked".to_owned());
        }
        problems
    }
}

/// Starts `tradepact serve` on `db` (as `uid` when given) and waits at most
/// `limit` for it to exit. If it becomes ready instead, it is stopped with
/// SIGTERM and reported as having served. Logs and the ready file go to
/// `aux`, never next to the database.
fn attempt(db: &Path, aux: &Path, uid: Option<u32>, limit: Duration) -> Attempt {
    std::fs::create_dir_all(aux).expect("aux dir");
    std::fs::set_permissions(aux, std::fs::Permissions::from_mode(0o777)).expect("chmod aux");
    let ready = aux.join("ready");
    let _ = std::fs::remove_file(&ready);
    let log = aux.join("attempt.log");
    let _ = std::fs::remove_file(&log);
    let out = std::fs::File::create(&log).expect("log file");
    let mut command = common::command();
    command
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "off",
            "--refresh",
            "false",
        ])
        .arg("--db")
        .arg(db)
        .arg("--ready-file")
        .arg(&ready)
        .stdout(out.try_clone().expect("log file"))
        .stderr(out);
    if let Some(uid) = uid {
        command.uid(uid).gid(uid);
    }
    let mut child = command.spawn().expect("the binary starts");
    let deadline = Instant::now() + limit;
    let mut served = false;
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break Some(status);
        }
        if !served && std::fs::read_to_string(&ready).is_ok_and(|t| !t.trim().is_empty()) {
            served = true;
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Attempt {
        status,
        served,
        output: std::fs::read_to_string(&log).unwrap_or_default(),
    }
}

/// A database with the built-in dataset, made by the binary and stopped
/// cleanly (one checkpointed file).
fn builtin_db(dir: &Path) -> PathBuf {
    let db = dir.join("builtin.db");
    let server = common::start(dir, &db, &[]);
    let log = server.log.clone();
    let status = server.terminate(WAIT);
    assert!(
        status.is_some_and(|s| s.success()),
        "the preparing server did not stop cleanly: {status:?}\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
    db
}

/// A mount point unmounted when dropped (lazily if it is still busy).
struct Mount(PathBuf);

impl Mount {
    /// `mount args… target`; the error text when it is not permitted.
    fn new(args: &[&str], target: &Path) -> Result<Self, String> {
        let output = Command::new("mount")
            .args(args)
            .arg(target)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if output.status.success() {
            Ok(Self(target.to_path_buf()))
        } else {
            Err(format!(
                "mount {} {}: {}",
                args.join(" "),
                target.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    }

    /// Remounts it (`remount,ro,bind`…).
    fn remount(&self, options: &str) -> Result<(), String> {
        let output = Command::new("mount")
            .args(["-o", options])
            .arg(&self.0)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "mount -o {options}: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let unmounted = Command::new("umount")
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        if !unmounted {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

/// Free bytes on the file system holding `path`, from `df`.
fn free_bytes(path: &Path) -> u64 {
    let output = Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(path)
        .output()
        .expect("df runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .nth(1)
        .and_then(|line| line.trim().parse().ok())
        .unwrap_or(0)
}

/// Fills the file system holding `dir` until at most `leave` bytes are free.
fn fill(dir: &Path, leave: u64) -> PathBuf {
    use std::io::Write;
    let filler = dir.join("filler");
    let mut file = std::fs::File::create(&filler).expect("filler");
    let block = vec![0xA5u8; 1 << 20];
    // Bounded: each round writes at least one 4 KiB page or stops.
    for _ in 0..100_000 {
        let free = free_bytes(dir);
        if free <= leave {
            break;
        }
        let want = (free - leave).clamp(4096, 1 << 20) as usize;
        if file
            .write_all(&block[..want])
            .and_then(|()| file.flush())
            .is_err()
        {
            break;
        }
    }
    filler
}

// ---------------------------------------------------------------------------
// (a) The disk fills up during a refresh
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "reliability suite: run with reliability/run"]
async fn storage_disk_full_during_a_refresh_fails_the_run_and_keeps_the_old_data() {
    const SCENARIO: &str = "storage (a): disk full during refresh";
    let started = Instant::now();
    let indicators = indicator_codes(2);
    let old = release(&indicators, "2025-01-28", 1);
    let new = release(&indicators, "2025-07-01", 2);
    let (old_vintage, new_vintage) = (old.vintage.clone(), new.vintage.clone());
    let mock = BigWorldBank::start(indicators.clone(), vec![old, new]).await;
    let work = tempfile::tempdir().expect("temp dir");
    let (template, _) = prepared_db(work.path(), &mock, 0).await;
    let old_hash = common::content_hash(&template);
    let db_size = std::fs::metadata(&template).expect("template").len();

    // A tmpfs with room for the database and the new release's WAL; a
    // filler file then takes all but a little of it.
    let size_kib = db_size / 1024 + 16 * 1024;
    let disk = work.path().join("disk");
    std::fs::create_dir(&disk).expect("dir");
    let mount = match Mount::new(
        &["-t", "tmpfs", "-o", &format!("size={size_kib}k"), "tmpfs"],
        &disk,
    ) {
        Ok(mount) => mount,
        Err(reason) => {
            record(&Outcome {
                scenario: SCENARIO,
                trials: 1,
                failures: 1,
                data_lost: 0,
                figures: format!("not run: a tmpfs could not be mounted ({reason})"),
            });
            println!("storage (a): skipped: {reason}");
            return;
        }
    };
    let db = disk.join("tradepact.db");
    copy_db(&template, &db);
    let aux = work.path().join("aux");
    std::fs::create_dir(&aux).expect("dir");
    mock.serve(1);
    let mut server = start_blocking(&aux, &db, &mock.args());
    let channel = channel(&server).await;
    // Leave far less than the new release needs (its WAL alone is MBs).
    let leave = 192 * 1024;
    let filler = fill(&disk, leave);
    let free_before = free_bytes(&disk);

    let mut problems: Vec<String> = Vec::new();
    let mut lost = 0u64;
    let run = trigger_to_end(channel.clone(), "worldbank").await;
    let reason = match &run {
        Ok(run) if run.state == pb::RunState::Failed as i32 => {
            let error = run.error.to_lowercase();
            if !(error.contains("full") || error.contains("space")) {
                problems.push(format!(
                    "the run FAILED without a disk-full reason: {}",
                    run.error
                ));
            }
            run.error.clone()
        }
        Ok(run) => {
            problems.push(format!(
                "the run should be FAILED: {} {run:?}",
                state_name(run.state)
            ));
            run.error.clone()
        }
        Err(status) => {
            problems.push(format!(
                "TriggerRefresh (or GetRefreshRun following the run) failed instead of recording a FAILED run: {status:?}"
            ));
            status.message().to_owned()
        }
    };
    // The process is still there, serves the old data, and recorded the run.
    if server.exited() {
        problems.push("the process exited".to_owned());
    }
    match runs(channel.clone(), "worldbank").await {
        Ok(list) => {
            if list
                .first()
                .is_none_or(|r| r.state != pb::RunState::Failed as i32)
            {
                problems.push(format!(
                    "the newest run is not FAILED: {:?}",
                    list.first().map(|r| (state_name(r.state), r.error.clone()))
                ));
            }
        }
        Err(status) => problems.push(format!("ListRefreshRuns: {status:?}")),
    }
    if let Err(status) = korea_cambodia(channel.clone()).await {
        problems.push(format!("GetBilateralTrade with the disk full: {status:?}"));
    }
    match indicator_series(channel.clone(), PROBE_ECONOMY, &indicators[0]).await {
        Ok(series) if dates_text(&series.vintages) == [old_vintage.clone()] => {}
        Ok(series) => {
            problems.push(format!(
                "served vintages {:?}, expected the old {old_vintage}",
                dates_text(&series.vintages)
            ));
            lost += 1;
        }
        Err(status) => problems.push(format!("GetIndicatorSeries with the disk full: {status:?}")),
    }
    let integrity = common::integrity(&db);
    if integrity != "ok" {
        problems.push(format!("integrity_check with the disk full: {integrity}"));
        lost += 1;
    }
    if common::content_hash(&db) != old_hash {
        problems.push("the file no longer holds the old dataset".to_owned());
        lost += 1;
    }

    // Space comes back: the next run succeeds.
    let _ = std::fs::remove_file(&filler);
    match trigger_to_end(channel.clone(), "worldbank").await {
        Ok(run) if run.state == pb::RunState::Succeeded as i32 => {
            match indicator_series(channel.clone(), PROBE_ECONOMY, &indicators[0]).await {
                Ok(series) if dates_text(&series.vintages) == [new_vintage.clone()] => {}
                other => problems.push(format!("after recovery: {other:?}")),
            }
        }
        other => problems.push(format!(
            "once space was back the run should succeed: {other:?}"
        )),
    }
    let log = server.log.clone();
    let (status, _) = server.terminate(WAIT);
    if !status.is_some_and(|s| s.success()) {
        problems.push(format!("the server did not stop cleanly: {status:?}"));
    }
    let integrity = common::integrity(&db);
    if integrity != "ok" {
        problems.push(format!("integrity_check at the end: {integrity}"));
        lost += 1;
    }
    drop(mount);

    record(&Outcome {
        scenario: SCENARIO,
        trials: 1,
        failures: u64::from(!problems.is_empty()),
        data_lost: lost,
        figures: format!(
            "tmpfs {size_kib} KiB, database {} KiB, {} KiB free at the run; run reason: {reason}; {:.1} s",
            db_size / 1024,
            free_before / 1024,
            started.elapsed().as_secs_f64()
        ),
    });
    assert!(
        problems.is_empty(),
        "{}\n{}",
        problems.join("\n"),
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

// ---------------------------------------------------------------------------
// (b) A read-only database at start
// ---------------------------------------------------------------------------

/// One read-only start: refused, then started again once writable.
struct ReadOnlyCase {
    name: &'static str,
    db: PathBuf,
    refused: Attempt,
    /// What the refused start changed in the directory: deleted or modified files.
    damaged: Vec<String>,
    /// Files the refused start left behind.
    created: Vec<String>,
    /// The start once the fault is repaired.
    restarted: Attempt,
    hash_before: String,
    hash_after: String,
}

impl ReadOnlyCase {
    /// Starts the binary on `db` (expecting a refusal), calls `repair`, and
    /// starts it again. `hash_before` is the content hash of the file `db`
    /// was copied from: opening `db` itself, even read-only, would leave a
    /// -shm behind and change what is tested.
    fn run(
        name: &'static str,
        db: &Path,
        hash_before: &str,
        aux: &Path,
        uid: Option<u32>,
        repair: impl FnOnce(),
    ) -> Self {
        let dir = db.parent().expect("a directory");
        let hash_before = hash_before.to_owned();
        let before = files(dir);
        let refused = attempt(db, aux, uid, WAIT);
        let (created, damaged): (Vec<String>, Vec<String>) = differences(&before, &files(dir))
            .into_iter()
            .partition(|change| change.ends_with(" was created"));
        repair();
        let restarted = attempt(db, &aux.join("again"), uid, WAIT);
        Self {
            name,
            db: db.to_path_buf(),
            refused,
            damaged,
            created,
            restarted,
            hash_before,
            hash_after: common::content_hash(db),
        }
    }

    /// What is wrong, and whether data were lost.
    fn problems(&self) -> (Vec<String>, bool) {
        let mut found = self.refused.refusal_problems(&self.db, Some(2));
        let mut lost = false;
        if !self.damaged.is_empty() {
            found.push(format!(
                "the refused start changed files: {}",
                self.damaged.join(", ")
            ));
            lost = true;
        }
        if !self.restarted.served {
            found.push(format!(
                "once writable again it still did not start (left behind by the refused start: {}): exit {:?}: {}",
                if self.created.is_empty() { "nothing".to_owned() } else { self.created.join(", ") },
                self.restarted.code(),
                self.restarted.error_lines().join(" | ")
            ));
        }
        if self.hash_after != self.hash_before {
            found.push("the data changed".to_owned());
            lost = true;
        }
        (found, lost)
    }
}

#[test]
#[ignore = "reliability suite: run with reliability/run"]
fn storage_read_only_database_at_start_is_refused_and_left_alone() {
    const SCENARIO: &str = "storage (b): read-only database at start";
    let started = Instant::now();
    let work = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(work.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let template = builtin_db(work.path());
    let template_hash = common::content_hash(&template);
    let root = running_as_root();
    // Root ignores file modes: the server runs as nobody for the mode cases.
    let uid = root.then_some(NOBODY);
    let chown = |path: &Path| {
        if let Some(uid) = uid {
            std::os::unix::fs::chown(path, Some(uid), Some(uid)).expect("chown");
        }
    };
    let mode = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };

    let mut cases: Vec<ReadOnlyCase> = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    // b1: the file is 0444 in a writable directory.
    {
        let dir = work.path().join("file-0444");
        std::fs::create_dir(&dir).expect("dir");
        let db = dir.join("tradepact.db");
        copy_db(&template, &db);
        chown(&dir);
        chown(&db);
        mode(&db, 0o444);
        cases.push(ReadOnlyCase::run(
            "file 0444",
            &db,
            &template_hash,
            &work.path().join("aux-b1"),
            uid,
            || {
                mode(&db, 0o644);
            },
        ));
    }
    // b2: the directory is 0555 (no -wal or -shm can be created).
    {
        let dir = work.path().join("dir-0555");
        std::fs::create_dir(&dir).expect("dir");
        let db = dir.join("tradepact.db");
        copy_db(&template, &db);
        chown(&dir);
        chown(&db);
        mode(&dir, 0o555);
        cases.push(ReadOnlyCase::run(
            "directory 0555",
            &db,
            &template_hash,
            &work.path().join("aux-b2"),
            uid,
            || {
                mode(&dir, 0o755);
            },
        ));
    }
    // b3: a read-only mount (read-only even for root).
    {
        let dir = work.path().join("ro-mount");
        std::fs::create_dir(&dir).expect("dir");
        let db = dir.join("tradepact.db");
        copy_db(&template, &db);
        match Mount::new(&["--bind", &dir.display().to_string()], &dir)
            .and_then(|m| m.remount("remount,ro,bind").map(|()| m))
        {
            Ok(mount) => {
                let mut mount = Some(mount);
                cases.push(ReadOnlyCase::run(
                    "read-only mount",
                    &db,
                    &template_hash,
                    &work.path().join("aux-b3"),
                    None,
                    || {
                        drop(mount.take());
                    },
                ));
            }
            Err(reason) => {
                skipped.push(format!("read-only mount not run ({reason})"));
                println!("storage (b): read-only mount skipped: {reason}");
            }
        }
    }

    let mut failures = 0u64;
    let mut lost = 0u64;
    let mut report: Vec<String> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    for case in &cases {
        let (found, case_lost) = case.problems();
        let error = case
            .refused
            .error_lines()
            .first()
            .map(|l| l.to_string())
            .unwrap_or_default();
        println!(
            "storage (b): {}: exit {:?}, {error}; left behind: {}; {}",
            case.name,
            case.refused.code(),
            if case.created.is_empty() {
                "nothing".to_owned()
            } else {
                case.created.join(", ")
            },
            if found.is_empty() {
                "ok".to_owned()
            } else {
                found.join("; ")
            }
        );
        report.push(format!("{}: exit {:?}", case.name, case.refused.code()));
        lost += u64::from(case_lost);
        if !found.is_empty() {
            failures += 1;
            problems.push(format!(
                "{}: {}\n{}",
                case.name,
                found.join("; "),
                case.refused.output
            ));
        }
    }
    report.extend(skipped);

    record(&Outcome {
        scenario: SCENARIO,
        trials: cases.len() as u64,
        failures,
        data_lost: lost,
        figures: format!(
            "{}{}; {:.1} s",
            report.join(", "),
            if root { " (server as uid 65534)" } else { "" },
            started.elapsed().as_secs_f64()
        ),
    });
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

// ---------------------------------------------------------------------------
// (c) A corrupt database at start
// ---------------------------------------------------------------------------

#[test]
#[ignore = "reliability suite: run with reliability/run"]
fn storage_corrupt_database_at_start_is_refused_and_left_untouched() {
    const SCENARIO: &str = "storage (c): corrupt database at start";
    let started = Instant::now();
    let work = tempfile::tempdir().expect("temp dir");
    let template = builtin_db(work.path());
    let page_size: i64 = rusqlite::Connection::open(&template)
        .and_then(|c| c.query_row("PRAGMA page_size", [], |row| row.get(0)))
        .expect("page size");
    let index_page: i64 = rusqlite::Connection::open(&template)
        .and_then(|c| {
            c.query_row(
                "SELECT rootpage FROM sqlite_master WHERE name = 'agreement_events_origin'",
                [],
                |row| row.get(0),
            )
        })
        .expect("the index exists");
    let size = std::fs::metadata(&template).expect("template").len();

    type Damage = Box<dyn Fn(&mut Vec<u8>)>;
    let variants: Vec<(&str, Damage)> = vec![
        (
            "garbage over the header",
            Box::new(|bytes: &mut Vec<u8>| {
                for (i, b) in bytes.iter_mut().take(100).enumerate() {
                    *b = b"NOT A DATABASE "[i % 15];
                }
            }),
        ),
        (
            "truncated to half",
            Box::new(move |bytes: &mut Vec<u8>| bytes.truncate((size / 2 + 123) as usize)),
        ),
        (
            "garbage over an index page",
            Box::new(move |bytes: &mut Vec<u8>| {
                let from = ((index_page - 1) * page_size) as usize;
                let page_size = page_size as usize;
                for (i, b) in bytes[from..from + page_size as usize]
                    .iter_mut()
                    .enumerate()
                {
                    *b = (i as u8).wrapping_mul(151).wrapping_add(17);
                }
            }),
        ),
    ];

    let mut failures = 0u64;
    let mut lost = 0u64;
    let mut report: Vec<String> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    for (n, (name, damage)) in variants.iter().enumerate() {
        let dir = work.path().join(format!("corrupt-{n}"));
        std::fs::create_dir(&dir).expect("dir");
        let db = dir.join("tradepact.db");
        let mut bytes = std::fs::read(&template).expect("template");
        damage(&mut bytes);
        std::fs::write(&db, &bytes).expect("writes");
        let before = files(&dir);
        let refused = attempt(&db, &work.path().join(format!("aux-{n}")), None, WAIT);
        let mut found = refused.refusal_problems(&db, None);
        let changed = differences(&before, &files(&dir));
        if !changed.is_empty() {
            found.push(format!("the directory changed: {}", changed.join(", ")));
            if changed.iter().any(|c| c.starts_with("tradepact.db ")) {
                lost += 1;
            }
        }
        let error = refused
            .error_lines()
            .first()
            .map(|l| l.to_string())
            .unwrap_or_default();
        println!(
            "storage (c): {name}: exit {:?}, served {}, {error}; {}",
            refused.code(),
            refused.served,
            if found.is_empty() {
                "ok".to_owned()
            } else {
                found.join("; ")
            }
        );
        report.push(format!(
            "{name}: {}",
            if refused.served {
                "served".to_owned()
            } else {
                format!("exit {:?}", refused.code())
            }
        ));
        if !found.is_empty() {
            failures += 1;
            problems.push(format!("{name}: {}\n{}", found.join("; "), refused.output));
        }
    }

    record(&Outcome {
        scenario: SCENARIO,
        trials: variants.len() as u64,
        failures,
        data_lost: lost,
        figures: format!(
            "{}; {:.1} s",
            report.join(", "),
            started.elapsed().as_secs_f64()
        ),
    });
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

// ---------------------------------------------------------------------------
// (d) A database from a newer schema
// ---------------------------------------------------------------------------

#[test]
#[ignore = "reliability suite: run with reliability/run"]
fn storage_newer_schema_is_refused_and_left_untouched() {
    const SCENARIO: &str = "storage (d): newer schema version at start";
    let started = Instant::now();
    let work = tempfile::tempdir().expect("temp dir");
    let template = builtin_db(work.path());
    let latest: i64 = rusqlite::Connection::open(&template)
        .and_then(|c| c.query_row("PRAGMA user_version", [], |row| row.get(0)))
        .expect("user_version");
    let newer = latest + 1;

    let mut failures = 0u64;
    let mut lost = 0u64;
    let mut report: Vec<String> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    // As the binary leaves it (WAL), and as a `VACUUM INTO` backup is
    // (rollback journal).
    for (n, name) in [
        "WAL database",
        "rollback-journal database (VACUUM INTO backup)",
    ]
    .into_iter()
    .enumerate()
    {
        let dir = work.path().join(format!("newer-{n}"));
        std::fs::create_dir(&dir).expect("dir");
        let db = dir.join("tradepact.db");
        if n == 0 {
            copy_db(&template, &db);
        } else {
            rusqlite::Connection::open(&template)
                .and_then(|c| c.execute("VACUUM INTO ?1", [db.display().to_string()]))
                .expect("VACUUM INTO");
        }
        rusqlite::Connection::open(&db)
            .and_then(|c| c.pragma_update(None, "user_version", newer))
            .expect("sets user_version");
        // The data it holds, read from a copy: opening the file itself,
        // even read-only, may leave a -shm next to it.
        let aux = work.path().join(format!("aux-{n}"));
        std::fs::create_dir_all(&aux).expect("aux dir");
        let copy = aux.join("copy.db");
        copy_db(&db, &copy);
        let hash_before = common::content_hash(&copy);
        let before = files(&dir);
        let refused = attempt(&db, &aux, None, WAIT);
        let mut found = refused.refusal_problems(&db, None);
        let error = refused
            .error_lines()
            .first()
            .map(|l| l.to_string())
            .unwrap_or_default();
        if !(error.contains(&newer.to_string()) && error.contains(&latest.to_string())) {
            found.push(format!(
                "the error does not name both versions ({newer} and {latest}): {error}"
            ));
        }
        let changed = differences(&before, &files(&dir));
        if !changed.is_empty() {
            let header = |bytes: &[u8]| {
                bytes
                    .get(16..20)
                    .map(|b| format!("{b:02x?}"))
                    .unwrap_or_default()
            };
            found.push(format!(
                "the file was touched: {} (header bytes 16..20 now {})",
                changed.join(", "),
                header(&std::fs::read(&db).unwrap_or_default())
            ));
        }
        // Rows lost or changed, beyond the header.
        if common::content_hash(&db) != hash_before {
            found.push("the data it holds changed".to_owned());
            lost += 1;
        }
        println!(
            "storage (d): {name}: exit {:?}, {error}; {}",
            refused.code(),
            if found.is_empty() {
                "ok".to_owned()
            } else {
                found.join("; ")
            }
        );
        report.push(format!("{name}: exit {:?}", refused.code()));
        if !found.is_empty() {
            failures += 1;
            problems.push(format!("{name}: {}\n{}", found.join("; "), refused.output));
        }
    }

    record(&Outcome {
        scenario: SCENARIO,
        trials: 2,
        failures,
        data_lost: lost,
        figures: format!(
            "schema {newer} vs supported {latest}; {}; {:.1} s",
            report.join(", "),
            started.elapsed().as_secs_f64()
        ),
    });
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
