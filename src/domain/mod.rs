//! The vocabulary of tradepact: agreements and their events, trade figures,
//! indicators, economies, dates and sources. Pure data and rules; no I/O.

mod agreement;
mod dataset;
mod date;
mod economy;
mod indicator;
mod products;
mod registry;
mod run;
pub mod similar;
mod subject;
mod trade;

pub use agreement::{
    Agreement, AgreementEvent, AgreementStatus, AlternativeDate, Coverage, EventKind,
    MeetingFormat, PartyStanding, Scope, StatusAt, WtoListing, add_sources,
};
pub use dataset::Dataset;
pub use date::{DateError, PartialDate};
pub(crate) use economy::shorten;
pub use economy::{Economy, EconomyCode, EconomyCodeError};
pub use indicator::{Indicator, IndicatorSeries};
pub use products::{HsCode, PageLine, ProductPage};
pub use registry::{
    CodeAlias, EconomyGroup, EconomyKind, EconomyName, Membership, REGISTRY_TOML,
    RegisteredEconomy, Registry, RegistryError, RegistrySource, normalise, registry,
};
pub use run::{Batch, ChangeKind, DataChange, RunRecord, RunState, StatusChange, Trigger};
pub use subject::{ChangeSubject, LineCounts};
pub use trade::{PartnerFlow, ProductFlow, QuotedProducts, QuotedRank, TradeFigure, TradeFlow};

/// The `origin` of rows that come from the built-in dataset.
pub const BUILTIN_ORIGIN: &str = "builtin";

/// Where a fact or figure comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// Stable key, unique within the dataset (`koreaherald-2020-10-05`).
    pub key: String,
    pub title: String,
    pub publisher: String,
    pub url: String,
    pub published: Option<PartialDate>,
    /// RFC 3339; `None` for facts compiled by hand.
    pub retrieved_at: Option<String>,
    pub license: String,
    pub redistributable: bool,
}
