//! The gRPC edge: tonic services for agreements, trade and indicators, plus
//! health and reflection. The only module that sees prost types; handlers turn
//! a request into a query, run it against the current snapshot and turn the
//! answer (or the error, through one exhaustive mapping) into a response.
//! Answers are cached per snapshot (`answer`); the call layer (`layer`)
//! sends a cached one itself when the same question comes again
//! (`fast_path`).

mod agreements;
pub mod answer;
pub mod coalesce;
mod convert;
pub mod fast_path;
mod indicators;
pub mod layer;
mod refresh;
mod trade;

use std::sync::Arc;
use std::time::Instant;

use tonic::{Response, Status};

use crate::domain::Dataset;
use crate::query::{QueryError, ReadModel};
use crate::store::Store;
use answer::{AnswerCache, CacheKey, Encoded};

pub use agreements::AgreementApi;
pub use indicators::IndicatorApi;
pub use refresh::RefreshApi;
pub use trade::TradeApi;

/// Generated protobuf and gRPC code for `tradepact.v1`.
pub mod pb {
    #![allow(clippy::all, clippy::pedantic, missing_docs)]
    tonic::include_proto!("tradepact.v1");

    /// The encoded descriptor set of every `tradepact.v1` file, for reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        tonic::include_file_descriptor_set!("tradepact_descriptor");
}

/// Generated gRPC servers. Their query methods answer with
/// [`answer::Encoded`] messages (see `build.rs`); every type comes from [`pb`].
pub mod service {
    #![allow(clippy::all, clippy::pedantic, missing_docs)]
    include!(concat!(env!("OUT_DIR"), "/server/tradepact.v1.rs"));
}

/// The paths of the query methods, whose answers are cached per snapshot
/// (the cache's keys start with them).
pub mod method {
    pub const GET_AGREEMENT: &str = "/tradepact.v1.AgreementService/GetAgreement";
    pub const LIST_AGREEMENTS: &str = "/tradepact.v1.AgreementService/ListAgreements";
    pub const LIST_NEGOTIATION_ROUNDS: &str =
        "/tradepact.v1.AgreementService/ListNegotiationRounds";
    pub const GET_BILATERAL_TRADE: &str = "/tradepact.v1.TradeService/GetBilateralTrade";
    pub const RANK_PARTNERS: &str = "/tradepact.v1.TradeService/RankPartners";
    pub const GET_PRODUCT_BREAKDOWN: &str = "/tradepact.v1.TradeService/GetProductBreakdown";
    pub const GET_INDICATOR_SERIES: &str = "/tradepact.v1.IndicatorService/GetIndicatorSeries";

    /// Every method whose answers are cached.
    pub const CACHED: [&str; 7] = [
        GET_AGREEMENT,
        LIST_AGREEMENTS,
        LIST_NEGOTIATION_ROUNDS,
        GET_BILATERAL_TRADE,
        RANK_PARTNERS,
        GET_PRODUCT_BREAKDOWN,
        GET_INDICATOR_SERIES,
    ];
}

/// The fully qualified names of the services tradepact itself serves.
pub const SERVICE_NAMES: [&str; 4] = [
    "tradepact.v1.AgreementService",
    "tradepact.v1.TradeService",
    "tradepact.v1.IndicatorService",
    "tradepact.v1.RefreshService",
];

impl From<QueryError> for Status {
    fn from(error: QueryError) -> Self {
        match error {
            QueryError::InvalidArgument { field, reason } => {
                Status::invalid_argument(format!("{field}: {reason}"))
            }
            QueryError::NotFound(message) => Status::not_found(message),
            QueryError::Store(detail) => {
                tracing::error!(%detail, "the store could not answer a query");
                Status::internal("the store could not answer; the error is logged")
            }
        }
    }
}

/// Shared by every service: where the data come from, and the answers
/// already encoded from them.
#[derive(Clone)]
pub struct Api {
    read_model: Arc<ReadModel>,
    answers: Arc<AnswerCache>,
    store: Store,
}

impl Api {
    /// `answer_cache_bytes`: the most encoded answers kept per snapshot (0 = none).
    pub fn new(read_model: Arc<ReadModel>, store: Store, answer_cache_bytes: usize) -> Self {
        Self {
            read_model,
            answers: Arc::new(AnswerCache::new(answer_cache_bytes)),
            store,
        }
    }

    /// The cached answers, for the call layer to send itself.
    pub fn cached_answers(&self) -> fast_path::CachedAnswers {
        fast_path::CachedAnswers::new(Arc::clone(&self.read_model), Arc::clone(&self.answers))
    }

    /// Answers one call from the current snapshot and logs it. `request` is
    /// the question as received: with `method` (the call's path), the key of
    /// the cached answer.
    fn answer<T: prost::Message, A>(
        &self,
        method: &'static str,
        request: &impl prost::Message,
        query: impl FnOnce(&Dataset) -> Result<A, QueryError>,
        reply: impl FnOnce(A) -> T,
    ) -> Result<Response<Encoded<T>>, Status> {
        let started = Instant::now();
        let result = match self.read_model.snapshot() {
            Some(dataset) => self
                .answers
                .get_or_encode(&dataset, method, request, || query(&dataset).map(reply))
                .map_err(Status::from),
            None => Err(still_loading()),
        };
        log_call(method, started, &result);
        result.map(Response::new)
    }

    /// Like [`Api::answer`] for questions answered partly from the store:
    /// `check` validates against the snapshot first (a bad request costs no
    /// store access), then a cache miss runs `read` on the blocking pool.
    async fn answer_from_store<T, Q, A>(
        &self,
        method: &'static str,
        request: &impl prost::Message,
        check: impl FnOnce(&Dataset) -> Result<Q, QueryError>,
        read: impl FnOnce(&Dataset, Q, &Store) -> Result<A, QueryError> + Send + 'static,
        reply: impl FnOnce(A) -> T,
    ) -> Result<Response<Encoded<T>>, Status>
    where
        T: prost::Message,
        Q: Send + 'static,
        A: Send + 'static,
    {
        let started = Instant::now();
        let result = self
            .answer_checked(method, request, check, read, reply)
            .await;
        log_call(method, started, &result);
        result.map(Response::new)
    }

    async fn answer_checked<T, Q, A>(
        &self,
        method: &'static str,
        request: &impl prost::Message,
        check: impl FnOnce(&Dataset) -> Result<Q, QueryError>,
        read: impl FnOnce(&Dataset, Q, &Store) -> Result<A, QueryError> + Send + 'static,
        reply: impl FnOnce(A) -> T,
    ) -> Result<Encoded<T>, Status>
    where
        T: prost::Message,
        Q: Send + 'static,
        A: Send + 'static,
    {
        let dataset = self.read_model.snapshot().ok_or_else(still_loading)?;
        let question = check(&dataset)?;
        let key = CacheKey::new(method, request);
        if let Some(hit) = self.answers.get(&dataset, &key) {
            return Ok(hit);
        }
        let store = self.store.clone();
        let snapshot = Arc::clone(&dataset);
        let answer = tokio::task::spawn_blocking(move || read(&snapshot, question, &store))
            .await
            .map_err(|error| QueryError::Store(format!("the read task failed: {error}")))??;
        let encoded = Encoded::encode(&reply(answer));
        self.answers.put(&dataset, key, &encoded);
        Ok(encoded)
    }
}

fn still_loading() -> Status {
    Status::unavailable("the dataset is still loading; retry shortly")
}

fn log_call<T>(method: &'static str, started: Instant, result: &Result<T, Status>) {
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
        .map_err(|_| Status::invalid_argument(format!("{field}: {value} is not a valid value")))
}
