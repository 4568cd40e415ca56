//! Trade and indicator questions from DESIGN.md, with the facts file's figures.

use tradepact::grpc::pb;
use tradepact::grpc::pb::TradeFlow;

use crate::helpers::{assert_close, date, spawn_app};

const MILLION: f64 = 1e6;
const CENT: f64 = 0.01;

fn year(years: &[pb::TradeYear], wanted: i32) -> &pb::TradeYear {
    years
        .iter()
        .find(|y| y.year == wanted)
        .unwrap_or_else(|| panic!("no figures for {wanted}"))
}

async fn korea_cambodia(
    app: &mut crate::helpers::TestApp,
    reporter: &str,
    partner: &str,
) -> pb::GetBilateralTradeResponse {
    app.bilateral(reporter, partner)
        .await
        .expect("bilateral trade")
}

#[tokio::test]
async fn korea_cambodia_2019_trade_as_korea_reports_it() {
    let mut app = spawn_app().await;
    let trade = korea_cambodia(&mut app, "kor", "khm").await;
    let y2019 = year(&trade.years, 2019);
    assert_eq!(y2019.reported_by, "KOR");
    assert_close(y2019.total_usd, 1_033.0 * MILLION, CENT);
    assert_close(y2019.exports_usd, 697.0 * MILLION, CENT);
    assert_close(y2019.imports_usd, 336.0 * MILLION, CENT);
    assert_close(y2019.balance_usd, 361.0 * MILLION, CENT);
    // Against 2018's 660 + 314 = 974: the article's "+6%" and "+5.5%".
    assert_close(y2019.total_growth_pct, (1033.0 / 974.0 - 1.0) * 100.0, 1e-9);
    assert_close(
        y2019.exports_growth_pct,
        (697.0 / 660.0 - 1.0) * 100.0,
        1e-9,
    );
    assert!((y2019.total_growth_pct.unwrap_or_default() - 6.0).abs() < 0.1);
    assert!(y2019.sources.iter().any(|s| s.url.contains("koreaherald")));
    assert!(y2019.sources.iter().all(|s| s.redistributable));
    app.stop().await;
}

#[tokio::test]
async fn cambodias_own_figures_come_back_as_mirror_years() {
    let mut app = spawn_app().await;
    let trade = korea_cambodia(&mut app, "KOR", "KHM").await;
    let mirror_2019 = year(&trade.mirror_years, 2019);
    assert_eq!(mirror_2019.reported_by, "KHM");
    assert_close(mirror_2019.total_usd, 881.76 * MILLION, CENT);
    // Cambodia's imports from Korea are Korea's exports to Cambodia.
    let mirror_2023 = year(&trade.mirror_years, 2023);
    assert_close(mirror_2023.exports_usd, 470.25 * MILLION, CENT);
    assert_close(mirror_2023.imports_usd, 281.14 * MILLION, CENT);
    // 2021 is missing on Cambodia's side, so 2022 has no growth figure.
    assert_eq!(year(&trade.mirror_years, 2022).total_growth_pct, None);
    app.stop().await;
}

#[tokio::test]
async fn the_reverse_question_swaps_the_sides() {
    let mut app = spawn_app().await;
    let trade = korea_cambodia(&mut app, "KHM", "KOR").await;
    assert!(trade.years.iter().all(|y| y.reported_by == "KHM"));
    assert_close(year(&trade.years, 2023).exports_usd, 281.14 * MILLION, CENT);
    let korea_2019 = year(&trade.mirror_years, 2019);
    assert_eq!(korea_2019.reported_by, "KOR");
    assert_close(korea_2019.exports_usd, 336.0 * MILLION, CENT);
    app.stop().await;
}

#[tokio::test]
async fn conflicting_2020_figures_are_kept_side_by_side() {
    let mut app = spawn_app().await;
    let trade = korea_cambodia(&mut app, "KOR", "KHM").await;
    let y2020 = year(&trade.years, 2020);
    assert_close(y2020.total_usd, 885.322 * MILLION, CENT);
    let kiet = y2020
        .alternatives
        .first()
        .expect("the KIET figures are kept");
    assert_close(kiet.total_usd, 724.0 * MILLION, CENT);
    // 2021 growth is against the preferred 2020 figure of the same family.
    assert_close(
        year(&trade.years, 2021).total_growth_pct,
        (965.132 / 885.322 - 1.0) * 100.0,
        1e-9,
    );
    app.stop().await;
}

#[tokio::test]
async fn the_year_range_filters_and_a_missing_previous_year_means_no_growth() {
    let mut app = spawn_app().await;
    let trade = app
        .trade
        .get_bilateral_trade(pb::GetBilateralTradeRequest {
            reporter: "KOR".into(),
            partner: "KHM".into(),
            start_year: 2008,
            end_year: 2019,
        })
        .await
        .expect("bilateral trade")
        .into_inner();
    let years: Vec<i32> = trade.years.iter().map(|y| y.year).collect();
    assert_eq!(years, [2008, 2018, 2019]);
    assert_eq!(
        year(&trade.years, 2018).total_growth_pct,
        None,
        "2017 is not in the store"
    );
    app.stop().await;
}

