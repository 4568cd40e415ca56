//! Bad input: each case gets INVALID_ARGUMENT or NOT_FOUND with a message
//! that names the offending field (or the unknown thing).

use tradepact::grpc::pb;
use tradepact::grpc::pb::{AgreementStatus, TradeFlow};

use crate::helpers::{assert_status, date, spawn_app};

/// One test per case: start the app, make the call, check code and message.
macro_rules! rejects {
    ($name:ident, $code:ident, $needle:expr, |$app:ident| $call:expr) => {
        #[tokio::test]
        async fn $name() {
            #[allow(unused_mut)]
            let mut $app = spawn_app().await;
            let result = $call.await;
            assert_status(result, tonic::Code::$code, $needle);
            $app.stop().await;
        }
    };
}

fn list(request: pb::ListAgreementsRequest) -> pb::ListAgreementsRequest {
    request
}

fn bilateral(
    reporter: &str,
    partner: &str,
    start_year: i32,
    end_year: i32,
) -> pb::GetBilateralTradeRequest {
    pb::GetBilateralTradeRequest {
        reporter: reporter.into(),
        partner: partner.into(),
        start_year,
        end_year,
    }
}

fn rank(flow: i32, year: i32, limit: i32, partner: &str) -> pb::RankPartnersRequest {
    pb::RankPartnersRequest {
        reporter: "KOR".into(),
        year,
        flow,
        limit,
        partners: Some(partner)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .into_iter()
            .collect(),
    }
}

fn products(flow: i32, hs_digits: i32) -> pb::GetProductBreakdownRequest {
    pb::GetProductBreakdownRequest {
        reporter: "KOR".into(),
        partner: "KHM".into(),
        year: 2019,
        flow,
        hs_digits,
        ..Default::default()
    }
}

fn series(
    economy: &str,
    indicator: &str,
    vintage: Option<(i32, i32, i32)>,
) -> pb::GetIndicatorSeriesRequest {
    pb::GetIndicatorSeriesRequest {
        economy: economy.into(),
        indicator: indicator.into(),
        start_year: 0,
        end_year: 0,
        vintage: vintage.and_then(|(year, month, day)| date(year, month, day)),
    }
}

const GDP_GROWTH: &str = "NY.GDP.MKTP.KD.ZG";

rejects!(empty_agreement_id, InvalidArgument, "id", |app| app
    .agreement("", None));
rejects!(malformed_agreement_id, InvalidArgument, "id", |app| app
    .agreement("kor khm!", None));
rejects!(unknown_agreement_id, NotFound, "kor-xyz", |app| app
    .agreement("kor-xyz", None));
rejects!(as_of_without_a_day, InvalidArgument, "as_of", |app| app
    .agreement("kor-khm", Some((2020, 10, 0))));
rejects!(as_of_that_does_not_exist, InvalidArgument, "as_of", |app| {
    app.agreement("kor-khm", Some((2021, 2, 29)))
});

rejects!(negative_page_size, InvalidArgument, "page_size", |app| app
    .agreements
    .list_agreements(list(pb::ListAgreementsRequest {
        page_size: -1,
        ..Default::default()
    })));
rejects!(foreign_page_token, InvalidArgument, "page_token", |app| app
    .agreements
    .list_agreements(list(pb::ListAgreementsRequest {
        page_token: "not-a-token".into(),
        ..Default::default()
    })));
rejects!(unknown_status_value, InvalidArgument, "status", |app| app
    .agreements
    .list_agreements(list(pb::ListAgreementsRequest {
        status: 42,
        ..Default::default()
    })));
rejects!(unknown_view_in_list, InvalidArgument, "view", |app| app
    .agreements
    .list_agreements(list(pb::ListAgreementsRequest {
        view: 9,
        ..Default::default()
    })));
rejects!(unknown_view_in_get, InvalidArgument, "view", |app| app
    .agreements
    .get_agreement(pb::GetAgreementRequest {
        id: "kor-khm".into(),
        view: -1,
        ..Default::default()
    }));
rejects!(malformed_party, InvalidArgument, "party", |app| app
    .agreements
    .list_agreements(list(pb::ListAgreementsRequest {
        party: "K0R".into(),
        ..Default::default()
    })));
// An unknown value in a request field is the request's fault (AIP-193).
rejects!(unknown_party, InvalidArgument, "party", |app| app
    .agreements
    .list_agreements(list(pb::ListAgreementsRequest {
        party: "XYZ".into(),
        ..Default::default()
    })));
rejects!(partial_as_of_in_list, InvalidArgument, "as_of", |app| app
    .agreements
    .list_agreements(list(pb::ListAgreementsRequest {
        as_of: date(2020, 0, 0),
        ..Default::default()
    })));

