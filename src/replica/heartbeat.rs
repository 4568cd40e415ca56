//! The writer's heartbeat: the time, written to the database every few
//! seconds. Litestream ships it like any other transaction, so a reader
//! knows how old the newest data it holds is, even when nothing changed.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::store::Store;

/// Records a heartbeat now and every `every` after, until `stop`.
pub async fn beat(store: Store, every: Duration, stop: CancellationToken) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = stop.cancelled() => return,
        }
        if let Err(error) = store.heartbeat(crate::refresh::worker::now_precise()).await {
            tracing::warn!(%error, "could not record the replication heartbeat");
        }
    }
}
