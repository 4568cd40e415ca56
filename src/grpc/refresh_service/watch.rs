//! `WatchChanges`: a replay of stored changes, a marker when it has caught
//! up, then live changes as runs commit them, with heartbeats in between.
//! Every message carries the point to resume from, which also passes the
//! changes a source filter leaves out. The stream ends only with an error:
//! UNAVAILABLE at shutdown, so clients reconnect from their resume point.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::{Code, Status};

use crate::domain::{AgreementStatus, ChangeKind, ChangeSubject, DataChange, TradeFlow};
use crate::refresh::worker::Refresher;
use crate::store::Store;

use super::super::errors::{self, reason};
use super::super::{convert, pb};
use super::{shutting_down, store_error};

/// Changes read from the store per query while replaying, and sent per message.
const REPLAY_CHUNK: usize = 500;
const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(30);
const HEARTBEATS: std::ops::RangeInclusive<Duration> =
    Duration::from_secs(1)..=Duration::from_secs(3600);

pub type ChangeStream =
    Pin<Box<dyn Stream<Item = Result<pb::WatchChangesResponse, Status>> + Send>>;

/// The requested heartbeat interval, checked.
pub fn heartbeat_interval(raw: Option<prost_types::Duration>) -> Result<Duration, Status> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_HEARTBEAT);
    };
    let invalid = || {
        errors::invalid_field(
            "heartbeat_interval",
            format!("{}.{:09}s is outside 1s..=3600s", raw.seconds, raw.nanos),
        )
    };
    let interval = Duration::try_from(raw).map_err(|_| invalid())?;
    if HEARTBEATS.contains(&interval) {
        Ok(interval)
    } else {
        Err(invalid())
    }
}

/// Where the stream starts: after `after_seq`, or after the newest change
/// when unset. OUT_OF_RANGE when the changes after `after_seq` are not all
/// held any more, or when it lies beyond the newest change held (a resume
/// point from another database).
pub async fn resume_point(store: &Store, after_seq: Option<i64>) -> Result<i64, Status> {
    let (oldest, newest) = store.change_seq_bounds().await.map_err(store_error)?;
    let Some(after) = after_seq else {
        return Ok(newest);
    };
    let out_of_range = |message: String| {
        errors::with_metadata(
            Code::OutOfRange,
            reason::RESUME_POINT_UNAVAILABLE,
            message,
            [
                ("oldest_seq", oldest.to_string()),
                ("newest_seq", newest.to_string()),
            ],
        )
    };
    if after < 0 {
        return Err(errors::invalid_field("after_seq", "must not be negative"));
    }
    if after > newest {
        return Err(out_of_range(format!(
            "after_seq: {after} is beyond the newest change held ({newest}); this server's history differs from the one the client followed"
        )));
    }
    if oldest > 0 && after < oldest - 1 {
        return Err(out_of_range(format!(
            "after_seq: the changes after {after} are no longer all held; the oldest held is {oldest}. Resume from {} and reload what you track",
            oldest - 1
        )));
    }
    Ok(after)
}

/// One stream's state.
pub struct Watcher {
    pub refresher: Arc<Refresher>,
    /// Only this source's changes, when set.
    pub source: Option<String>,
    pub heartbeat: Duration,
    pub stopping: CancellationToken,
}

type Sender = mpsc::Sender<Result<pb::WatchChangesResponse, Status>>;

impl Watcher {
    /// Starts the stream after `start`, with `live` subscribed before
    /// `start` was read.
    pub fn spawn(self, start: i64, live: broadcast::Receiver<DataChange>) -> ChangeStream {
        let (sender, receiver) = mpsc::channel(64);
        tokio::spawn(self.run(start, live, sender));
        Box::pin(ReceiverStream::new(receiver))
    }

    async fn run(self, start: i64, mut live: broadcast::Receiver<DataChange>, sender: Sender) {
        let Some(mut last) = self.replay(start, &sender).await else {
            return;
        };
        if !send(&sender, pb::WatchEventKind::CaughtUp, Vec::new(), last).await {
            return;
        }
        // A heartbeat is due `heartbeat` after the last message sent. Changes
        // the filter leaves out do not put it off: it is what carries the
        // resume point past them.
        let mut heartbeat_due = Instant::now() + self.heartbeat;
        loop {
            let received = tokio::select! {
                received = live.recv() => received,
                () = tokio::time::sleep_until(heartbeat_due) => {
                    if !send(&sender, pb::WatchEventKind::Heartbeat, Vec::new(), last).await {
                        return;
                    }
                    heartbeat_due = Instant::now() + self.heartbeat;
                    continue;
                }
                () = self.stopping.cancelled() => {
                    let _ = sender.send(Err(shutting_down())).await;
                    return;
                }
                () = sender.closed() => return,
            };
            match received {
                Ok(change) => {
                    if change.seq <= last {
                        continue;
                    }
                    // Advances past filtered-out changes too; the next
                    // heartbeat carries it.
                    last = change.seq;
                    if self.wanted(&change) {
                        if !send(&sender, pb::WatchEventKind::Changes, vec![change], last).await {
                            return;
                        }
                        heartbeat_due = Instant::now() + self.heartbeat;
                    }
                }
                // Fell behind: the store has everything, in order.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    match self.replay(last, &sender).await {
                        Some(new_last) => last = new_last,
                        None => return,
                    }
                }
                Err(broadcast::error::RecvError::Closed) => {
                    let _ = sender.send(Err(shutting_down())).await;
                    return;
                }
            }
        }
    }

    fn wanted(&self, change: &DataChange) -> bool {
        self.source.as_deref().is_none_or(|s| s == change.source)
    }

    /// Sends every stored change after `after` (of the watched source), a
    /// chunk per message; the point the replay covers (at least every change
    /// held when it started), or `None` if the stream is gone.
    async fn replay(&self, mut after: i64, sender: &Sender) -> Option<i64> {
        let store = self.refresher.store();
        let covered = match store.latest_change_seq().await {
            Ok(newest) => newest,
            Err(error) => {
                let _ = sender.send(Err(store_error(error))).await;
                return None;
            }
        };
        loop {
            let chunk = match store
                .changes_after(after, self.source.clone(), REPLAY_CHUNK)
                .await
            {
                Ok(chunk) => chunk,
                Err(error) => {
                    let _ = sender.send(Err(store_error(error))).await;
                    return None;
                }
            };
            let full = chunk.len() == REPLAY_CHUNK;
            if let Some(newest) = chunk.last() {
                after = newest.seq;
                if !send(sender, pb::WatchEventKind::Changes, chunk, after).await {
                    return None;
                }
            }
            if !full {
                return Some(after.max(covered));
            }
        }
    }
}

