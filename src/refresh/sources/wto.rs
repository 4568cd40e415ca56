//! WTO RTA-IS export (xlsx, no key): statuses and dates of the agreements
//! notified to the WTO, mapped onto the agreements tradepact knows and merged
//! into their events with the WTO as source. The store keeps them apart and
//! the merge (`Agreement::merge_events`) never overwrites a more precise
//! date from another source; disagreements become conflicts.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};

use crate::domain::{
    Agreement, AgreementEvent, Batch, Dataset, EconomyCode, EventKind, MeetingFormat, PartialDate,
    Source,
};
use crate::refresh::parse::wto::{self, RtaRow};

use super::{
    Fetch, FetchContext, SourceAdapter, SourceError, SourceSettings, parse_failure, provenance,
    redact, validators_of,
};

/// WTO names that are not an economy's ISO short name.
const ALIASES: &[(&str, &str)] = &[
    ("United States of America", "USA"),
    ("European Union", "EU"),
    ("European Free Trade Association (EFTA)", "EFTA"),
    ("ASEAN Free Trade Area (AFTA)", "ASEAN"),
    ("Gulf Cooperation Council (GCC)", "GCC"),
    ("Korea, Republic of", "KOR"),
];

/// Agreement-id suffixes of instruments that are never the WTO's "the" agreement.
const SIDE_INSTRUMENTS: &[&str] = &["-framework", "-investment", "-protocol", "-upgrade", "-dta"];

pub struct Wto {
    pub settings: SourceSettings,
}

#[tonic::async_trait]
impl SourceAdapter for Wto {
    fn name(&self) -> &'static str {
        "wto"
    }

    fn settings(&self) -> &SourceSettings {
        &self.settings
    }

    async fn fetch(&self, ctx: &FetchContext<'_>) -> Result<Fetch, SourceError> {
        let url = self.settings.base_url.clone();
        let Some(body) = ctx.get(&url, Vec::new()).await? else {
            return Ok(Fetch::Unchanged);
        };
        let rows = wto::parse(&body.body).map_err(|e| parse_failure(&url, body.status, e))?;
        if !(200..300).contains(&body.status) {
            return Err(SourceError::Status {
                url: redact(&url),
                status: body.status,
            });
        }
        let names = NameIndex::new(ctx.dataset);
        let mut batch = Batch::default();
        let mut matched = 0;
        for row in &rows {
            let Some(parties) = names.codes(&row.current_signatories) else {
                continue;
            };
            let source = source_for(ctx, row);
            let mut used = false;
            for (id, events) in events_for(ctx.dataset, row, &parties, &source) {
                used = true;
                batch
                    .agreement_events
                    .extend(events.into_iter().map(|e| (id.clone(), e)));
            }
            if used {
                matched += 1;
                batch.sources.push(source);
            }
        }
        tracing::info!(
            rows = rows.len(),
            matched,
            "WTO RTA list mapped onto known agreements"
        );
        let validators = vec![validators_of(&url, &body)];
        Ok(Fetch::Data { batch, validators })
    }
}

/// Economy names (ISO short names and aliases) → codes.
struct NameIndex(HashMap<String, EconomyCode>);

impl NameIndex {
    fn new(dataset: &Dataset) -> Self {
        let mut index: HashMap<String, EconomyCode> = dataset
            .economies
            .values()
            .map(|e| (e.name.to_lowercase(), e.code.clone()))
            .collect();
        for (name, code) in ALIASES {
            if let Ok(code) = EconomyCode::parse(code) {
                index.insert(name.to_lowercase(), code);
            }
        }
        Self(index)
    }

    /// Every signatory's code, or `None` if one is not known.
    fn codes(&self, names: &[String]) -> Option<BTreeSet<EconomyCode>> {
        names
            .iter()
            .map(|name| self.0.get(&name.trim().to_lowercase()).cloned())
            .collect()
    }
}

fn source_for(ctx: &FetchContext<'_>, row: &RtaRow) -> Arc<Source> {
    let url = format!(
        "https://rtais.wto.org/UI/PublicShowRTAIDCard.aspx?rtaid={}",
        row.rta_id
    );
    let mut source = provenance(
        format!("wto-rta-{}", row.rta_id),
        format!("WTO Regional Trade Agreements database: {}", row.name),
        "World Trade Organization",
        &url,
        ctx,
        "WTO RTA-IS; terms of reuse not stated",
        false,
    );
    if let Some(source) = Arc::get_mut(&mut source) {
        // The ID card is the citable page, and it has no secret in its query.
        source.url = url;
    }
    source
}

