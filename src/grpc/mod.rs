//! The gRPC edge: tonic services for agreements, trade and indicators, plus
//! health and reflection. The only module that sees prost types; handlers turn
//! a request into a query, run it against the current snapshot and turn the
//! answer (or the error, through one exhaustive mapping) into a response.
//! Answers are encoded once per snapshot and kept in its cache (`answer`),
//! compressed once when the operator turns compression on (`compress`); the
//! call layer (`layer`) gives every call its id, limits and metrics.

mod agreements;
pub mod answer;
mod catalog;
pub mod compress;
mod convert;
pub mod errors;
mod indicators;
pub mod layer;
mod refresh_service;
mod trade;

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;

use tonic::{Response, Status};

use crate::domain::Dataset;
use crate::metrics::Metrics;
use crate::query::{QueryError, ReadModel, Snapshot, SourceStatus};
use crate::store::Store;
use answer::{Encoded, Question};
use compress::CompressedAnswer;

pub use agreements::AgreementApi;
pub use catalog::{CatalogApi, ServerFacts};
pub use indicators::IndicatorApi;
pub use refresh_service::RefreshApi;
pub use trade::TradeApi;

/// Generated protobuf and gRPC code for `tradepact.v1`.
pub mod pb {
    #![allow(clippy::all, clippy::pedantic, missing_docs)]
    tonic::include_proto!("tradepact.v1");

    /// The encoded descriptor set of every `tradepact.v1` file, for reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        tonic::include_file_descriptor_set!("tradepact_descriptor");
}

/// `google.type.Date`, the date type of every `tradepact.v1` message.
pub mod google_type {
    #![allow(clippy::all, clippy::pedantic, missing_docs)]
    include!(concat!(env!("OUT_DIR"), "/google/google.r#type.rs"));
}

/// Generated gRPC servers. Their query methods answer with
/// [`answer::Encoded`] messages (see `build.rs`); every type comes from [`pb`].
pub mod service {
    #![allow(clippy::all, clippy::pedantic, missing_docs)]
    include!(concat!(env!("OUT_DIR"), "/server/tradepact.v1.rs"));
}

/// The fully qualified names of the services tradepact itself serves.
pub const SERVICE_NAMES: [&str; 5] = [
    "tradepact.v1.AgreementService",
    "tradepact.v1.TradeService",
    "tradepact.v1.IndicatorService",
    "tradepact.v1.RefreshService",
    "tradepact.v1.CatalogService",
];

/// Shared by every service: where the data come from and where calls are
/// counted.
#[derive(Clone)]
pub struct Api {
    read_model: Arc<ReadModel>,
    store: Store,
    metrics: Arc<Metrics>,
}

impl Api {
    pub fn new(read_model: Arc<ReadModel>, store: Store, metrics: Arc<Metrics>) -> Self {
        Self {
            read_model,
            store,
            metrics,
        }
    }

    /// Answers `question` from the current snapshot and logs it: the cached
    /// answer when the same question was answered from this snapshot,
    /// otherwise `query` run, `reply` encoded and kept. Errors are never
    /// cached.
    fn answer_from_snapshot<T: prost::Message, A>(
        &self,
        mut question: Question,
        query: impl FnOnce(&Dataset) -> Result<A, QueryError>,
        reply: impl FnOnce(A, &[SourceStatus]) -> T,
    ) -> Result<Response<Encoded<T>>, Status> {
        let started = Instant::now();
        let result = self
            .read_model
            .snapshot()
            .ok_or_else(still_loading)
            .and_then(|snapshot| {
                question.bind(snapshot.generation);
                let message = match self.cached(&snapshot, &question) {
                    Some(hit) => hit,
                    None => keep(
                        &snapshot,
                        &question,
                        reply(query(&snapshot.dataset)?, &snapshot.sources),
                    ),
                };
                self.respond(&snapshot, &question, message)
            });
        log_call(question.path(), started, &result);
        result
    }

