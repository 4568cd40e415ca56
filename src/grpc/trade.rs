//! `tradepact.v1.TradeService`.

use tonic::{Request, Response, Status};

use crate::query::{self, BilateralQuery, ProductQuery, RankQuery, Ranking, SourceStatus};

use super::answer::Question;
use super::service::trade_service_server::TradeService;
use super::{Api, Encoded, convert, enum_field, pb};

#[derive(Clone)]
pub struct TradeApi(pub Api);

#[tonic::async_trait]
impl TradeService for TradeApi {
    async fn get_bilateral_trade(
        &self,
        request: Request<pb::GetBilateralTradeRequest>,
    ) -> Result<Response<Encoded<pb::GetBilateralTradeResponse>>, Status> {
        let (question, request) = Question::of(request)?;
        let query = BilateralQuery {
            reporter: request.reporter.clone(),
            partner: request.partner.clone(),
            start_year: request.start_year,
            end_year: request.end_year,
        };
        self.0.answer_from_snapshot(
            question,
            |dataset| query::bilateral_trade(dataset, &query),
            |trade, sources| pb::GetBilateralTradeResponse {
                freshness: convert::freshness(sources, &["customs", "imf"]),
                years: trade.years.iter().map(convert::trade_year).collect(),
                mirror_years: trade.mirror_years.iter().map(convert::trade_year).collect(),
            },
        )
    }

    async fn rank_partners(
        &self,
        request: Request<pb::RankPartnersRequest>,
    ) -> Result<Response<Encoded<pb::RankPartnersResponse>>, Status> {
        let (question, request) = Question::of(request)?;
        let flow: pb::TradeFlow = enum_field("flow", request.flow)?;
        let query = RankQuery {
            reporter: request.reporter.clone(),
            year: request.year,
            flow: convert::flow(flow),
            limit: request.limit,
            partners: request.partners.clone(),
        };
        self.0
            .answer_from_snapshot(
                question,
                |dataset| query::rank_partners(dataset, &query),
                ranking,
            )
            .map_err(|status| naming_the_ranking_source(status, &self.0.read_model.sources()))
    }

    async fn get_product_breakdown(
        &self,
        request: Request<pb::GetProductBreakdownRequest>,
    ) -> Result<Response<Encoded<pb::GetProductBreakdownResponse>>, Status> {
        let (question, request) = Question::of(request)?;
        let flow: pb::TradeFlow = enum_field("flow", request.flow)?;
        let query = ProductQuery {
            reporter: request.reporter.clone(),
            partner: request.partner.clone(),
            year: request.year,
            flow: convert::flow(flow),
            hs_digits: request.hs_digits,
            page_size: request.page_size,
            page_token: request.page_token.clone(),
        };
        self.0
            .answer_from_store(
                question,
                |dataset| query::check_product_query(dataset, &query),
                |dataset, question, store| {
                    store.read_products(|lines| query::product_breakdown(dataset, &question, lines))
                },
                |breakdown, sources| pb::GetProductBreakdownResponse {
                    freshness: convert::freshness(sources, &["comtrade"]),
                    products: breakdown
                        .products
                        .iter()
                        .map(|line| pb::ProductShare {
                            hs_code: line.hs_code.clone(),
                            description: line.description.clone(),
                            value_usd: line.value_usd,
                            share_pct: line.share_pct,
                        })
                        .collect(),
                    sources: convert::sources(&breakdown.sources),
                    quoted: breakdown.quoted,
                    next_page_token: breakdown.next_page_token.unwrap_or_default(),
                    total_size: breakdown.total as i32,
                },
            )
            .await
    }
}

/// A computed ranking fills `entries`; a quoted one only `quoted_entries`,
/// so a quoted rank is never read as a computed one. Without a computed
/// ranking, `missing` says which source would give the partner figures and
/// how it stands.
fn ranking(ranking: Ranking, sources: &[SourceStatus]) -> pb::RankPartnersResponse {
    let entries: Vec<pb::PartnerRank> = ranking
        .entries
        .iter()
        .map(|entry| pb::PartnerRank {
            rank: entry.rank.map(|r| r as i32),
            partners: entry.partners.iter().map(ToString::to_string).collect(),
            value_usd: entry.value_usd,
            share_pct: entry.share_pct,
            note: entry.note.clone(),
        })
        .collect();
    let (entries, quoted_entries, partner_count) = if ranking.quoted {
        (Vec::new(), entries, None)
    } else {
        (entries, Vec::new(), Some(ranking.partner_count as i32))
    };
    let missing = if entries.is_empty() {
        vec![convert::gap(
            format!("complete partner figures to rank {}", ranking.about),
            COMPLETE_PARTNER_FIGURES,
            sources,
        )]
    } else {
        Vec::new()
    };
    pb::RankPartnersResponse {
        entries,
        partner_count,
        sources: convert::sources(&ranking.sources),
        combined_share_pct: ranking.combined_share_pct,
        quoted_entries,
        freshness: convert::freshness(sources, &[COMPLETE_PARTNER_FIGURES]),
        missing,
    }
}

/// A ranking not found says which source would give the figures and how it
/// stands now (errors are never cached, so this is always current).
fn naming_the_ranking_source(status: Status, sources: &[SourceStatus]) -> Status {
    if status.code() != tonic::Code::NotFound {
        return status;
    }
    let gap = convert::gap(String::new(), COMPLETE_PARTNER_FIGURES, sources);
    Status::with_details_and_metadata(
        status.code(),
        format!(
            "{}; complete partner figures come from the {} source: {}",
            status.message(),
            gap.source,
            gap.source_state
        ),
        status.details().to_vec().into(),
        status.metadata().clone(),
    )
}

/// The source of every partner's figures for one reporter, which a
/// ranking needs.
const COMPLETE_PARTNER_FIGURES: &str = "comtrade";
