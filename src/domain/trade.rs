//! Trade figures: annual bilateral figures quoted by official sources, complete
//! partner and product data from statistics sources, and quoted rankings.

use std::sync::Arc;

use super::{EconomyCode, Source};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TradeFlow {
    Export,
    Import,
    Total,
}

impl TradeFlow {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Export => "export",
            Self::Import => "import",
            Self::Total => "total",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Export, Self::Import, Self::Total]
            .into_iter()
            .find(|flow| flow.as_str() == text)
    }
}

/// One year of trade between two economies as one of them reports it.
/// `exports_usd` flows reporter → partner.
#[derive(Debug, Clone, PartialEq)]
pub struct TradeFigure {
    pub reporter: EconomyCode,
    pub partner: EconomyCode,
    pub year: i32,
    pub exports_usd: Option<f64>,
    pub imports_usd: Option<f64>,
    /// Only when the source states it.
    pub total_usd: Option<f64>,
    /// Growth is only computed between figures of one family (one statistical
    /// source, however many outlets quote it).
    pub family: String,
    /// False for a figure that conflicts with the preferred one for its year.
    pub preferred: bool,
    pub note: String,
    pub sources: Vec<Arc<Source>>,
    /// Where the row came from: `builtin` or a refresh source's name.
    pub origin: String,
}

/// A rank or share stated by an official source ("58th export destination").
#[derive(Debug, Clone, PartialEq)]
pub struct QuotedRank {
    pub reporter: EconomyCode,
    pub year: i32,
    pub flow: TradeFlow,
    /// One code, or several joined by `+` for a combined share.
    pub partners: Vec<EconomyCode>,
    pub rank: Option<u32>,
    pub share_pct: Option<f64>,
    pub value_usd: Option<f64>,
    pub note: String,
    pub sources: Vec<Arc<Source>>,
}

/// The main products an official source names, in the order it names them.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotedProducts {
    pub reporter: EconomyCode,
    pub partner: EconomyCode,
    pub year: i32,
    pub flow: TradeFlow,
    pub products: Vec<String>,
    pub note: String,
    pub sources: Vec<Arc<Source>>,
}

/// The reporter's trade with one partner in one year and flow, from a source
/// that covers every partner (so ranks and shares can be computed).
#[derive(Debug, Clone, PartialEq)]
pub struct PartnerFlow {
    pub reporter: EconomyCode,
    pub partner: EconomyCode,
    pub year: i32,
    pub flow: TradeFlow,
    pub value_usd: f64,
    pub source: Arc<Source>,
    /// The refresh source that stored it; one ranking never mixes origins.
    pub origin: String,
}

/// The reporter's trade with a partner in one product (HS code).
#[derive(Debug, Clone, PartialEq)]
pub struct ProductFlow {
    pub reporter: EconomyCode,
    pub partner: EconomyCode,
    pub year: i32,
    pub flow: TradeFlow,
    /// 2, 4 or 6 digits.
    pub hs_code: String,
    pub description: String,
    pub value_usd: f64,
    pub source: Arc<Source>,
    /// The refresh source that stored it; one breakdown never mixes origins.
    pub origin: String,
}