    /// Like [`Api::answer_from_snapshot`] for questions answered partly from the store:
    /// `check` validates against the snapshot first (a bad request costs no
    /// store access), then a cache miss runs `read` on the blocking pool.
    async fn answer_from_store<T, Q, A>(
        &self,
        mut question: Question,
        check: impl FnOnce(&Dataset) -> Result<Q, QueryError>,
        read: impl FnOnce(&Dataset, Q, &Store) -> Result<A, QueryError> + Send + 'static,
        reply: impl FnOnce(A, &[SourceStatus]) -> T,
    ) -> Result<Response<Encoded<T>>, Status>
    where
        T: prost::Message,
        Q: Send + 'static,
        A: Send + 'static,
    {
        let started = Instant::now();
        let result = self.answer_checked(&mut question, check, read, reply).await;
        log_call(question.path(), started, &result);
        result
    }

    async fn answer_checked<T, Q, A>(
        &self,
        question: &mut Question,
        check: impl FnOnce(&Dataset) -> Result<Q, QueryError>,
        read: impl FnOnce(&Dataset, Q, &Store) -> Result<A, QueryError> + Send + 'static,
        reply: impl FnOnce(A, &[SourceStatus]) -> T,
    ) -> Result<Response<Encoded<T>>, Status>
    where
        T: prost::Message,
        Q: Send + 'static,
        A: Send + 'static,
    {
        let snapshot = self.read_model.snapshot().ok_or_else(still_loading)?;
        question.bind(snapshot.generation);
        let checked = check(&snapshot.dataset)?;
        if let Some(hit) = self.cached(&snapshot, question) {
            return self.respond(&snapshot, question, hit);
        }
        let store = self.store.clone();
        let dataset = Arc::clone(&snapshot.dataset);
        let answer = tokio::task::spawn_blocking(move || read(&dataset, checked, &store))
            .await
            .map_err(|error| QueryError::Store(format!("the read task failed: {error}")))??;
        let message = keep(&snapshot, question, reply(answer, &snapshot.sources));
        self.respond(&snapshot, question, message)
    }

    /// The plain answer kept for `question` in `snapshot`, counted as a
    /// cached answer.
    fn cached(&self, snapshot: &Snapshot, question: &Question) -> Option<Bytes> {
        let hit = snapshot.answers.get(question.key())?;
        self.metrics.record_cached_answer(question.path());
        Some(hit)
    }

    /// The response carrying `message`, with its compressed frame attached
    /// when the client gets compressed answers (compressed once per
    /// snapshot, then taken from the cache).
    fn respond<T>(
        &self,
        snapshot: &Snapshot,
        question: &Question,
        message: Bytes,
    ) -> Result<Response<Encoded<T>>, Status> {
        let compressed = match question.compression() {
            None => None,
            Some(encoding) => {
                let key = question.compressed_key(encoding);
                let frame = match snapshot.answers.get(&key) {
                    Some(frame) => frame,
                    None => {
                        let frame = compress::frame(encoding, &message)?;
                        self.metrics.record_compression(encoding);
                        snapshot.answers.insert(key, frame.clone());
                        frame
                    }
                };
                Some(CompressedAnswer { encoding, frame })
            }
        };
        let mut response = Response::new(Encoded::from_bytes(message));
        if let Some(compressed) = compressed {
            response.extensions_mut().insert(compressed);
        }
        Ok(response)
    }
}

/// `answer` encoded and kept in `snapshot`'s cache as the answer to
/// `question`.
fn keep(snapshot: &Snapshot, question: &Question, answer: impl prost::Message) -> Bytes {
    let encoded = Bytes::from(answer.encode_to_vec());
    snapshot
        .answers
        .insert(question.owned_key(), encoded.clone());
    encoded
}

pub(crate) fn still_loading() -> Status {
    errors::status(
        tonic::Code::Unavailable,
        errors::reason::STILL_LOADING,
        "the dataset is still loading; retry shortly",
    )
}

fn log_call<T>(method: &str, started: Instant, result: &Result<T, Status>) {
    let code = result
        .as_ref()
        .map_or_else(|status| status.code(), |_| tonic::Code::Ok);
    tracing::debug!(
        method,
        ?code,
        elapsed_us = started.elapsed().as_micros() as u64,
        "call"
    );
}

/// Decodes an enum field, naming it when the value is not one of the enum's.
fn enum_field<E: TryFrom<i32>>(field: &'static str, value: i32) -> Result<E, Status> {
    E::try_from(value)
        .map_err(|_| errors::invalid_field(field, format!("{value} is not a valid value")))
}
