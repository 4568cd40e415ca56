//! Conversions between the domain model and the protobuf messages.

use std::sync::Arc;

use crate::domain::{
    AgreementEvent, AgreementStatus, AlternativeDate, EventKind, MeetingFormat, PartialDate,
    Source, TradeFlow,
};
use crate::query::{AgreementView, TradeYear};

use super::pb;

pub fn date(value: Option<PartialDate>) -> Option<pb::Date> {
    value.map(|d| pb::Date {
        year: d.year(),
        month: i32::from(d.month()),
        day: i32::from(d.day()),
    })
}

pub fn date_parts(value: Option<pb::Date>) -> Option<(i32, i32, i32)> {
    value.map(|d| (d.year, d.month, d.day))
}

pub fn sources(list: &[Arc<Source>]) -> Vec<pb::Source> {
    list.iter()
        .map(|s| pb::Source {
            title: s.title.clone(),
            publisher: s.publisher.clone(),
            url: s.url.clone(),
            published: date(s.published),
            retrieved_at: s.retrieved_at.clone().unwrap_or_default(),
            license: s.license.clone(),
            redistributable: s.redistributable,
        })
        .collect()
}

pub fn status(value: AgreementStatus) -> pb::AgreementStatus {
    use AgreementStatus as S;
    match value {
        S::Proposed => pb::AgreementStatus::Proposed,
        S::JointStudy => pb::AgreementStatus::JointStudy,
        S::Negotiating => pb::AgreementStatus::Negotiating,
        S::Suspended => pb::AgreementStatus::Suspended,
        S::Concluded => pb::AgreementStatus::Concluded,
        S::Signed => pb::AgreementStatus::Signed,
        S::InForce => pb::AgreementStatus::InForce,
        S::Terminated => pb::AgreementStatus::Terminated,
    }
}

/// `None` for UNSPECIFIED, which means "no filter".
pub fn status_filter(value: pb::AgreementStatus) -> Option<AgreementStatus> {
    use pb::AgreementStatus as P;
    match value {
        P::Unspecified => None,
        P::Proposed => Some(AgreementStatus::Proposed),
        P::JointStudy => Some(AgreementStatus::JointStudy),
        P::Negotiating => Some(AgreementStatus::Negotiating),
        P::Suspended => Some(AgreementStatus::Suspended),
        P::Concluded => Some(AgreementStatus::Concluded),
        P::Signed => Some(AgreementStatus::Signed),
        P::InForce => Some(AgreementStatus::InForce),
        P::Terminated => Some(AgreementStatus::Terminated),
    }
}

/// `None` for UNSPECIFIED; the query decides whether a flow is required.
pub fn flow(value: pb::TradeFlow) -> Option<TradeFlow> {
    match value {
        pb::TradeFlow::Unspecified => None,
        pb::TradeFlow::Export => Some(TradeFlow::Export),
        pb::TradeFlow::Import => Some(TradeFlow::Import),
        pb::TradeFlow::Total => Some(TradeFlow::Total),
    }
}

fn event_kind(value: EventKind) -> pb::EventKind {
    use EventKind as K;
    match value {
        K::Proposed => pb::EventKind::Proposed,
        K::JointStudy => pb::EventKind::JointStudy,
        K::Launched => pb::EventKind::Launched,
        K::Round => pb::EventKind::Round,
        K::Suspended => pb::EventKind::Suspended,
        K::Resumed => pb::EventKind::Resumed,
        K::Concluded => pb::EventKind::Concluded,
        K::Initialled => pb::EventKind::Initialled,
        K::Signed => pb::EventKind::Signed,
        K::Ratified => pb::EventKind::Ratified,
        K::EnteredIntoForce => pb::EventKind::EnteredIntoForce,
        K::ProvisionallyApplied => pb::EventKind::ProvisionallyApplied,
        K::NotifiedToWto => pb::EventKind::NotifiedToWto,
        K::JointCommittee => pb::EventKind::JointCommittee,
        K::Terminated => pb::EventKind::Terminated,
        K::Other => pb::EventKind::Other,
    }
}

fn meeting_format(value: MeetingFormat) -> pb::MeetingFormat {
    match value {
        MeetingFormat::Unspecified => pb::MeetingFormat::Unspecified,
        MeetingFormat::InPerson => pb::MeetingFormat::InPerson,
        MeetingFormat::Virtual => pb::MeetingFormat::Virtual,
        MeetingFormat::Hybrid => pb::MeetingFormat::Hybrid,
    }
}

fn alternative(value: &AlternativeDate) -> pb::AlternativeDate {
    pb::AlternativeDate {
        start: date(value.start),
        end: date(value.end),
        sources: sources(&value.sources),
    }
}

pub fn event(value: &AgreementEvent) -> pb::AgreementEvent {
    pb::AgreementEvent {
        kind: event_kind(value.kind).into(),
        start: date(value.start),
        end: date(value.end),
        round_number: value.round_number.map_or(0, |n| n as i32),
        format: meeting_format(value.format).into(),
        venue: value.venue.clone(),
        party: value
            .party
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        note: value.note.clone(),
        sources: sources(&value.sources),
        conflicts: value.conflicts.iter().map(alternative).collect(),
    }
}

/// Whether an answer carries events and sources: the requested view, or the
/// method's default for UNSPECIFIED.
pub fn full_view(requested: pb::AgreementView, default_full: bool) -> bool {
    match requested {
        pb::AgreementView::Unspecified => default_full,
        pb::AgreementView::Basic => false,
        pb::AgreementView::Full => true,
    }
}

/// `full`: with every event and source; otherwise the basic fields only.
pub fn agreement(view: &AgreementView, full: bool) -> pb::Agreement {
    let agreement = &view.agreement;
    pb::Agreement {
        id: agreement.id.clone(),
        name: agreement.name.clone(),
        kind: agreement.kind.clone(),
        parties: agreement.parties.iter().map(|p| p.to_string()).collect(),
        status: view
            .status
            .map_or(pb::AgreementStatus::Unspecified, |s| status(s.status))
            .into(),
        status_since: view.status.and_then(|s| date(s.since)),
        events: if full {
            agreement.events.iter().map(event).collect()
        } else {
            Vec::new()
        },
        sources: if full {
            sources(&agreement.sources)
        } else {
            Vec::new()
        },
        note: agreement.note.clone(),
    }
}

pub fn trade_year(value: &TradeYear) -> pb::TradeYear {
    pb::TradeYear {
        year: value.year,
        exports_usd: value.exports_usd,
        imports_usd: value.imports_usd,
        total_usd: value.total_usd,
        balance_usd: value.balance_usd,
        exports_growth_pct: value.exports_growth_pct,
        imports_growth_pct: value.imports_growth_pct,
        total_growth_pct: value.total_growth_pct,
        reported_by: value.reported_by.clone(),
        sources: sources(&value.sources),
        alternatives: value.alternatives.iter().map(trade_year).collect(),
        note: value.note.clone(),
    }
}
