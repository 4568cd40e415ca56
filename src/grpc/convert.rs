//! Conversions between the domain model and the protobuf messages.

use std::sync::Arc;

use std::time::Duration;

use chrono::{DateTime, NaiveDate};

use crate::domain::{
    Agreement, AgreementEvent, AgreementStatus, AlternativeDate, Coverage, EconomyCode, EventKind,
    MeetingFormat, PartialDate, PartyStanding, Scope, Source, TradeFlow, WtoListing, registry,
};
use crate::query::{AgreementView, SourceStatus, TradeYear};

use super::google_type::Date;
use super::pb;

pub fn date(value: Option<PartialDate>) -> Option<Date> {
    value.map(|d| Date {
        year: d.year(),
        month: i32::from(d.month()),
        day: i32::from(d.day()),
    })
}

pub fn date_parts(value: Option<Date>) -> Option<(i32, i32, i32)> {
    value.map(|d| (d.year, d.month, d.day))
}

/// A "YYYY-MM-DD" day (a vintage) as a Date; `None` when it is not one.
pub fn day(text: &str) -> Option<Date> {
    use chrono::Datelike;
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(Date {
        year: day.year(),
        month: day.month() as i32,
        day: day.day() as i32,
    })
}

/// An RFC 3339 time (how the store keeps times) as a Timestamp; `None` for
/// an empty or unreadable one, which the store never writes.
pub fn timestamp(text: &str) -> Option<prost_types::Timestamp> {
    let time = DateTime::parse_from_rfc3339(text).ok()?;
    Some(prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: time.timestamp_subsec_nanos() as i32,
    })
}

pub fn duration(value: Duration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: value.as_secs() as i64,
        nanos: value.subsec_nanos() as i32,
    }
}

pub fn sources(list: &[Arc<Source>]) -> Vec<pb::Source> {
    list.iter()
        .map(|s| pb::Source {
            title: s.title.clone(),
            publisher: s.publisher.clone(),
            url: s.url.clone(),
            publish_date: date(s.published),
            retrieve_time: s.retrieved_at.as_deref().and_then(timestamp),
            license: s.license.clone(),
            redistributable: s.redistributable,
        })
        .collect()
}

/// An economy or a group, typed as which it is.
pub fn party(code: &EconomyCode) -> pb::Party {
    let kind = if registry().group(code).is_some() {
        pb::PartyKind::Group
    } else {
        pb::PartyKind::Economy
    };
    pb::Party {
        code: code.to_string(),
        kind: kind.into(),
    }
}

/// The WTO's categories: from its record when it has one, else those the
/// agreement's own designation implies.
fn agreement_kinds(agreement: &Agreement) -> Vec<i32> {
    let Some(wto) = agreement.wto.as_ref().filter(|wto| !wto.types.is_empty()) else {
        return kinds(&agreement.kind);
    };
    let mut out: Vec<i32> = Vec::new();
    for kind in wto.types.iter().flat_map(|t| kinds(t)) {
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    out
}

/// The WTO categories an agreement's own designation implies.
fn kinds(designation: &str) -> Vec<i32> {
    let kind = match designation.to_ascii_uppercase().as_str() {
        "FTA" | "CEPA" | "EPA" | "SECA" | "STEP" => pb::AgreementKind::FreeTradeAgreement,
        "CU" => pb::AgreementKind::CustomsUnion,
        "EIA" => pb::AgreementKind::EconomicIntegrationAgreement,
        "PSA" => pb::AgreementKind::PartialScopeAgreement,
        "DTA" | "DEA" => pb::AgreementKind::DigitalTradeAgreement,
        "FRAMEWORK" => pb::AgreementKind::FrameworkAgreement,
        "PROTOCOL" => pb::AgreementKind::Amendment,
        _ => return Vec::new(),
    };
    vec![kind.into()]
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
        S::ProvisionallyApplied => pb::AgreementStatus::ProvisionallyApplied,
        S::InForce => pb::AgreementStatus::InForce,
        S::Terminated => pb::AgreementStatus::Terminated,
    }
}

/// `None` for UNSPECIFIED, which means "no filter".
/// The status a list filters on; `None` for any. NOT_YET_EXISTING is no
/// filter: a list leaves out what did not exist on its date.
pub fn status_filter(value: pb::AgreementStatus) -> Result<Option<AgreementStatus>, tonic::Status> {
    use pb::AgreementStatus as P;
    Ok(match value {
        P::NotYetExisting => {
            return Err(super::errors::invalid_field(
                "status",
                "NOT_YET_EXISTING cannot be filtered on: a list leaves out the agreements that did not exist on its date",
            ));
        }
        P::Unspecified => None,
        P::Proposed => Some(AgreementStatus::Proposed),
        P::JointStudy => Some(AgreementStatus::JointStudy),
        P::Negotiating => Some(AgreementStatus::Negotiating),
        P::Suspended => Some(AgreementStatus::Suspended),
        P::Concluded => Some(AgreementStatus::Concluded),
        P::Signed => Some(AgreementStatus::Signed),
        P::ProvisionallyApplied => Some(AgreementStatus::ProvisionallyApplied),
        P::InForce => Some(AgreementStatus::InForce),
        P::Terminated => Some(AgreementStatus::Terminated),
    })
}