#[tokio::test]
async fn page_token_used_with_other_filters() {
    let mut app = spawn_app().await;
    let first = app
        .agreements
        .list_agreements(pb::ListAgreementsRequest {
            party: "KOR".into(),
            page_size: 2,
            ..Default::default()
        })
        .await
        .expect("first page")
        .into_inner();
    let result = app
        .agreements
        .list_agreements(pb::ListAgreementsRequest {
            party: "KOR".into(),
            status: AgreementStatus::InForce as i32,
            page_size: 2,
            page_token: first.next_page_token,
            ..Default::default()
        })
        .await;
    assert_status(result, tonic::Code::InvalidArgument, "page_token");
    app.stop().await;
}

rejects!(
    empty_rounds_agreement_id,
    InvalidArgument,
    "agreement_id",
    |app| app
        .agreements
        .list_negotiation_rounds(pb::ListNegotiationRoundsRequest {
            agreement_id: String::new(),
            ..Default::default()
        })
);
rejects!(unknown_rounds_agreement_id, NotFound, "kor-zzz", |app| app
    .agreements
    .list_negotiation_rounds(pb::ListNegotiationRoundsRequest {
        agreement_id: "kor-zzz".into(),
        ..Default::default()
    }));
rejects!(
    negative_rounds_page_size,
    InvalidArgument,
    "page_size",
    |app| app
        .agreements
        .list_negotiation_rounds(pb::ListNegotiationRoundsRequest {
            agreement_id: "kor-khm".into(),
            page_size: -1,
            ..Default::default()
        })
);

rejects!(empty_reporter, InvalidArgument, "reporter", |app| app
    .trade
    .get_bilateral_trade(bilateral("", "KHM", 0, 0)));
rejects!(malformed_reporter, InvalidArgument, "reporter", |app| app
    .trade
    .get_bilateral_trade(bilateral("K", "KHM", 0, 0)));
rejects!(unknown_partner, InvalidArgument, "partner", |app| app
    .trade
    .get_bilateral_trade(bilateral("KOR", "ZZZ", 0, 0)));
rejects!(
    same_reporter_and_partner,
    InvalidArgument,
    "partner",
    |app| app.trade.get_bilateral_trade(bilateral("KOR", "kor", 0, 0))
);
rejects!(backwards_years, InvalidArgument, "start_year", |app| app
    .trade
    .get_bilateral_trade(bilateral("KOR", "KHM", 2020, 2010)));
rejects!(absurd_end_year, InvalidArgument, "end_year", |app| app
    .trade
    .get_bilateral_trade(bilateral("KOR", "KHM", 2010, 99_999)));
rejects!(negative_start_year, InvalidArgument, "start_year", |app| {
    app.trade
        .get_bilateral_trade(bilateral("KOR", "KHM", -2019, 0))
});

rejects!(
    rank_without_flow,
    InvalidArgument,
    "flow: is required: TRADE_FLOW_EXPORT, TRADE_FLOW_IMPORT or TRADE_FLOW_TOTAL",
    |app| app.trade.rank_partners(rank(0, 2019, 0, ""))
);
rejects!(rank_with_unknown_flow, InvalidArgument, "flow", |app| app
    .trade
    .rank_partners(rank(42, 2019, 0, "")));
rejects!(rank_without_year, InvalidArgument, "year", |app| app
    .trade
    .rank_partners(rank(TradeFlow::Export as i32, 0, 0, "")));
rejects!(rank_with_negative_limit, InvalidArgument, "limit", |app| {
    app.trade
        .rank_partners(rank(TradeFlow::Export as i32, 2019, -3, ""))
});
rejects!(
    rank_with_partners_and_a_limit,
    InvalidArgument,
    "limit",
    |app| {
        app.trade
            .rank_partners(rank(TradeFlow::Export as i32, 2019, 5, "KHM"))
    }
);
rejects!(rank_for_a_year_with_no_data, NotFound, "2015", |app| app
    .trade
    .rank_partners(rank(TradeFlow::Export as i32, 2015, 0, "KHM")));

rejects!(
    products_with_odd_hs_digits,
    InvalidArgument,
    "hs_digits",
    |app| app
        .trade
        .get_product_breakdown(products(TradeFlow::Export as i32, 3))
);
rejects!(
    products_for_total_flow,
    InvalidArgument,
    "flow: TRADE_FLOW_TOTAL is not offered for products",
    |app| app
        .trade
        .get_product_breakdown(products(TradeFlow::Total as i32, 2))
);
rejects!(
    products_with_a_forged_page_token,
    InvalidArgument,
    "page_token",
    |app| app
        .trade
        .get_product_breakdown(pb::GetProductBreakdownRequest {
            page_token: "AQ".repeat(20),
            ..products(TradeFlow::Export as i32, 2)
        })
);
rejects!(
    products_without_flow,
    InvalidArgument,
    "flow: is required: TRADE_FLOW_EXPORT or TRADE_FLOW_IMPORT",
    |app| app.trade.get_product_breakdown(products(0, 2))
);

