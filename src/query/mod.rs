//! The read side: answers every question from an immutable
//! [`Dataset`](crate::domain::Dataset) snapshot, validating raw request values and computing derived figures
//! (status on a date, growth, rank, share). Pure functions; no I/O.
//!
//! Why a snapshot in memory rather than SQL per call: the dataset is small,
//! every answer joins several tables, and a snapshot swapped whole after a
//! load means a reader can never see half of one dataset and half of another.

mod agreements;
mod indicators;
mod input;
pub(crate) mod paging;
mod products;
mod snapshot;
mod trade;

pub use agreements::{
    AgreementPage, AgreementView, GetAgreement, ListAgreements, get_agreement, list_agreements,
    negotiation_rounds,
};
pub use indicators::{IndicatorAnswer, IndicatorPoint, IndicatorQuery, indicator_series};
pub use input::{is_valid_agreement_id, is_valid_indicator_code};
pub use products::{
    CheckedProductQuery, LevelSummary, ProductBreakdown, ProductKey, ProductLine, ProductLines,
    ProductQuery, StoredLine, check_product_query, product_breakdown,
};
pub use snapshot::{AnswerCache, ReadModel, Snapshot};
pub use trade::{
    BilateralQuery, BilateralTrade, RankEntry, RankQuery, Ranking, TradeYear, bilateral_trade,
    growth_pct, rank_partners,
};

/// Why a question could not be answered. Messages are written for the client.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    /// The request itself is wrong; `field` names the request field.
    #[error("{field}: {reason}")]
    InvalidArgument { field: &'static str, reason: String },
    /// The request is well formed but names something the store does not hold.
    #[error("{0}")]
    NotFound(String),
    /// The store could not answer (I/O, a damaged row). The message is for
    /// the log, not the client.
    #[error("store: {0}")]
    Store(String),
}

impl QueryError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidArgument {
            field,
            reason: reason.into(),
        }
    }
}