pub fn trade_flow(value: TradeFlow) -> pb::TradeFlow {
    match value {
        TradeFlow::Export => pb::TradeFlow::Export,
        TradeFlow::Import => pb::TradeFlow::Import,
        TradeFlow::Total => pb::TradeFlow::Total,
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
        K::Withdrawn => pb::EventKind::Withdrawn,
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
        round_number: value.round_number.map(|n| n as i32),
        format: meeting_format(value.format).into(),
        venue: value.venue.clone(),
        party: value.party.as_ref().map(party),
        note: value.note.clone(),
        sources: sources(&value.sources),
        conflicts: value.conflicts.iter().map(alternative).collect(),
        coverage: match value.scope {
            Scope::All => pb::Coverage::Unspecified,
            Scope::Goods => pb::Coverage::Goods,
            Scope::Services => pb::Coverage::Services,
        }
        .into(),
    }
}

fn coverage(value: Coverage) -> pb::Coverage {
    match value {
        Coverage::Unknown => pb::Coverage::Unspecified,
        Coverage::Goods => pb::Coverage::Goods,
        Coverage::Services => pb::Coverage::Services,
        Coverage::GoodsAndServices => pb::Coverage::GoodsAndServices,
    }
}

fn wto_listing(value: &WtoListing, accession_to: Option<&String>) -> pb::WtoListing {
    pb::WtoListing {
        rta_id: value.rta_id as i32,
        types: value.types.clone(),
        coverage: coverage(value.coverage).into(),
        composition: value.composition.clone(),
        regions: value.regions.clone(),
        accession_to: accession_to.cloned().unwrap_or_default(),
        status: value.status.clone(),
    }
}

fn party_status(value: &PartyStanding) -> pb::PartyStatus {
    pb::PartyStatus {
        party: Some(party(&value.party)),
        status: value
            .status
            .map_or(pb::AgreementStatus::Unspecified, |s| status(s.status))
            .into(),
        status_since: value.status.and_then(|s| date(s.since)),
        via: value.via.as_ref().map(party),
    }
}

/// The agreement's status field: NOT_YET_EXISTING before its first event.
fn overall_status(view: &AgreementView) -> pb::AgreementStatus {
    match view.status {
        Some(at) => status(at.status),
        None if view.not_yet_existing => pb::AgreementStatus::NotYetExisting,
        None => pb::AgreementStatus::Unspecified,
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

/// `full`: with every event and source, and every party's standing;
/// otherwise the basic fields, and the standings of the direct parties and
/// of the party a list was filtered on.
pub fn agreement(view: &AgreementView, full: bool) -> pb::Agreement {
    let agreement = &view.agreement;
    pb::Agreement {
        id: agreement.id.clone(),
        name: agreement.name.clone(),
        designation: agreement.kind.clone(),
        kinds: agreement_kinds(agreement),
        parties: agreement.parties.iter().map(party).collect(),
        status: overall_status(view).into(),
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
        wto: agreement
            .wto
            .as_ref()
            .map(|wto| wto_listing(wto, view.accession_to.as_ref())),
        party_statuses: view
            .parties
            .iter()
            .filter(|standing| {
                full || standing.via.is_none() || view.focus.as_ref() == Some(&standing.party)
            })
            .map(party_status)
            .collect(),
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

/// The freshness of the `named` sources among those configured, in the
/// order named; a source the server does not run is left out.
pub fn freshness(sources: &[SourceStatus], named: &[&str]) -> Vec<pb::SourceFreshness> {
    named
        .iter()
        .filter_map(|name| sources.iter().find(|source| source.name == *name))
        .map(source_freshness)
        .collect()
}

pub fn source_freshness(source: &SourceStatus) -> pb::SourceFreshness {
    pb::SourceFreshness {
        name: source.name.clone(),
        enabled: source.skip_reason.is_none(),
        last_success_time: source.last_success_at.as_deref().and_then(timestamp),
        stale: source.stale,
        max_age: Some(duration(source.max_age)),
    }
}

/// What is missing, the source that would supply it, and that source's
/// state as the answer's snapshot knows it ("not run by this server" when
/// it is not configured at all).
pub fn gap(what: String, source: &str, sources: &[SourceStatus]) -> pb::CoverageGap {
    pb::CoverageGap {
        what,
        source: source.to_owned(),
        source_state: sources
            .iter()
            .find(|status| status.name == source)
            .map_or_else(
                || "not run by this server".to_owned(),
                SourceStatus::describe,
            ),
    }
}
