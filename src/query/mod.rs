//! The read side: answers every question from an immutable
//! [`Dataset`](crate::domain::Dataset) snapshot, validating raw request values and computing derived figures
//! (status on a date, growth, rank, share). Pure functions; no I/O.
//!
//! Why a snapshot in memory rather than SQL per call: the dataset is small,
//! every answer joins several tables, and a snapshot swapped whole after a
//! load means a reader can never see half of one dataset and half of another.

mod agreements;
mod catalog;
mod coverage;
mod indicators;
mod input;
pub(crate) mod paging;
mod products;
mod snapshot;
mod trade;

pub use agreements::{
    AgreementPage, AgreementView, GetAgreement, ListAgreements, ListRounds, RoundsPage,
    get_agreement, list_agreements, negotiation_rounds,
};
pub use catalog::{
    EconomyEntry, EconomyPage, IndicatorSummary, ListEconomies, indicators, list_economies,
};
pub use coverage::{
    Coverage, CoverageQuery, Gap, HeldProductLevel, ProductYear, RankingYear, check_coverage_query,
    coverage,
};
pub use indicators::{IndicatorAnswer, IndicatorPoint, IndicatorQuery, indicator_series};
pub use input::{count, is_valid_agreement_id, is_valid_indicator_code};
pub use products::{
    CheckedProductQuery, LevelSummary, ProductBreakdown, ProductKey, ProductLine, ProductLines,
    ProductQuery, StoredLine, Window, check_product_query, product_breakdown,
};
pub use snapshot::{AnswerCache, ReadModel, Snapshot, SourceStatus};
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
    #[error("{message}")]
    NotFound {
        /// What kind of thing is missing.
        missing: Missing,
        /// Which one: the id, code or description asked for.
        name: String,
        /// What a person reads, naming what is held where that helps.
        message: String,
    },
    /// The store could not answer (I/O, a damaged row). The message is for
    /// the log, not the client.
    #[error("store: {0}")]
    Store(String),
    /// A read replica's copy is being restored: there is nothing to read
    /// now, and asking again shortly (or another replica) will answer.
    #[error("the read replica's copy is being restored")]
    CopyRestoring,
}

/// What a NOT_FOUND answer is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// An agreement id.
    Agreement,
    /// An indicator code.
    Indicator,
    /// A vintage of an indicator series.
    Vintage,
    /// Bilateral figures for a pair.
    TradeData,
    /// A ranking (computed or quoted), or a partner in it.
    Ranking,
    /// A product breakdown.
    Products,
}

impl QueryError {
    pub(crate) fn not_found(
        missing: Missing,
        name: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::NotFound {
            missing,
            name: name.into(),
            message: message.into(),
        }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidArgument {
            field,
            reason: reason.into(),
        }
    }
}
