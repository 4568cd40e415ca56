//! Refresh runs and the changes they apply: the vocabulary shared by the
//! worker that performs runs, the store that records them and the API that
//! reports them.

use std::sync::Arc;

use super::{
    Agreement, AgreementEvent, AgreementStatus, Indicator, IndicatorSeries, PartnerFlow,
    ProductFlow, Source, TradeFigure,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunState {
    Running,
    Succeeded,
    /// The source answered "not modified"; nothing was written.
    Unchanged,
    Failed,
    /// Not configured (no key): not an error.
    Skipped,
    /// The previous run of the same source was still going.
    SkippedOverlap,
    /// Stopped by shutdown; its transaction rolled back.
    Cancelled,
    /// Found still running at start-up: the process died during it.
    Interrupted,
}

impl RunState {
    pub const ALL: [RunState; 8] = [
        Self::Running,
        Self::Succeeded,
        Self::Unchanged,
        Self::Failed,
        Self::Skipped,
        Self::SkippedOverlap,
        Self::Cancelled,
        Self::Interrupted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Succeeded => "SUCCEEDED",
            Self::Unchanged => "UNCHANGED",
            Self::Failed => "FAILED",
            Self::Skipped => "SKIPPED",
            Self::SkippedOverlap => "SKIPPED_OVERLAP",
            Self::Cancelled => "CANCELLED",
            Self::Interrupted => "INTERRUPTED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == text)
    }

    /// A run in this state brought the source's data up to date.
    pub fn is_success(self) -> bool {
        matches!(self, Self::Succeeded | Self::Unchanged)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trigger {
    Schedule,
    Startup,
    Manual,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Schedule => "SCHEDULE",
            Self::Startup => "STARTUP",
            Self::Manual => "MANUAL",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Schedule, Self::Startup, Self::Manual]
            .into_iter()
            .find(|trigger| trigger.as_str() == text)
    }
}

/// One run of one source, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub id: i64,
    pub source: String,
    pub trigger: Trigger,
    pub state: RunState,
    /// RFC 3339.
    pub started_at: String,
    pub finished_at: Option<String>,
    pub rows: i64,
    pub changes: i64,
    pub error: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    NewFigure,
    RevisedFigure,
    RemovedFigure,
    StatusChanged,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NewFigure => "NEW_FIGURE",
            Self::RevisedFigure => "REVISED_FIGURE",
            Self::RemovedFigure => "REMOVED_FIGURE",
            Self::StatusChanged => "STATUS_CHANGED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::NewFigure,
            Self::RevisedFigure,
            Self::RemovedFigure,
            Self::StatusChanged,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

/// One change a refresh applied, as committed.
#[derive(Debug, Clone, PartialEq)]
pub struct DataChange {
    pub seq: i64,
    pub run_id: i64,
    pub source: String,
    pub kind: ChangeKind,
    pub subject: String,
    pub year: Option<i32>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    /// RFC 3339.
    pub committed_at: String,
}

/// An agreement whose status a refresh changes.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    pub agreement_id: String,
    pub old: Option<AgreementStatus>,
    pub new: Option<AgreementStatus>,
}

/// Everything one source's run fetched, validated and ready to replace that
/// source's previous data in one transaction.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub sources: Vec<Arc<Source>>,
    pub indicators: Vec<Indicator>,
    pub indicator_series: Vec<IndicatorSeries>,
    pub partner_flows: Vec<PartnerFlow>,
    pub product_flows: Vec<ProductFlow>,
    pub trade: Vec<TradeFigure>,
    /// Events for agreements the dataset already holds, by agreement id.
    pub agreement_events: Vec<(String, AgreementEvent)>,
    /// Agreements the dataset does not hold yet (a new WTO listing), with
    /// their events; the source's next run replaces them.
    pub agreements: Vec<Agreement>,
}

impl Batch {
    /// Data rows (sources and definitions not counted).
    pub fn rows(&self) -> usize {
        self.indicator_series
            .iter()
            .map(|s| s.points.len())
            .sum::<usize>()
            + self.partner_flows.len()
            + self.product_flows.len()
            + self.trade.len()
            + self.agreement_events.len()
            + self.agreements.len()
    }
}

impl AgreementStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "PROPOSED",
            Self::JointStudy => "JOINT_STUDY",
            Self::Negotiating => "NEGOTIATING",
            Self::Suspended => "SUSPENDED",
            Self::Concluded => "CONCLUDED",
            Self::Signed => "SIGNED",
            Self::ProvisionallyApplied => "PROVISIONALLY_APPLIED",
            Self::InForce => "IN_FORCE",
            Self::Terminated => "TERMINATED",
        }
    }

    /// The status [`AgreementStatus::as_str`] names; `None` for any other text
    /// ("UNSPECIFIED": no status yet).
    pub fn parse_name(text: &str) -> Option<Self> {
        [
            Self::Proposed,
            Self::JointStudy,
            Self::Negotiating,
            Self::Suspended,
            Self::Concluded,
            Self::Signed,
            Self::ProvisionallyApplied,
            Self::InForce,
            Self::Terminated,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}
