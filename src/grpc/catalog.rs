//! `tradepact.v1.CatalogService`: what the server knows (economies,
//! indicators) and what it is (version, dataset, sources' freshness,
//! configuration), for clients to discover before they ask.

use std::collections::BTreeMap;
use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::domain::PartialDate;
use crate::query::{self, EconomyEntry, ListEconomies, ReadModel};
use crate::refresh::worker::{Refresher, is_stale};

use super::service::catalog_service_server::CatalogService;
use super::{convert, pb, still_loading};

/// What GetServerInfo says that does not change while the process runs.
#[derive(Clone)]
pub struct ServerFacts {
    pub start_time: prost_types::Timestamp,
    /// Non-secret settings, URLs with any credentials removed.
    pub settings: BTreeMap<String, String>,
    /// World Bank indicators configured for refresh.
    pub refreshed_indicators: Vec<String>,
}

impl ServerFacts {
    pub fn new(settings: &crate::config::Settings) -> Self {
        let now = chrono::Utc::now();
        let public = settings
            .public_settings()
            .into_iter()
            .map(|(name, value)| {
                let value = if name.ends_with("url") {
                    crate::refresh::sources::redact(&value)
                } else {
                    value
                };
                (name, value)
            })
            .collect();
        Self {
            start_time: prost_types::Timestamp {
                seconds: now.timestamp(),
                nanos: 0,
            },
            settings: public,
            refreshed_indicators: settings.refresh.worldbank_indicators.clone(),
        }
    }
}

#[derive(Clone)]
pub struct CatalogApi {
    read_model: Arc<ReadModel>,
    refresher: Arc<Refresher>,
    facts: ServerFacts,
}

impl CatalogApi {
    pub fn new(read_model: Arc<ReadModel>, refresher: Arc<Refresher>, facts: ServerFacts) -> Self {
        Self {
            read_model,
            refresher,
            facts,
        }
    }
}

fn today() -> PartialDate {
    use chrono::Datelike;
    let now = chrono::Utc::now().date_naive();
    PartialDate::new(now.year(), now.month() as i32, now.day() as i32)
        .unwrap_or_else(|_| unreachable!("today is a valid date"))
}

fn economy(entry: EconomyEntry) -> pb::EconomyInfo {
    let kind = if entry.is_group {
        pb::PartyKind::Group
    } else {
        pb::PartyKind::Economy
    };
    pb::EconomyInfo {
        code: entry.code.to_string(),
        kind: kind.into(),
        iso2: entry.iso2.unwrap_or_default(),
        numeric: entry.numeric.map(i32::from),
        name: entry.name,
        official_name: entry.official_name.unwrap_or_default(),
        aliases: entry.aliases,
        groups: entry.groups.iter().map(ToString::to_string).collect(),
        members: entry.members.iter().map(ToString::to_string).collect(),
        held: entry.held,
    }
}

#[tonic::async_trait]
impl CatalogService for CatalogApi {
    async fn list_economies(
        &self,
        request: Request<pb::ListEconomiesRequest>,
    ) -> Result<Response<pb::ListEconomiesResponse>, Status> {
        let request = request.into_inner();
        let snapshot = self.read_model.snapshot().ok_or_else(still_loading)?;
        let query = ListEconomies {
            query: request.query,
            as_of: convert::date_parts(request.as_of),
            page_size: request.page_size,
            page_token: request.page_token,
        };
        let page = query::list_economies(&snapshot.dataset, &query, today())?;
        Ok(Response::new(pb::ListEconomiesResponse {
            economies: page.economies.into_iter().map(economy).collect(),
            next_page_token: page.next_page_token.unwrap_or_default(),
            total_size: page.total as i32,
        }))
    }

    async fn list_indicators(
        &self,
        _request: Request<pb::ListIndicatorsRequest>,
    ) -> Result<Response<pb::ListIndicatorsResponse>, Status> {
        let snapshot = self.read_model.snapshot().ok_or_else(still_loading)?;
        let indicators = query::indicators(&snapshot.dataset, &self.facts.refreshed_indicators)
            .into_iter()
            .map(|summary| pb::IndicatorInfo {
                source: if summary.refreshed {
                    "worldbank".to_owned()
                } else {
                    String::new()
                },
                code: summary.code,
                name: summary.name,
                unit: summary.unit,
                economies: summary.economies.iter().map(ToString::to_string).collect(),
                first_year: summary.years.map(|(first, _)| first),
                last_year: summary.years.map(|(_, last)| last),
                vintages: summary
                    .vintages
                    .iter()
                    .filter_map(|vintage| convert::day(vintage))
                    .collect(),
            })
            .collect();
        Ok(Response::new(pb::ListIndicatorsResponse { indicators }))
    }

    async fn get_server_info(
        &self,
        _request: Request<pb::GetServerInfoRequest>,
    ) -> Result<Response<pb::GetServerInfoResponse>, Status> {
        let dataset_version = self
            .read_model
            .dataset()
            .map(|dataset| dataset.version.clone())
            .unwrap_or_default();
        let states = self
            .refresher
            .store()
            .source_states()
            .await
            .map_err(|error| super::errors::internal(format!("server info: {error}")))?;
        let sources = self
            .refresher
            .adapters()
            .iter()
            .map(|adapter| {
                let settings = adapter.settings();
                let last_success = states
                    .get(adapter.name())
                    .and_then(|state| state.last_success_at.clone());
                pb::SourceFreshness {
                    name: adapter.name().to_owned(),
                    enabled: adapter.skip_reason().is_none(),
                    last_success_time: last_success.as_deref().and_then(convert::timestamp),
                    stale: is_stale(last_success.as_deref(), settings.max_age),
                    max_age: Some(convert::duration(settings.max_age)),
                }
            })
            .collect();
        Ok(Response::new(pb::GetServerInfoResponse {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            build: env!("TRADEPACT_BUILD").to_owned(),
            start_time: Some(self.facts.start_time),
            dataset_version,
            sources,
            settings: self.facts.settings.clone().into_iter().collect(),
        }))
    }
}
