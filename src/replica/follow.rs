//! A reader's follower: watches the transaction id Litestream records after
//! each change it applies to the copy (the `-txid` sidecar), and on each new
//! one reads the copy's replication state. When the data's generation moved
//! (or the copy is a new file: a fresh restore) it reloads the snapshot and
//! broadcasts the writer's changes, as a refresh does; a heartbeat alone
//! only moves the lag.
//!
//! Litestream applies a change with SQLite's exclusive lock held, so a read
//! sees the copy before or after it, never half of it.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::refresh::worker::Refresher;
use crate::store::{Store, StoreError};

use super::{Replication, txid_sidecar};

/// Follows a reader's copy.
pub struct Follower {
    pub store: Store,
    pub refresher: Arc<Refresher>,
    pub replication: Arc<Replication>,
    /// How often the sidecar is looked at.
    pub poll: Duration,
}

/// What the sidecar and the file said when last looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    txid: u64,
    /// A restore puts a new file in place; its inode tells.
    inode: u64,
}

/// What is loaded into the read model.
#[derive(Debug, Clone, Copy)]
struct Loaded {
    generation: i64,
    /// The newest change broadcast.
    last_seq: i64,
    inode: u64,
}

impl Follower {
    /// Follows the copy until `stop`; `restored` is told once the first
    /// complete copy is loaded and served.
    pub async fn run(self, restored: oneshot::Sender<()>, stop: CancellationToken) {
        let sidecar = txid_sidecar(self.store.path());
        let mut restored = Some(restored);
        let mut seen: Option<Seen> = None;
        let mut loaded: Option<Loaded> = None;
        loop {
            tokio::select! {
                () = tokio::time::sleep(self.poll) => {}
                () = stop.cancelled() => return,
            }
            let Some(now) = look(&sidecar, self.store.path()).await else {
                continue;
            };
            if seen == Some(now) {
                continue;
            }
            match self.apply(now, loaded).await {
                Ok(new) => {
                    seen = Some(now);
                    loaded = Some(new);
                    if let Some(restored) = restored.take() {
                        let _ = restored.send(());
                    }
                }
                // Litestream may be restoring a new file, or the copy is
                // from a writer of another release: looked at again soon.
                Err(error) => tracing::warn!(%error, "the replica's copy is not loaded yet"),
            }
        }
    }

    async fn apply(&self, now: Seen, loaded: Option<Loaded>) -> Result<Loaded, StoreError> {
        let same_file = loaded.filter(|l| l.inode == now.inode);
        if same_file.is_none() {
            self.store.check_replica_schema().await?;
        }
        let state = self.store.replication_state().await?;
        let loaded = match (same_file, loaded) {
            (Some(same), _) if same.generation == state.generation => same,
            (_, previous) => {
                // The first load broadcasts nothing: WatchChanges replays
                // what the copy holds from the store.
                let after = match previous {
                    Some(previous) => previous.last_seq,
                    None => self.store.latest_change_seq().await?,
                };
                let last_seq = self.refresher.load_replica(after).await?;
                tracing::info!(
                    txid = now.txid,
                    generation = state.generation,
                    "replicated data loaded"
                );
                Loaded {
                    generation: state.generation,
                    last_seq,
                    inode: now.inode,
                }
            }
        };
        self.refresher.publish_sources().await;
        let heartbeat_at = state.heartbeat_at.as_deref().and_then(parse_time);
        self.replication.update(|progress| {
            progress.restored = true;
            progress.txid = Some(now.txid);
            if heartbeat_at.is_some() {
                progress.heartbeat_at = heartbeat_at;
            }
        });
        Ok(loaded)
    }
}

/// The sidecar's transaction id (16 hex digits) and the copy's inode;
/// `None` before the first restore, or while either is being written.
async fn look(sidecar: &Path, db: &Path) -> Option<Seen> {
    let text = tokio::fs::read_to_string(sidecar).await.ok()?;
    let txid = u64::from_str_radix(text.trim(), 16).ok()?;
    let inode = tokio::fs::metadata(db).await.ok()?.ino();
    Some(Seen { txid, inode })
}

fn parse_time(text: &str) -> Option<SystemTime> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(SystemTime::from)
}