#[tokio::test]
async fn cambodia_ranks_58th_among_koreas_export_destinations_in_2019() {
    let mut app = spawn_app().await;
    let ranking = app
        .trade
        .rank_partners(pb::RankPartnersRequest {
            reporter: "KOR".into(),
            year: 2019,
            flow: TradeFlow::Export as i32,
            limit: 0,
            partners: vec!["KHM".into()],
        })
        .await
        .expect("rank")
        .into_inner();
    assert!(
        ranking.entries.is_empty() && ranking.partner_count.is_none(),
        "no complete partner data ships, so nothing is computed"
    );
    let quoted = &ranking.quoted_entries;
    assert_eq!(quoted.len(), 1, "the rank is quoted, in its own field");
    assert_eq!(quoted[0].rank, Some(58));
    assert_eq!(quoted[0].partners, ["KHM"]);
    assert_eq!(
        (quoted[0].value_usd, quoted[0].share_pct),
        (None, None),
        "the statement gives a rank only: the figures are absent, not 0"
    );
    assert!(!ranking.sources.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn china_and_the_us_take_about_forty_percent_of_koreas_exports() {
    let mut app = spawn_app().await;
    let ranking = app
        .trade
        .rank_partners(pb::RankPartnersRequest {
            reporter: "KOR".into(),
            year: 2019,
            flow: TradeFlow::Export as i32,
            limit: 0,
            partners: vec!["chn".into(), "usa".into()],
        })
        .await
        .expect("combined share")
        .into_inner();
    assert!(ranking.entries.is_empty());
    let quoted = &ranking.quoted_entries;
    assert_eq!(quoted.len(), 1, "{quoted:?}");
    assert_eq!(quoted[0].partners, ["CHN", "USA"], "typed, not 'CHN+USA'");
    assert_close(ranking.combined_share_pct, 40.0, 1e-9);
    app.stop().await;
}

#[tokio::test]
async fn koreas_main_exports_to_and_imports_from_cambodia_in_stated_order() {
    let app = spawn_app().await;
    let products = |flow: TradeFlow| {
        let mut client = app.trade.clone();
        async move {
            client
                .get_product_breakdown(pb::GetProductBreakdownRequest {
                    reporter: "KOR".into(),
                    partner: "KHM".into(),
                    year: 2019,
                    flow: flow as i32,
                    hs_digits: 0,
                    ..Default::default()
                })
                .await
                .expect("products")
                .into_inner()
        }
    };
    let exports = products(TradeFlow::Export).await;
    assert!(exports.quoted);
    let names: Vec<&str> = exports
        .products
        .iter()
        .map(|p| p.description.as_str())
        .collect();
    assert_eq!(names, ["Cargo trucks", "Drinks", "Textiles"]);
    assert!(
        exports.products.iter().all(|p| p.value_usd.is_none()),
        "no values were stated"
    );
    let imports = products(TradeFlow::Import).await;
    let names: Vec<&str> = imports
        .products
        .iter()
        .map(|p| p.description.as_str())
        .collect();
    assert_eq!(names, ["Clothes", "Shoes"]);
    app.stop().await;
}

#[tokio::test]
async fn an_indicator_with_no_value_for_the_question_is_not_found_with_what_is_held() {
    let app = spawn_app().await;
    let ask = |economy: &str, start_year: i32, end_year: i32| {
        let mut client = app.indicators.clone();
        let request = pb::GetIndicatorSeriesRequest {
            economy: economy.into(),
            indicator: "NY.GDP.MKTP.KD.ZG".into(),
            start_year,
            end_year,
            vintage: None,
        };
        async move { client.get_indicator_series(request).await }
    };
    // Korea's GDP growth is not in the built-in dataset: not an empty OK.
    let korea = ask("Korea", 0, 0).await.expect_err("nothing held for KOR");
    assert_eq!(korea.code(), tonic::Code::NotFound);
    assert!(
        korea.message().contains("held for: KHM"),
        "{}",
        korea.message()
    );
    // Cambodia's, but not in 1950.
    let early = ask("KHM", 1950, 1950).await.expect_err("nothing in 1950");
    assert_eq!(early.code(), tonic::Code::NotFound);
    assert!(
        early.message().contains("held years: "),
        "{}",
        early.message()
    );
    app.stop().await;
}

#[tokio::test]
async fn cambodias_gdp_growth_since_2011_in_the_latest_vintage() {
    let mut app = spawn_app().await;
    let series = app
        .indicators
        .get_indicator_series(pb::GetIndicatorSeriesRequest {
            economy: "khm".into(),
            indicator: "NY.GDP.MKTP.KD.ZG".into(),
            start_year: 2011,
            end_year: 2019,
            vintage: None,
        })
        .await
        .expect("series")
        .into_inner();
    let years: Vec<i32> = series.points.iter().map(|p| p.year).collect();
    assert_eq!(years, (2011..=2019).collect::<Vec<_>>());
    assert!(series.points.iter().all(|p| p.value.is_some()));
    assert_close(series.points[0].value, 7.0696, 1e-9);
    let p2015 = &series.points[4];
    assert_close(p2015.value, 6.9658, 1e-9);
    assert_eq!(p2015.vintage, date(2024, 6, 28));
    assert_eq!(series.unit, "%");
    assert_eq!(
        series.vintages,
        [date(2017, 4, 27), date(2024, 6, 28)]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
    );
    app.stop().await;
}

#[tokio::test]
async fn an_older_vintage_answers_the_seven_percent_claim_as_it_was() {
    let mut app = spawn_app().await;
    let series = app
        .indicators
        .get_indicator_series(pb::GetIndicatorSeriesRequest {
            economy: "KHM".into(),
            indicator: "ny.gdp.mktp.kd.zg".into(),
            start_year: 2011,
            end_year: 0,
            vintage: date(2017, 4, 27),
        })
        .await
        .expect("series")
        .into_inner();
    let years: Vec<i32> = series.points.iter().map(|p| p.year).collect();
    assert_eq!(years, [2011, 2012, 2013, 2014, 2015]);
    assert!(
        series
            .points
            .iter()
            .all(|p| p.value.is_some_and(|v| v > 7.0))
    );
    assert_close(series.points[4].value, 7.0361, 1e-9);
    app.stop().await;
}
