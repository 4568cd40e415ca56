//! CatalogService: what a new client can discover before asking anything.

use tradepact::grpc::pb;

use crate::helpers::{assert_status, date, spawn_app, spawn_app_with};

#[tokio::test]
async fn economies_are_found_by_name_with_their_groups_and_whether_data_are_held() {
    let mut app = spawn_app().await;
    let page = app
        .catalog
        .list_economies(pb::ListEconomiesRequest {
            query: "cambodia".into(),
            ..Default::default()
        })
        .await
        .expect("ListEconomies")
        .into_inner();
    let khm = page
        .economies
        .iter()
        .find(|e| e.code == "KHM")
        .expect("Cambodia is found by name");
    assert_eq!(khm.kind(), pb::PartyKind::Economy);
    assert_eq!((khm.iso2.as_str(), khm.numeric), ("KH", Some(116)));
    assert!(khm.held, "the built-in dataset holds Korea–Cambodia");
    assert!(khm.groups.contains(&"ASEAN".to_owned()), "{khm:?}");

    let unheld = app
        .catalog
        .list_economies(pb::ListEconomiesRequest {
            query: "bouvet island".into(),
            ..Default::default()
        })
        .await
        .expect("ListEconomies")
        .into_inner();
    assert!(unheld.economies.iter().any(|e| e.code == "BVT" && !e.held));
    app.stop().await;
}

#[tokio::test]
async fn a_group_lists_its_members_on_the_date_asked_for() {
    let mut app = spawn_app().await;
    let eu_on = |as_of| {
        let mut catalog = app.catalog.clone();
        async move {
            catalog
                .list_economies(pb::ListEconomiesRequest {
                    query: "EU".into(),
                    as_of,
                    ..Default::default()
                })
                .await
                .expect("ListEconomies")
                .into_inner()
                .economies
                .into_iter()
                .find(|e| e.code == "EU")
                .expect("the EU")
        }
    };
    let before = eu_on(date(2020, 1, 1)).await;
    let after = eu_on(date(2021, 1, 1)).await;
    assert_eq!(before.kind(), pb::PartyKind::Group);
    assert!(before.members.contains(&"GBR".to_owned()));
    assert!(!after.members.contains(&"GBR".to_owned()), "the UK left");
    assert_status(
        app.catalog
            .list_economies(pb::ListEconomiesRequest {
                as_of: date(2021, 2, 0),
                ..Default::default()
            })
            .await,
        tonic::Code::InvalidArgument,
        "as_of",
    );
    app.stop().await;
}

#[tokio::test]
async fn indicators_list_what_is_held_and_what_is_refreshed() {
    let mut app = spawn_app().await;
    let indicators = app
        .catalog
        .list_indicators(pb::ListIndicatorsRequest {})
        .await
        .expect("ListIndicators")
        .into_inner()
        .indicators;
    let growth = indicators
        .iter()
        .find(|i| i.code == "NY.GDP.MKTP.KD.ZG")
        .expect("GDP growth is held");
    assert_eq!(growth.unit, "%");
    assert_eq!(
        growth.source, "worldbank",
        "configured for refresh by default"
    );
    assert!(growth.economies.contains(&"KHM".to_owned()));
    assert!(growth.first_year.is_some() && growth.first_year <= growth.last_year);
    assert!(
        growth
            .vintages
            .contains(&date(2017, 4, 27).expect("a date"))
    );
    app.stop().await;
}

#[tokio::test]
async fn server_info_says_version_dataset_sources_and_no_secret() {
    let mut app = spawn_app_with(|settings| {
        settings.admin_token = Some(tradepact::config::Secret::new("a-secret-token"));
    })
    .await;
    let info = app
        .catalog
        .get_server_info(pb::GetServerInfoRequest {})
        .await
        .expect("GetServerInfo")
        .into_inner();
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    assert!(!info.dataset_version.is_empty());
    assert!(info.start_time.is_some());
    let names: Vec<&str> = info.sources.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["worldbank", "comtrade", "imf", "customs", "wto"]);
    assert!(
        info.sources
            .iter()
            .all(|s| s.stale && s.last_success_time.is_none()),
        "nothing fetched yet: {:?}",
        info.sources
    );
    assert!(info.settings.contains_key("listen"), "{:?}", info.settings);
    assert!(!info.settings.contains_key("admin_token"));
    assert!(
        info.settings
            .values()
            .all(|v| !v.contains("a-secret-token")),
        "{:?}",
        info.settings
    );
    app.stop().await;
}

#[tokio::test]
async fn coverage_of_a_pair_says_what_is_held_and_who_would_fill_each_gap() {
    let mut app = spawn_app().await;
    let coverage = app
        .catalog
        .get_coverage(pb::GetCoverageRequest {
            reporter: "Korea".into(),
            partner: "Cambodia".into(),
        })
        .await
        .expect("GetCoverage")
        .into_inner();
    assert_eq!(
        (coverage.reporter.as_str(), coverage.partner.as_str()),
        ("KOR", "KHM")
    );
    let sides: Vec<&str> = coverage
        .bilateral
        .iter()
        .map(|b| b.reported_by.as_str())
        .collect();
    assert_eq!(sides, ["KOR", "KHM"], "the reporter's side first");
    let korea_side = &coverage.bilateral[0].years;
    assert!(korea_side.contains(&2019), "{korea_side:?}");
    assert!(korea_side.windows(2).all(|w| w[0] < w[1]), "ascending");
    // The same years GetBilateralTrade answers.
    let trade = app.bilateral("KOR", "KHM").await.expect("trade");
    let answered: Vec<i32> = trade.years.iter().map(|y| y.year).collect();
    assert_eq!(&answered, korea_side);

    let quoted_2019 = coverage
        .products
        .iter()
        .find(|p| p.year == 2019 && p.flow() == pb::TradeFlow::Export)
        .expect("the quoted 2019 export products");
    assert!(quoted_2019.quoted && quoted_2019.hs_digits.is_empty());
    assert!(
        coverage
            .rankings
            .iter()
            .any(|r| r.year == 2019 && r.quoted && !r.computed)
    );
    // No product lines and no complete partner figures ship: both gaps name
    // Comtrade, and its state as it is here (never run, the worker off).
    let comtrade_gaps: Vec<&pb::CoverageGap> = coverage
        .gaps
        .iter()
        .filter(|g| g.source == "comtrade")
        .collect();
    assert_eq!(comtrade_gaps.len(), 2, "{:?}", coverage.gaps);
    for gap in comtrade_gaps {
        assert_eq!(
            gap.source_state, "never run; not scheduled (the refresh worker is off)",
            "{gap:?}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn coverage_of_a_reporter_alone_has_no_pair_figures_and_refuses_unknowns() {
    let mut app = spawn_app().await;
    let coverage = app
        .catalog
        .get_coverage(pb::GetCoverageRequest {
            reporter: "KHM".into(),
            ..Default::default()
        })
        .await
        .expect("GetCoverage")
        .into_inner();
    assert!(coverage.bilateral.is_empty() && coverage.products.is_empty());
    let growth = coverage
        .indicators
        .iter()
        .find(|i| i.indicator == "NY.GDP.MKTP.KD.ZG")
        .expect("Cambodia's GDP growth is held");
    assert!(growth.years.contains(&2015));
    assert_status(
        app.catalog
            .get_coverage(pb::GetCoverageRequest {
                reporter: "KHM".into(),
                partner: "Cambodja".into(),
            })
            .await,
        tonic::Code::InvalidArgument,
        "did you mean KHM",
    );
    app.stop().await;
}
