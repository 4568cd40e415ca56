//! Every field that takes an economy accepts its alpha-3, alpha-2 or numeric
//! code, a name or an alias, in any case; answers always use alpha-3 (or
//! the group's code), so a question asked by name answers exactly as the
//! same question asked by code.

use tradepact::grpc::pb;
use tradepact::grpc::pb::TradeFlow;

use crate::helpers::{TestApp, assert_status, spawn_app};

const GDP_GROWTH: &str = "NY.GDP.MKTP.KD.ZG";

async fn agreements_of(app: &mut TestApp, party: &str) -> pb::ListAgreementsResponse {
    app.agreements
        .list_agreements(pb::ListAgreementsRequest {
            party: party.into(),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("agreements of {party:?}: {e}"))
        .into_inner()
}

fn ids(page: &pb::ListAgreementsResponse) -> Vec<String> {
    page.agreements.iter().map(|a| a.id.clone()).collect()
}

#[tokio::test]
async fn bilateral_trade_by_names_answers_like_by_codes() {
    let mut app = spawn_app().await;
    let by_code = app.bilateral("KOR", "KHM").await.expect("by code");
    assert!(!by_code.years.is_empty());
    for (reporter, partner) in [
        ("South Korea", "Cambodia"),
        ("Korea, Republic of", "kh"),
        ("kr", "CAMBODIA"),
        ("410", "116"),
    ] {
        let by_name = app.bilateral(reporter, partner).await;
        assert_eq!(
            by_name.as_ref().ok(),
            Some(&by_code),
            "{reporter:?} / {partner:?}"
        );
    }
    assert!(by_code.years.iter().all(|y| y.reported_by == "KOR"));
    // One economy under two names is still the same economy.
    assert_status(
        app.bilateral("South Korea", "KR").await,
        tonic::Code::InvalidArgument,
        "partner",
    );
    app.stop().await;
}

#[tokio::test]
async fn list_agreements_takes_any_name_of_a_party() {
    let mut app = spawn_app().await;
    let by_code = agreements_of(&mut app, "KOR").await;
    assert!(!by_code.agreements.is_empty());
    for party in ["kr", "Korea", "South Korea", "Republic of Korea", "410"] {
        assert_eq!(agreements_of(&mut app, party).await, by_code, "{party:?}");
    }
    // Cambodia matches through ASEAN under any of its names.
    let cambodia = agreements_of(&mut app, "KHM").await;
    assert!(ids(&cambodia).iter().any(|id| id.starts_with("kor-asean")));
    assert_eq!(agreements_of(&mut app, "cambodia").await, cambodia);
    // A group by its name.
    let eu = agreements_of(&mut app, "EU").await;
    assert!(!eu.agreements.is_empty());
    assert_eq!(agreements_of(&mut app, "European Union").await, eu);
    app.stop().await;
}

#[tokio::test]
async fn a_page_token_carries_over_between_names_of_one_party() {
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
    let next = |party: &str| pb::ListAgreementsRequest {
        party: party.into(),
        page_size: 2,
        page_token: first.next_page_token.clone(),
        ..Default::default()
    };
    let by_code = app.agreements.list_agreements(next("KOR")).await;
    let by_name = app.agreements.list_agreements(next("South Korea")).await;
    assert_eq!(
        by_name.expect("by name").into_inner(),
        by_code.expect("by code").into_inner()
    );
    app.stop().await;
}

#[tokio::test]
async fn rankings_products_and_indicators_take_names_too() {
    let mut app = spawn_app().await;
    let rank = |reporter: &str, partners: &[&str]| pb::RankPartnersRequest {
        reporter: reporter.into(),
        year: 2019,
        flow: TradeFlow::Export as i32,
        limit: 0,
        partners: partners.iter().map(|p| (*p).to_owned()).collect(),
    };
    let by_code = app.trade.rank_partners(rank("KOR", &["CHN", "USA"])).await;
    let by_name = app
        .trade
        .rank_partners(rank("South Korea", &["China", " United States"]))
        .await;
    let by_code = by_code.expect("ranking by code").into_inner();
    assert_eq!(by_name.expect("ranking by name").into_inner(), by_code);

    let series = |economy: &str| pb::GetIndicatorSeriesRequest {
        economy: economy.into(),
        indicator: GDP_GROWTH.into(),
        ..Default::default()
    };
    let by_code = app.indicators.get_indicator_series(series("KHM")).await;
    let by_name = app
        .indicators
        .get_indicator_series(series("Cambodia"))
        .await;
    let by_code = by_code.expect("series by code").into_inner();
    assert!(!by_code.points.is_empty());
    assert_eq!(by_name.expect("series by name").into_inner(), by_code);

    let products = |reporter: &str, partner: &str| pb::GetProductBreakdownRequest {
        reporter: reporter.into(),
        partner: partner.into(),
        year: 2019,
        flow: TradeFlow::Export as i32,
        hs_digits: 2,
        ..Default::default()
    };
    let by_code = app
        .trade
        .get_product_breakdown(products("KOR", "KHM"))
        .await;
    let by_name = app
        .trade
        .get_product_breakdown(products("korea", "Cambodia"))
        .await;
    match (by_code, by_name) {
        (Ok(code), Ok(name)) => assert_eq!(name.into_inner(), code.into_inner()),
        (Err(code), Err(name)) => {
            assert_eq!(name.code(), code.code());
            assert_eq!(name.message(), code.message());
        }
        (code, name) => panic!("by code {code:?}, by name {name:?}"),
    }
    app.stop().await;
}

#[tokio::test]
async fn unknown_economies_are_invalid_arguments() {
    let mut app = spawn_app().await;
    // Well formed, but no economy: the field's value is wrong (AIP-193).
    assert_status(
        app.bilateral("KOR", "Atlantis").await,
        tonic::Code::InvalidArgument,
        "partner",
    );
    // A known economy (Kosovo, by name) with no figures is a pair not
    // found, named by code.
    let kosovo = app.bilateral("KOR", "Kosovo").await;
    assert_eq!(
        kosovo.as_ref().map_err(|s| s.code()).err(),
        Some(tonic::Code::NotFound),
        "{kosovo:?}"
    );
    assert!(
        kosovo.err().is_some_and(|s| s.message().contains("XKX")),
        "the answer names the economy by code"
    );
    // Neither a code nor a name tradepact knows.
    let result = app.bilateral("Republic of Atlantis", "KHM").await;
    assert_status(result, tonic::Code::InvalidArgument, "reporter");
    let result = app
        .agreements
        .list_agreements(pb::ListAgreementsRequest {
            party: "the moon & stars".into(),
            ..Default::default()
        })
        .await;
    assert_status(result, tonic::Code::InvalidArgument, "party");
    app.stop().await;
}

#[tokio::test]
async fn unknown_names_get_the_closest_matches() {
    let mut app = spawn_app().await;
    assert_status(
        app.bilateral("KOR", "Cambodja").await,
        tonic::Code::InvalidArgument,
        "did you mean KHM (Cambodia)?",
    );
    assert_status(
        app.agreement("korea-cambodia", None).await,
        tonic::Code::NotFound,
        "did you mean kor-khm (Korea–Cambodia Free Trade Agreement)",
    );
    assert_status(
        app.agreement("kor-khn", None).await,
        tonic::Code::NotFound,
        "kor-khm (Korea–Cambodia Free Trade Agreement)",
    );
    let result = app
        .indicators
        .get_indicator_series(pb::GetIndicatorSeriesRequest {
            economy: "KHM".into(),
            indicator: "NY.GDP.MKTP.KD.Z".into(),
            ..Default::default()
        })
        .await;
    assert_status(result, tonic::Code::NotFound, "held: NY.GDP.MKTP.KD.ZG (");
    app.stop().await;
}
