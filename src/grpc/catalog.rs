//! `tradepact.v1.CatalogService`: what the server knows (economies,
//! indicators) and what it is (version, dataset, sources' freshness,
//! configuration), for clients to discover before they ask.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use chrono::SecondsFormat;

use tonic::{Request, Response, Status};

use crate::domain::PartialDate;
use crate::query::{self, CoverageQuery, EconomyEntry, ListEconomies, ReadModel};
use crate::refresh::schedule::Schedule;
use crate::refresh::worker::Refresher;

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
    pub replication: Arc<crate::replica::Replication>,
}

impl ServerFacts {
    pub fn new(
        settings: &crate::config::Settings,
        replication: Arc<crate::replica::Replication>,
    ) -> Self {
        let now = chrono::Utc::now();
        let public = settings
            .public_settings()
            .into_iter()
            .map(|(name, value)| {
                let value = if name.ends_with("url") || name == "replica" {
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
            replication,
        }
    }
}

#[derive(Clone)]
pub struct CatalogApi {
    read_model: Arc<ReadModel>,
    refresher: Arc<Refresher>,
    /// Set once the scheduler runs, for next run times.
    schedule: Arc<OnceLock<Arc<Schedule>>>,
    facts: ServerFacts,
}

impl CatalogApi {
    pub fn new(
        read_model: Arc<ReadModel>,
        refresher: Arc<Refresher>,
        schedule: Arc<OnceLock<Arc<Schedule>>>,
        facts: ServerFacts,
    ) -> Self {
        Self {
            read_model,
            refresher,
            schedule,
            facts,
        }
    }

    /// A gap with its source's state as answers report it (not configured
    /// and why, never run, or its last run and last success), then, for a
    /// source that runs, its next run.
    async fn gap_now(&self, what: String, source: &str) -> pb::CoverageGap {
        let mut gap = convert::gap(what, source, &self.read_model.sources());
        let runs = self
            .refresher
            .adapters()
            .iter()
            .any(|a| a.name() == source && a.skip_reason().is_none());
        if runs {
            gap.source_state.push_str(&match self.schedule.get() {
                Some(schedule) => match schedule.next_run(source).await {
                    Some(at) => format!(
                        "; next run at {}",
                        at.to_rfc3339_opts(SecondsFormat::Secs, true)
                    ),
                    None => "; not scheduled".to_owned(),
                },
                None => "; not scheduled (the refresh worker is off)".to_owned(),
            });
        }
        gap
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
        // The states every answer reports, published after each run and
        // whenever a source turns stale.
        let sources = self
            .read_model
            .sources()
            .iter()
            .map(convert::source_freshness)
            .collect();
        Ok(Response::new(pb::GetServerInfoResponse {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            build: env!("TRADEPACT_BUILD").to_owned(),
            start_time: Some(self.facts.start_time),
            dataset_version,
            sources,
            settings: self.facts.settings.clone().into_iter().collect(),
            replication: Some(replication(&self.facts.replication)),
        }))
    }

    async fn get_coverage(
        &self,
        request: Request<pb::GetCoverageRequest>,
    ) -> Result<Response<pb::GetCoverageResponse>, Status> {
        let request = request.into_inner();
        let snapshot = self.read_model.snapshot().ok_or_else(still_loading)?;
        let query = CoverageQuery {
            reporter: request.reporter,
            partner: request.partner,
        };
        let (reporter, partner) = query::check_coverage_query(&snapshot.dataset, &query)?;
        let store = self.refresher.store();
        let levels = match &partner {
            Some(partner) => store
                .product_levels_of(&reporter, partner)
                .await
                .map_err(|error| super::errors::store_failure("coverage", error))?,
            None => Vec::new(),
        };
        let coverage = query::coverage(&snapshot.dataset, &reporter, partner.as_ref(), &levels);
        let mut gaps = Vec::with_capacity(coverage.gaps.len());
        for gap in &coverage.gaps {
            gaps.push(self.gap_now(gap.what.clone(), gap.source).await);
        }
        let flow = |flow| i32::from(convert::trade_flow(flow));
        Ok(Response::new(pb::GetCoverageResponse {
            reporter: reporter.to_string(),
            partner: partner.map(|p| p.to_string()).unwrap_or_default(),
            bilateral: coverage
                .bilateral
                .into_iter()
                .map(|(by, years)| pb::BilateralCoverage {
                    reported_by: by.to_string(),
                    years,
                })
                .collect(),
            products: coverage
                .products
                .into_iter()
                .map(|year| pb::ProductCoverage {
                    year: year.year,
                    flow: flow(year.flow),
                    hs_digits: year.digits.into_iter().map(i32::from).collect(),
                    quoted: year.quoted,
                })
                .collect(),
            rankings: coverage
                .rankings
                .into_iter()
                .map(|ranking| pb::RankingCoverage {
                    year: ranking.year,
                    flow: flow(ranking.flow),
                    computed: ranking.computed,
                    quoted: ranking.quoted,
                })
                .collect(),
            indicators: coverage
                .indicators
                .into_iter()
                .map(|(indicator, years)| pb::IndicatorCoverage { indicator, years })
                .collect(),
            gaps,
        }))
    }
}

/// Replication as this process sees it.
fn replication(replication: &crate::replica::Replication) -> pb::Replication {
    use crate::config::Role;
    let progress = replication.progress();
    let role = replication.role();
    let reader = role == Role::Reader;
    pb::Replication {
        role: match role {
            Role::All => pb::ServerRole::All,
            Role::Writer => pb::ServerRole::Writer,
            Role::Reader => pb::ServerRole::Reader,
        }
        .into(),
        replica: replication.replica().unwrap_or_default().to_owned(),
        restored: reader && progress.restored,
        lag: replication
            .lag()
            .and_then(|lag| prost_types::Duration::try_from(lag).ok()),
        writer_heartbeat_time: progress
            .heartbeat_at
            .filter(|_| reader)
            .map(prost_types::Timestamp::from),
        txid: progress.txid.unwrap_or_default(),
        litestream_running: progress.child_running,
        litestream_restarts: progress.child_restarts,
    }
}