rejects!(
    runs_of_a_source_that_does_not_exist,
    InvalidArgument,
    "source: 'nosuch' is not a source; one of ",
    |app| app.refresh.list_refresh_runs(pb::ListRefreshRunsRequest {
        source: "nosuch".into(),
        ..Default::default()
    })
);
rejects!(
    changes_of_a_source_that_does_not_exist,
    InvalidArgument,
    "source: 'nosuch' is not a source",
    |app| app.refresh.watch_changes(pb::WatchChangesRequest {
        source: "nosuch".into(),
        ..Default::default()
    })
);

rejects!(empty_economy, InvalidArgument, "economy", |app| app
    .indicators
    .get_indicator_series(series("", GDP_GROWTH, None)));
rejects!(empty_indicator, InvalidArgument, "indicator", |app| app
    .indicators
    .get_indicator_series(series("KHM", "", None)));
rejects!(malformed_indicator, InvalidArgument, "indicator", |app| app
    .indicators
    .get_indicator_series(series("KHM", "gdp growth", None)));
rejects!(unknown_indicator, NotFound, "indicator", |app| app
    .indicators
    .get_indicator_series(series("KHM", "NY.GDP.PCAP.CD", None)));
rejects!(partial_vintage, InvalidArgument, "vintage", |app| app
    .indicators
    .get_indicator_series(series(
        "KHM",
        GDP_GROWTH,
        Some((2024, 6, 0))
    )));
rejects!(impossible_vintage, InvalidArgument, "vintage", |app| app
    .indicators
    .get_indicator_series(series(
        "KHM",
        GDP_GROWTH,
        Some((2024, 2, 30))
    )));
rejects!(unknown_vintage, NotFound, "vintage", |app| app
    .indicators
    .get_indicator_series(series(
        "KHM",
        GDP_GROWTH,
        Some((1999, 1, 1))
    )));

// The form of every field is checked before anything is looked up, so a
// malformed request is INVALID_ARGUMENT whatever the store holds.
rejects!(
    backwards_years_with_an_unknown_reporter,
    InvalidArgument,
    "start_year",
    |app| app
        .trade
        .get_bilateral_trade(bilateral("ZZZ", "KHM", 2020, 2010))
);
rejects!(
    malformed_vintage_for_an_unknown_economy,
    InvalidArgument,
    "vintage",
    |app| app
        .indicators
        .get_indicator_series(series("ZZZ", GDP_GROWTH, Some((2024, 0, 0))))
);

/// The reason a client switches on, for each kind of failure.
async fn reason_of<T: std::fmt::Debug>(
    call: impl std::future::Future<Output = Result<T, tonic::Status>>,
) -> (tonic::Code, String) {
    use tonic_types::StatusExt;
    let status = call.await.expect_err("an error");
    let reason = status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default();
    (status.code(), reason)
}

#[tokio::test]
async fn each_failure_has_its_stable_reason() {
    use tonic::Code;
    let mut app = spawn_app().await;
    assert_eq!(
        reason_of(app.agreement("kor-xyz", None)).await,
        (Code::NotFound, "AGREEMENT_NOT_FOUND".into())
    );
    assert_eq!(
        reason_of(app.agreement("kor khm!", None)).await,
        (Code::InvalidArgument, "FIELD_INVALID".into())
    );
    assert_eq!(
        reason_of(
            app.trade
                .rank_partners(rank(TradeFlow::Export as i32, 2015, 0, "KHM"))
        )
        .await,
        (Code::NotFound, "RANKING_NOT_HELD".into())
    );
    assert_eq!(
        reason_of(
            app.indicators
                .get_indicator_series(series("KHM", "NY.GDP.PCAP.CD", None))
        )
        .await,
        (Code::NotFound, "INDICATOR_NOT_HELD".into())
    );
    assert_eq!(
        reason_of(app.refresh.list_refresh_runs(pb::ListRefreshRunsRequest {
            source: "nosuch".into(),
            ..Default::default()
        }))
        .await,
        (Code::InvalidArgument, "UNKNOWN_SOURCE".into())
    );
    assert_eq!(
        reason_of(
            app.refresh
                .get_refresh_run(pb::GetRefreshRunRequest { id: 987_654 })
        )
        .await,
        (Code::NotFound, "RUN_NOT_FOUND".into())
    );
    app.stop().await;
}

// A pair the server holds nothing for is NOT_FOUND naming the pair, never an
// empty answer with OK.
rejects!(bilateral_trade_not_held, NotFound, "KOR and NZL", |app| app
    .trade
    .get_bilateral_trade(bilateral("KOR", "NZL", 0, 0)));
