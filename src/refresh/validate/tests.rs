use super::*;
use crate::domain::{Economy, PartnerFlow, TradeFlow};
use crate::test_support::{code, source};

fn dataset() -> Dataset {
    let mut dataset = Dataset::default();
    for c in ["KOR", "KHM", "CHN"] {
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
    dataset.partner_flows.push(flow("KHM", 2022, 700e6));
    dataset
}

fn flow(partner: &str, year: i32, value_usd: f64) -> PartnerFlow {
    PartnerFlow {
        reporter: code("KOR"),
        partner: code(partner),
        year,
        flow: TradeFlow::Export,
        value_usd,
        source: source("comtrade-kor-2022"),
        origin: "comtrade".into(),
    }
}

fn batch(flows: Vec<PartnerFlow>) -> Batch {
    Batch {
        sources: vec![source("comtrade-kor-2022")],
        partner_flows: flows,
        ..Batch::default()
    }
}

#[track_caller]
fn check(batch: &Batch) -> Result<(), Rejected> {
    validate(
        batch,
        &dataset(),
        "comtrade",
        &ValidationPolicy::default(),
        2026,
    )
}

#[test]
fn a_plausible_batch_passes() {
    assert_eq!(
        check(&batch(vec![
            flow("KHM", 2022, 720e6),
            flow("CHN", 2022, 150e9)
        ])),
        Ok(())
    );
}

#[test]
fn negative_and_absurd_values_are_refused() {
    assert!(check(&batch(vec![flow("CHN", 2022, -5.0)])).is_err_and(|e| e.0.contains("plausible")));
    assert!(check(&batch(vec![flow("CHN", 2022, f64::NAN)])).is_err());
}

#[test]
fn years_out_of_range_are_refused() {
    assert!(check(&batch(vec![flow("CHN", 3000, 1.0)])).is_err_and(|e| e.0.contains("3000")));
    assert!(check(&batch(vec![flow("CHN", 1800, 1.0)])).is_err());
}

#[test]
fn duplicate_keys_are_refused() {
    let twice = batch(vec![flow("CHN", 2022, 1.0), flow("CHN", 2022, 2.0)]);
    assert!(check(&twice).is_err_and(|e| e.0.contains("twice")));
}

#[test]
fn unknown_economies_are_refused() {
    assert!(check(&batch(vec![flow("ZZZ", 2022, 1.0)])).is_err_and(|e| e.0.contains("ZZZ")));
}

#[test]
fn a_figure_may_not_jump_past_the_sanity_bound() {
    assert!(
        check(&batch(vec![flow("KHM", 2022, 700e9)])).is_err_and(|e| e.0.contains("suspicious"))
    );
    assert!(check(&batch(vec![flow("KHM", 2022, 1e6)])).is_err());
    assert_eq!(
        check(&batch(vec![flow("KHM", 2022, 6_000e6)])),
        Ok(()),
        "8.6× is within 10×"
    );
}

#[test]
fn undeclared_sources_and_bad_keys_are_refused() {
    let mut undeclared = batch(vec![flow("CHN", 2022, 1.0)]);
    undeclared.sources.clear();
    assert!(check(&undeclared).is_err_and(|e| e.0.contains("not declared")));
    let mut spaced = batch(vec![]);
    spaced.sources = vec![source("two words")];
    assert!(check(&spaced).is_err_and(|e| e.0.contains("spaces")));
}