async fn send(
    sender: &Sender,
    kind: pb::WatchEventKind,
    changes: Vec<DataChange>,
    resume_after_seq: i64,
) -> bool {
    let message = pb::WatchChangesResponse {
        kind: kind.into(),
        changes: changes.iter().map(change).collect(),
        resume_after_seq,
    };
    sender.send(Ok(message)).await.is_ok()
}

fn change(value: &DataChange) -> pb::DataChange {
    let kind = match value.kind {
        ChangeKind::NewFigure => pb::ChangeKind::NewFigure,
        ChangeKind::RevisedFigure => pb::ChangeKind::RevisedFigure,
        ChangeKind::RemovedFigure => pb::ChangeKind::RemovedFigure,
        ChangeKind::StatusChanged => pb::ChangeKind::StatusChanged,
    };
    let is_status = value.kind == ChangeKind::StatusChanged;
    pb::DataChange {
        seq: value.seq,
        run_id: value.run_id,
        source: value.source.clone(),
        kind: kind.into(),
        subject: ChangeSubject::parse(&value.subject).map(subject),
        year: value.year,
        old_value: value
            .old_value
            .as_deref()
            .and_then(|v| change_value(v, is_status)),
        new_value: value
            .new_value
            .as_deref()
            .and_then(|v| change_value(v, is_status)),
        commit_time: convert::timestamp(&value.committed_at),
    }
}

fn subject(value: ChangeSubject) -> pb::ChangeSubject {
    use pb::change_subject::Subject;
    let trade = |reporter, partner, flow: Option<TradeFlow>, hs_code, figure| {
        Subject::Trade(pb::TradeSubject {
            reporter,
            partner,
            flow: flow
                .map_or(pb::TradeFlow::Unspecified, convert::trade_flow)
                .into(),
            hs_code,
            figure,
        })
    };
    let subject = match value {
        ChangeSubject::Agreement { id } => {
            Subject::Agreement(pb::AgreementSubject { agreement_id: id })
        }
        ChangeSubject::Indicator {
            indicator,
            economy,
            vintage,
        } => Subject::Indicator(pb::IndicatorSubject {
            indicator,
            economy,
            vintage: convert::day(&vintage),
        }),
        ChangeSubject::PartnerFlow {
            reporter,
            partner,
            flow,
        } => trade(
            reporter,
            partner,
            TradeFlow::parse(&flow),
            String::new(),
            String::new(),
        ),
        ChangeSubject::ProductFlow {
            reporter,
            partner,
            flow,
            hs_code,
        } => trade(
            reporter,
            partner,
            TradeFlow::parse(&flow),
            hs_code,
            String::new(),
        ),
        ChangeSubject::Trade {
            reporter,
            partner,
            family,
            field,
        } => trade(
            reporter,
            partner,
            None,
            String::new(),
            format!("{family} {field}"),
        ),
        ChangeSubject::ProductLines {
            reporter,
            partner,
            flow,
            digits,
            counts,
        } => Subject::ProductLines(pb::ProductLinesSubject {
            reporter,
            partner,
            flow: TradeFlow::parse(&flow)
                .map_or(pb::TradeFlow::Unspecified, convert::trade_flow)
                .into(),
            hs_digits: i32::from(digits),
            added: counts.added as i64,
            revised: counts.revised as i64,
            removed: counts.removed as i64,
            lines: counts.lines as i64,
        }),
    };
    pb::ChangeSubject {
        subject: Some(subject),
    }
}

/// A stored value: a status name for status changes, otherwise a number or
/// "null" (published without a value).
fn change_value(text: &str, is_status: bool) -> Option<pb::ChangeValue> {
    use pb::change_value::Value;
    let value = if is_status {
        Value::Status(
            AgreementStatus::parse_name(text)
                .map_or(pb::AgreementStatus::Unspecified, convert::status)
                .into(),
        )
    } else if text == "null" {
        Value::Missing(true)
    } else {
        Value::Number(text.parse().ok()?)
    };
    Some(pb::ChangeValue { value: Some(value) })
}
