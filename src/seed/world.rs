//! Every agreement the WTO lists, from its RTA-IS export: one row becomes
//! one [`Agreement`] (id `wto-<RTA ID>`), its dates events citing the WTO.
//!
//! The same mapping serves twice: `data/wto/convert` writes the recorded
//! export into `data/world.toml`, the built-in world dataset
//! ([`world_toml`]), and the WTO refresh maps the live export row by row
//! ([`agreement`]), so the two can never disagree on what a row means.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};

use crate::domain::{
    Agreement, AgreementEvent, Coverage, EconomyCode, EventKind, MeetingFormat, PartialDate, Scope,
    Source, WtoListing, normalise, registry,
};
use crate::refresh::parse::wto::{self, PartyDates, RtaRow};

use super::file;

/// The publisher every world source names.
pub const WTO: &str = "World Trade Organization";

/// Why a row cannot become an agreement.
#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    #[error("the export cannot be read: {0}")]
    Parse(#[from] crate::refresh::parse::ParseError),
    #[error("RTA {rta_id} ({name}): party {party:?} is not in the economy registry")]
    UnknownParty {
        rta_id: u32,
        name: String,
        party: String,
    },
    #[error("the world file cannot be written: {0}")]
    Write(#[from] toml::ser::Error),
}

/// The id tradepact gives the WTO's agreement `rta_id`.
pub fn agreement_id(rta_id: u32) -> String {
    format!("wto-{rta_id}")
}

/// The citable page of one agreement: its RTA-IS ID card.
pub fn id_card_url(rta_id: u32) -> String {
    format!("https://rtais.wto.org/UI/PublicShowRTAIDCard.aspx?rtaid={rta_id}")
}

/// One row as an agreement citing `source`. Its parties are the current
/// signatories (the original ones, or the names in the title, when the
/// WTO gives none); its events, in date order, are the WTO's dates:
/// goods and services apart when they differ, each party's own entry and
/// exit, and an undated step for an early announcement.
pub fn agreement(row: &RtaRow, source: &Arc<Source>) -> Result<Agreement, WorldError> {
    let parties = parties(row)?;
    let mut events = Vec::new();
    let mut add = |kind: EventKind, date: Option<NaiveDate>, scope: Scope, note: String| {
        if let Some(start) = date.and_then(day) {
            events.push(event(kind, Some(start), scope, None, note, source));
        }
    };
    let in_force = row.status.to_lowercase().starts_with("in force") || row.inactive_date.is_some();
    for (kind, goods, services, what) in [
        (
            EventKind::Signed,
            row.signature_goods,
            row.signature_services,
            "Signature",
        ),
        (
            EventKind::EnteredIntoForce,
            row.entry_into_force_goods.filter(|_| in_force),
            row.entry_into_force_services.filter(|_| in_force),
            "Entry into force",
        ),
        (
            EventKind::NotifiedToWto,
            row.notification_goods,
            row.notification_services,
            "Notification to the WTO",
        ),
    ] {
        if goods == services || services.is_none() || goods.is_none() {
            add(
                kind,
                goods.or(services),
                Scope::All,
                format!("{what} per the WTO"),
            );
        } else {
            add(
                kind,
                goods,
                Scope::Goods,
                format!("{what} (goods) per the WTO"),
            );
            add(
                kind,
                services,
                Scope::Services,
                format!("{what} (services) per the WTO"),
            );
        }
    }
    add(
        EventKind::Other,
        row.consideration_date_goods,
        Scope::All,
        "WTO consideration".to_owned(),
    );
    add(
        EventKind::Terminated,
        row.inactive_date,
        Scope::All,
        "Inactive per the WTO".to_owned(),
    );
    for dates in &row.party_dates {
        events.extend(party_events(row, dates, source)?);
    }
    if events.is_empty() {
        events.extend(undated_step(row, source));
    }
    // Stable: events of one day keep the order above.
    events.sort_by_key(|event| event.start);
    Ok(Agreement {
        id: agreement_id(row.rta_id),
        name: row.name.clone(),
        kind: String::new(),
        parties,
        note: row.remarks.clone(),
        sources: vec![source.clone()],
        events,
        wto: Some(listing(row)),
    })
}

/// The WTO's record of the row beyond its dates. The agreement an
/// accession joins is linked afterwards ([`link_accessions`]).
fn listing(row: &RtaRow) -> WtoListing {
    let coverage = match (
        row.coverage.contains("Goods"),
        row.coverage.contains("Services"),
    ) {
        (true, true) => Coverage::GoodsAndServices,
        (true, false) => Coverage::Goods,
        (false, true) => Coverage::Services,
        (false, false) => Coverage::Unknown,
    };
    WtoListing {
        rta_id: row.rta_id,
        types: row
            .rta_type
            .split('&')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        coverage,
        composition: row.composition.clone(),
        regions: row.regions.clone(),
        accession_to: None,
        status: row.status.clone(),
    }
}

/// Links each accession ("CPTPP - Accession of the United Kingdom") to the
/// agreement it joins: the one named as the text before " - Accession",
/// or else the only one named that with a parenthesised remark ("EFTA -
/// Central America (Costa Rica and Panama)"). An accession whose agreement
/// the export does not name either way stays unlinked.
pub fn link_accessions(rows: &[RtaRow], agreements: &mut [Agreement]) {
    let by_name: HashMap<String, u32> = rows
        .iter()
        .map(|row| (normalise(&row.name), row.rta_id))
        .collect();
    for (row, agreement) in rows.iter().zip(agreements.iter_mut()) {
        if !row.accession {
            continue;
        }
        let Some(base) = row
            .name
            .find(" - Accession")
            .map(|at| row.name[..at].trim())
        else {
            continue;
        };
        let remarked = format!("{base} (");
        let mut with_remark = rows
            .iter()
            .filter(|other| !other.accession && other.name.starts_with(&remarked));
        let joined = by_name.get(&normalise(base)).copied().or_else(|| {
            match (with_remark.next(), with_remark.next()) {
                (Some(only), None) => Some(only.rta_id),
                _ => None,
            }
        });
        if let Some(wto) = agreement.wto.as_mut() {
            wto.accession_to = joined.filter(|id| *id != row.rta_id);
        }
    }
}

fn parties(row: &RtaRow) -> Result<Vec<EconomyCode>, WorldError> {
    let names: Vec<String> = if !row.current_signatories.is_empty() {
        row.current_signatories.clone()
    } else if !row.original_signatories.is_empty() {
        row.original_signatories.clone()
    } else {
        // An early announcement names its parties only in its title
        // ("Australia - Gulf Cooperation Council (GCC)"); a title that is
        // not a list of parties gives none.
        let parts: Vec<&str> = row.name.split(" - ").map(str::trim).collect();
        if parts.len() < 2 || parts.iter().any(|p| registry().resolve(p).is_none()) {
            return Ok(Vec::new());
        }
        parts.into_iter().map(str::to_owned).collect()
    };
    let mut codes: Vec<EconomyCode> = Vec::new();
    for name in names {
        let code = resolve(row, &name)?;
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    Ok(codes)
}

fn resolve(row: &RtaRow, name: &str) -> Result<EconomyCode, WorldError> {
    registry()
        .resolve(name)
        .cloned()
        .ok_or_else(|| WorldError::UnknownParty {
            rta_id: row.rta_id,
            name: row.name.clone(),
            party: name.to_owned(),
        })
}

/// One party's own entry into force and exit. An exit is dated the day
/// after the last day the WTO gives, the first day the agreement no
/// longer applied to it.
fn party_events(
    row: &RtaRow,
    dates: &PartyDates,
    source: &Arc<Source>,
) -> Result<Vec<AgreementEvent>, WorldError> {
    let party = resolve(row, &dates.party)?;
    let mut events = Vec::new();
    if let Some(entry) = dates.entry.and_then(day) {
        events.push(event(
            EventKind::EnteredIntoForce,
            Some(entry),
            Scope::All,
            Some(party.clone()),
            format!("Entry into force for {} per the WTO", dates.party),
            source,
        ));
    }
    if let Some(exit) = dates.exit.and_then(day) {
        events.push(event(
            EventKind::Withdrawn,
            Some(exit.day_after()),
            Scope::All,
            Some(party),
            format!(
                "Ceased to apply to {} after {exit} per the WTO",
                dates.party
            ),
            source,
        ));
    }
    Ok(events)
}

/// The step an early announcement stands at, when the WTO dates nothing.
fn undated_step(row: &RtaRow, source: &Arc<Source>) -> Option<AgreementEvent> {
    let status = row.status.to_lowercase();
    let (kind, note) = if status.contains("under negotiation") {
        (EventKind::Launched, "Under negotiation per the WTO")
    } else if status.contains("signed") {
        (EventKind::Signed, "Signed per the WTO")
    } else if status.starts_with("inactive") {
        (EventKind::Terminated, "Inactive per the WTO")
    } else if status.starts_with("in force") {
        (EventKind::EnteredIntoForce, "In force per the WTO")
    } else {
        return None;
    };
    Some(event(kind, None, Scope::All, None, note.to_owned(), source))
}

fn day(date: NaiveDate) -> Option<PartialDate> {
    PartialDate::new(date.year(), date.month() as i32, date.day() as i32).ok()
}

fn event(
    kind: EventKind,
    start: Option<PartialDate>,
    scope: Scope,
    party: Option<EconomyCode>,
    note: String,
    source: &Arc<Source>,
) -> AgreementEvent {
    AgreementEvent {
        kind,
        start,
        end: None,
        round_number: None,
        format: MeetingFormat::Unspecified,
        venue: String::new(),
        party,
        scope,
        note,
        sources: vec![source.clone()],
        conflicts: Vec::new(),
    }
}

/// The source every fact of one row of the recorded export cites.
pub fn recorded_source(row: &RtaRow, retrieved: &str) -> Source {
    Source {
        key: format!("wto-rtais-{}", row.rta_id),
        title: format!(
            "WTO Regional Trade Agreements Database (RTA-IS): {} (export retrieved {retrieved})",
            row.name
        ),
        publisher: WTO.to_owned(),
        url: id_card_url(row.rta_id),
        published: None,
        retrieved_at: None,
        license: "Facts (names, dates, parties) quoted from the WTO RTA-IS".to_owned(),
        redistributable: true,
    }
}

/// The world file for a recorded export (CSV or xlsx) retrieved on
/// `retrieved`: what `data/wto/convert` writes to `data/world.toml`.
pub fn world_toml(export: &[u8], retrieved: &str) -> Result<String, WorldError> {
    let mut rows = wto::parse(export)?;
    // In id order, so a newer export's diff shows what changed.
    rows.sort_by_key(|row| row.rta_id);
    let mut sources = Vec::new();
    let mut agreements = Vec::new();
    for row in &rows {
        let source = Arc::new(recorded_source(row, retrieved));
        agreements.push(agreement(row, &source)?);
        sources.push(source);
    }
    link_accessions(&rows, &mut agreements);
    let file = file::DatasetFile {
        format: super::FORMAT,
        version: format!("wto-rtais-{retrieved}"),
        sources: sources.iter().map(|s| source_entry(s)).collect(),
        agreements: agreements.iter().map(agreement_entry).collect(),
        economies: Vec::new(),
        groups: Vec::new(),
        trade: Vec::new(),
        quoted_ranks: Vec::new(),
        quoted_products: Vec::new(),
        indicators: Vec::new(),
        indicator_series: Vec::new(),
    };
    let header = format!(
        "# Generated by data/wto/convert from the WTO RTA-IS export retrieved {retrieved}\n\
         # (data/wto/). Do not edit by hand: rerun the script. Layout: data/FORMAT.md.\n\n"
    );
    Ok(header + &toml::to_string(&file)?)
}

fn source_entry(source: &Source) -> file::Source {
    file::Source {
        key: source.key.clone(),
        title: source.title.clone(),
        publisher: source.publisher.clone(),
        url: source.url.clone(),
        published: source.published.map(|d| d.to_string()),
        license: source.license.clone(),
        redistributable: source.redistributable,
    }
}

fn agreement_entry(agreement: &Agreement) -> file::Agreement {
    let keys = |sources: &[Arc<Source>]| sources.iter().map(|s| s.key.clone()).collect();
    file::Agreement {
        id: agreement.id.clone(),
        wto_rta_id: None,
        name: agreement.name.clone(),
        kind: agreement.kind.clone(),
        parties: agreement
            .parties
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect(),
        note: agreement.note.clone(),
        sources: keys(&agreement.sources),
        wto: agreement.wto.as_ref().map(|wto| file::Wto {
            rta_id: wto.rta_id,
            types: wto.types.clone(),
            coverage: wto.coverage.as_str().to_owned(),
            composition: wto.composition.clone(),
            regions: wto.regions.clone(),
            accession_to: wto.accession_to,
            status: wto.status.clone(),
        }),
        events: agreement
            .events
            .iter()
            .map(|event| file::Event {
                kind: event.kind.as_str().to_owned(),
                start: event.start.map(|d| d.to_string()),
                end: event.end.map(|d| d.to_string()),
                round: event.round_number,
                format: event.format.as_str().to_owned(),
                venue: event.venue.clone(),
                party: event.party.as_ref().map(|p| p.as_str().to_owned()),
                scope: event.scope.as_str().to_owned(),
                note: event.note.clone(),
                sources: keys(&event.sources),
                conflicts: Vec::new(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests;
