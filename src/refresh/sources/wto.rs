//! WTO RTA-IS export (xlsx, no key): every agreement the WTO lists, each
//! row mapped the way the built-in world dataset is (`seed::world`).
//!
//! A row whose RTA-IS id an agreement already carries gives that agreement
//! its events, with the WTO as source: the store keeps them apart and the
//! merge (`Agreement::merge_events`) never overwrites a more precise date
//! from another source; disagreements become conflicts. A row no agreement
//! carries is a new agreement (`wto-<id>`), added with its events.

use std::collections::HashMap;
use std::sync::Arc;

use crate::domain::{Batch, Dataset, Source};
use crate::refresh::parse::wto::{self, RtaRow};
use crate::seed::world;

use super::{
    Fetch, FetchContext, SourceAdapter, SourceError, SourceSettings, parse_failure, provenance,
    redact, validators_of,
};

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
        let batch = batch_for(ctx, &rows);
        tracing::info!(
            rows = rows.len(),
            added = batch.agreements.len(),
            "WTO RTA list mapped"
        );
        let validators = vec![validators_of(&url, &body)];
        Ok(Fetch::Data { batch, validators })
    }
}

/// Every row the registry can read, as events of the agreement that
/// carries its RTA-IS id or as a new agreement. A row naming a party the
/// registry does not know is left out (and logged): one unknown name must
/// not cost the other rows.
fn batch_for(ctx: &FetchContext<'_>, rows: &[RtaRow]) -> Batch {
    let known = by_rta_id(ctx.dataset);
    let mut mapped_rows = Vec::new();
    let mut agreements = Vec::new();
    let mut sources = Vec::new();
    for row in rows {
        let source = source_for(ctx, row);
        match world::agreement(row, &source) {
            Ok(agreement) => {
                mapped_rows.push(row.clone());
                agreements.push(agreement);
                sources.push(source);
            }
            Err(error) => tracing::warn!(%error, "WTO row left out"),
        }
    }
    world::link_accessions(&mapped_rows, &mut agreements);
    let mut batch = Batch {
        sources,
        ..Batch::default()
    };
    for agreement in agreements {
        let rta_id = agreement.wto_rta_id();
        match rta_id.and_then(|id| known.get(&id)) {
            Some(id) => batch.agreement_events.extend(
                agreement
                    .events
                    .into_iter()
                    .map(|event| ((*id).to_owned(), event)),
            ),
            None => batch.agreements.push(agreement),
        }
    }
    batch
}

/// The id of the agreement that carries each RTA-IS id.
fn by_rta_id(dataset: &Dataset) -> HashMap<u32, &str> {
    dataset
        .agreements
        .values()
        .filter_map(|agreement| Some((agreement.wto_rta_id()?, agreement.id.as_str())))
        .collect()
}

fn source_for(ctx: &FetchContext<'_>, row: &RtaRow) -> Arc<Source> {
    let url = world::id_card_url(row.rta_id);
    let mut source = provenance(
        format!("wto-rta-{}", row.rta_id),
        format!("WTO Regional Trade Agreements database: {}", row.name),
        world::WTO,
        &url,
        ctx,
        "Facts (names, dates, parties) quoted from the WTO RTA-IS",
        true,
    );
    if let Some(source) = Arc::get_mut(&mut source) {
        // The ID card is the citable page, and it has no secret in its query.
        source.url = url;
    }
    source
}
