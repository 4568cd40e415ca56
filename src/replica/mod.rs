//! Past one machine: one writer, many read replicas, replicated by
//! Litestream rather than by anything of our own.
//!
//! - The **writer** (`--role writer`) serves and refreshes as `all` does,
//!   records a heartbeat in its database every few seconds
//!   ([`heartbeat`]), and runs `litestream replicate` for its database as a
//!   supervised child ([`child`]), which ships each committed transaction to
//!   the replica URL.
//! - A **reader** (`--role reader`) runs `litestream restore -f` into its
//!   local copy as a supervised child, and a [`follow::Follower`] notices
//!   each transaction Litestream applies (the copy's `-txid` sidecar), then
//!   reloads the snapshot when the data's generation moved, exactly as a
//!   refresh does, and broadcasts the changes the writer recorded.
//!
//! [`Replication`] is what the process knows of all this, for ServerInfo and
//! the metrics.

pub mod child;
pub mod follow;
pub mod heartbeat;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use crate::config::Role;

/// What this process knows of replication, shared by the follower, the
/// supervisor, ServerInfo and the metrics.
pub struct Replication {
    role: Role,
    /// The replica URL without its query (which may carry endpoints and
    /// options an operator did not mean to publish).
    replica: Option<String>,
    progress: Mutex<Progress>,
}

/// A reader's progress, and the Litestream child's.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    /// The first complete restore is loaded and served.
    pub restored: bool,
    /// The last Litestream transaction id applied to the copy and loaded.
    pub txid: Option<u64>,
    /// The writer's clock at the last heartbeat the copy holds.
    pub heartbeat_at: Option<SystemTime>,
    /// Whether the Litestream child runs now.
    pub child_running: bool,
    /// How many times the child was started again after it ended.
    pub child_restarts: u64,
}

impl Replication {
    pub fn new(role: Role, replica: Option<&str>) -> Self {
        Self {
            role,
            replica: replica.map(|url| url.split('?').next().unwrap_or(url).to_owned()),
            progress: Mutex::default(),
        }
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn replica(&self) -> Option<&str> {
        self.replica.as_deref()
    }

    pub fn progress(&self) -> Progress {
        self.lock().clone()
    }

    pub(crate) fn update(&self, change: impl FnOnce(&mut Progress)) {
        change(&mut self.lock());
    }

    /// A reader's lag: how long ago the writer wrote the newest heartbeat
    /// its copy holds. It grows while the writer or the replica is away.
    /// Read as "at most this far behind, plus one heartbeat interval"; it
    /// compares two machines' clocks.
    pub fn lag(&self) -> Option<Duration> {
        if self.role != Role::Reader {
            return None;
        }
        let heartbeat = self.lock().heartbeat_at?;
        Some(
            SystemTime::now()
                .duration_since(heartbeat)
                .unwrap_or_default(),
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.progress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A file next to the database, named after it: `<db><suffix>`, as SQLite
/// and Litestream name theirs.
pub fn beside(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The sidecar in which `litestream restore -f` records the last transaction
/// it applied to `db`: `<db>-txid`.
pub fn txid_sidecar(db: &Path) -> PathBuf {
    beside(db, "-txid")
}

/// The files of a copy at `db`: the database, its SQLite sidecars,
/// Litestream's txid sidecar and its half-written restore.
fn copy_files(db: &Path) -> Vec<PathBuf> {
    ["", "-wal", "-shm", "-journal", "-txid", ".tmp"]
        .iter()
        .map(|suffix| beside(db, suffix))
        .collect()
}

/// Removes a reader's copy, so the next `restore -f` starts afresh. Used
/// when a copy cannot be resumed: no txid sidecar (a file Litestream did not
/// finish, or not Litestream's at all), or history the replica pruned.
pub fn discard_copy(db: &Path) {
    for file in copy_files(db) {
        match std::fs::remove_file(&file) {
            Ok(()) => tracing::info!(file = %file.display(), "removed from the replica's copy"),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => tracing::warn!(file = %file.display(), %error, "could not remove"),
        }
    }
}

/// Before the first `restore -f`: a copy Litestream can resume (the
/// database with its txid sidecar) is kept, anything else is removed.
pub fn prepare_copy(db: &Path) {
    let resumable = db.exists() && txid_sidecar(db).exists();
    if resumable {
        tracing::info!(db = %db.display(), "resuming the replica's copy");
    } else if copy_files(db).iter().any(|file| file.exists()) {
        tracing::warn!(
            db = %db.display(),
            "the local copy cannot be resumed (no -txid sidecar); restoring afresh"
        );
        discard_copy(db);
    }
}

#[cfg(test)]
mod tests;