/// The agreements a WTO row speaks for, each with the events it gives.
/// Goods dates go to the goods instrument and services dates to a separate
/// services instrument when tradepact holds one (Korea–ASEAN, Korea–Türkiye).
fn events_for(
    dataset: &Dataset,
    row: &RtaRow,
    parties: &BTreeSet<EconomyCode>,
    source: &Arc<Source>,
) -> Vec<(String, Vec<AgreementEvent>)> {
    let candidates: Vec<&Agreement> = dataset
        .agreements
        .values()
        .filter(|a| a.parties.iter().cloned().collect::<BTreeSet<_>>() == *parties)
        .collect();
    let main = candidates
        .iter()
        .find(|a| a.id.ends_with("-goods"))
        .or_else(|| {
            candidates.iter().find(|a| {
                !SIDE_INSTRUMENTS.iter().any(|s| a.id.ends_with(s)) && !a.id.ends_with("-services")
            })
        })
        .copied();
    let services = candidates
        .iter()
        .find(|a| a.id.ends_with("-services"))
        .copied();
    let mut out = Vec::new();
    let goods_covered = row.coverage.contains("Goods") || row.coverage.is_empty();
    if let Some(main) = main {
        let dates = if goods_covered {
            Dates::goods(row)
        } else {
            Dates::services(row)
        };
        out.push((main.id.clone(), dates.events(row, source, "")));
    }
    if let (Some(services), true) = (services, row.coverage.contains("Services")) {
        out.push((
            services.id.clone(),
            Dates::services(row).events(row, source, " (services)"),
        ));
    }
    out.retain(|(_, events)| !events.is_empty());
    out
}

struct Dates {
    signed: Option<NaiveDate>,
    notified: Option<NaiveDate>,
    in_force: Option<NaiveDate>,
    considered: Option<NaiveDate>,
}

impl Dates {
    fn goods(row: &RtaRow) -> Self {
        Self {
            signed: row.signature_goods.or(row.signature_services),
            notified: row.notification_goods,
            in_force: row.entry_into_force_goods,
            considered: row.consideration_date_goods,
        }
    }

    fn services(row: &RtaRow) -> Self {
        Self {
            signed: row.signature_services.or(row.signature_goods),
            notified: row.notification_services,
            in_force: row.entry_into_force_services,
            considered: None,
        }
    }

    fn events(&self, row: &RtaRow, source: &Arc<Source>, suffix: &str) -> Vec<AgreementEvent> {
        let in_force = row.status.to_lowercase().starts_with("in force");
        let mut events = Vec::new();
        let mut push = |kind: EventKind, date: Option<NaiveDate>, note: String| {
            if let Some(start) = date.and_then(day) {
                events.push(event(kind, start, note, source));
            }
        };
        push(
            EventKind::Signed,
            self.signed,
            format!("Signature per the WTO{suffix}"),
        );
        push(
            EventKind::EnteredIntoForce,
            self.in_force
                .filter(|_| in_force || row.inactive_date.is_some()),
            format!("Entry into force per the WTO{suffix}"),
        );
        push(
            EventKind::NotifiedToWto,
            self.notified,
            format!("Notified to the WTO{suffix}"),
        );
        push(
            EventKind::Other,
            self.considered,
            format!("WTO consideration{suffix}"),
        );
        push(
            EventKind::Terminated,
            row.inactive_date,
            format!("Inactive per the WTO{suffix}"),
        );
        events
    }
}

fn day(date: NaiveDate) -> Option<PartialDate> {
    PartialDate::new(date.year(), date.month() as i32, date.day() as i32).ok()
}

fn event(
    kind: EventKind,
    start: PartialDate,
    note: String,
    source: &Arc<Source>,
) -> AgreementEvent {
    AgreementEvent {
        kind,
        start: Some(start),
        end: None,
        round_number: None,
        format: MeetingFormat::Unspecified,
        venue: String::new(),
        party: None,
        note,
        sources: vec![source.clone()],
        conflicts: Vec::new(),
    }
}
