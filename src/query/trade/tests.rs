use super::*;
use crate::domain::{Economy, PartnerFlow, QuotedRank};
use crate::test_support::{code, source};

fn dataset() -> Dataset {
    let mut dataset = Dataset::default();
    for c in ["KOR", "CHN", "USA", "VNM", "KHM", "JPN"] {
        dataset.economies.insert(
            code(c),
            Economy {
                code: code(c),
                iso2: None,
                name: c.into(),
                members: vec![],
            },
        );
    }
    let stats = source("stats");
    let flows = [
        ("CHN", TradeFlow::Export, 100.0),
        ("USA", TradeFlow::Export, 80.0),
        ("VNM", TradeFlow::Export, 50.0),
        ("KHM", TradeFlow::Export, 1.0),
        ("CHN", TradeFlow::Import, 90.0),
        ("USA", TradeFlow::Import, 10.0),
        ("JPN", TradeFlow::Import, 60.0),
    ];
    for (partner, flow, value) in flows {
        dataset.partner_flows.push(PartnerFlow {
            reporter: code("KOR"),
            partner: code(partner),
            year: 2022,
            flow,
            value_usd: value,
            source: stats.clone(),
            origin: "comtrade".into(),
        });
    }
    dataset.quoted_ranks.push(QuotedRank {
        reporter: code("KOR"),
        year: 2019,
        flow: TradeFlow::Export,
        partners: vec![code("KHM")],
        rank: Some(58),
        share_pct: None,
        value_usd: None,
        note: String::new(),
        sources: vec![source("kita")],
    });
    dataset
}

fn rank(flow: TradeFlow, partner: &str, limit: i32) -> RankQuery {
    RankQuery {
        reporter: "KOR".into(),
        year: 2022,
        flow: Some(flow),
        limit,
        partners: partner
            .split('+')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
    }
}

#[test]
fn ranks_partners_by_value_with_shares() {
    let ranking = rank_partners(&dataset(), &rank(TradeFlow::Export, "", 3)).expect("ranks");
    assert!(!ranking.quoted);
    assert_eq!(ranking.partner_count, 4);
    let top: Vec<_> = ranking
        .entries
        .iter()
        .map(|e| (e.rank, e.partners[0].as_str()))
        .collect();
    assert_eq!(top, [(Some(1), "CHN"), (Some(2), "USA"), (Some(3), "VNM")]);
    let share = ranking.entries[0].share_pct.expect("share");
    assert!((share - 100.0 / 231.0 * 100.0).abs() < 1e-9);
}

#[test]
fn one_partners_rank_and_a_combined_share() {
    let data = dataset();
    let khm = rank_partners(&data, &rank(TradeFlow::Export, "khm", 0)).expect("ranks");
    assert_eq!(khm.entries.len(), 1);
    assert_eq!(khm.entries[0].rank, Some(4));
    let both = rank_partners(&data, &rank(TradeFlow::Export, "CHN+USA", 0)).expect("ranks");
    let combined = both.combined_share_pct.expect("combined");
    assert!((combined - 180.0 / 231.0 * 100.0).abs() < 1e-9);
}

#[test]
fn total_flow_adds_exports_and_imports() {
    let ranking = rank_partners(&dataset(), &rank(TradeFlow::Total, "", 0)).expect("ranks");
    let top: Vec<_> = ranking
        .entries
        .iter()
        .map(|e| (e.partners[0].as_str(), e.value_usd))
        .collect();
    assert_eq!(top[0], ("CHN", Some(190.0)));
    assert_eq!(top[1], ("USA", Some(90.0)));
    assert_eq!(ranking.partner_count, 5);
}

#[test]
fn a_partner_absent_from_complete_data_is_not_found() {
    let result = rank_partners(&dataset(), &rank(TradeFlow::Import, "KHM", 0));
    assert!(matches!(result, Err(QueryError::NotFound { message, .. }) if message.contains("KHM")));
}

#[test]
fn quoted_ranks_answer_where_nothing_can_be_computed() {
    let query = RankQuery {
        year: 2019,
        ..rank(TradeFlow::Export, "KHM", 0)
    };
    let ranking = rank_partners(&dataset(), &query).expect("quoted");
    assert!(ranking.quoted);
    assert_eq!(ranking.entries[0].rank, Some(58));
    assert_eq!(ranking.sources[0].key, "kita");
}

#[test]
fn growth_needs_a_positive_base() {
    assert_eq!(
        growth_pct(Some(110.0), Some(100.0)),
        Some(10.000000000000009)
    );
    assert_eq!(growth_pct(Some(110.0), None), None);
    assert_eq!(growth_pct(Some(110.0), Some(0.0)), None);
    assert_eq!(growth_pct(None, Some(100.0)), None);
}
