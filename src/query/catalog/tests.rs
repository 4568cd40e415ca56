use super::*;
use crate::domain::{Economy, Indicator, IndicatorSeries};
use crate::test_support::code;

fn day(year: i32, month: i32, day: i32) -> PartialDate {
    PartialDate::new(year, month, day).expect("a date")
}

fn dataset() -> Dataset {
    let mut dataset = Dataset::default();
    for c in ["KOR", "KHM"] {
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
    dataset.indicators.insert(
        "NY.GDP.MKTP.KD.ZG".into(),
        Indicator {
            code: "NY.GDP.MKTP.KD.ZG".into(),
            name: "GDP growth (annual %)".into(),
            unit: "%".into(),
        },
    );
    for (vintage, points) in [
        ("2017-04-27", vec![(2011, Some(7.0)), (2015, Some(7.2))]),
        ("2024-06-28", vec![(2011, Some(7.1)), (2023, None)]),
    ] {
        dataset.indicator_series.push(IndicatorSeries {
            economy: code("KHM"),
            indicator: "NY.GDP.MKTP.KD.ZG".into(),
            vintage: vintage.into(),
            sources: vec![],
            points,
        });
    }
    dataset
}

fn list(query: &str, as_of: Option<(i32, i32, i32)>) -> EconomyPage {
    let request = ListEconomies {
        query: query.into(),
        as_of,
        page_size: 1000,
        ..ListEconomies::default()
    };
    list_economies(&dataset(), &request, day(2026, 12, 4)).expect("a page")
}

#[test]
fn a_text_finds_economies_by_any_name_and_says_what_is_held() {
    let page = list("cambod", None);
    let codes: Vec<&str> = page.economies.iter().map(|e| e.code.as_str()).collect();
    assert_eq!(codes, ["KHM"]);
    let cambodia = &page.economies[0];
    assert!(cambodia.held);
    assert!(!cambodia.is_group);
    assert!(
        cambodia.groups.iter().any(|g| g.as_str() == "ASEAN"),
        "{cambodia:?}"
    );
    let by_numeric = list("116", None);
    assert!(
        by_numeric
            .economies
            .iter()
            .any(|e| e.code.as_str() == "KHM")
    );
    assert!(!list("atlantis", None).economies.iter().any(|e| e.held));
}

#[test]
fn groups_list_their_members_on_the_date_asked_for() {
    let eu = |as_of| {
        list("european union", as_of)
            .economies
            .into_iter()
            .find(|e| e.code.as_str() == "EU")
            .expect("the EU is listed")
    };
    let gbr = code("GBR");
    assert!(eu(Some((2019, 6, 1))).members.contains(&gbr));
    assert!(
        !eu(Some((2021, 6, 1))).members.contains(&gbr),
        "the UK left"
    );
    assert!(eu(None).is_group);
}

#[test]
fn every_economy_pages_through_once() {
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let request = ListEconomies {
            page_size: 100,
            page_token: token,
            ..ListEconomies::default()
        };
        let page = list_economies(&dataset(), &request, day(2026, 12, 4)).expect("a page");
        seen.extend(page.economies.into_iter().map(|e| e.code));
        match page.next_page_token {
            Some(next) => token = next,
            None => break,
        }
    }
    let all = list("", None);
    assert_eq!(seen.len(), all.total);
    assert!(all.total > 249, "every ISO 3166-1 economy and the groups");
    let distinct: BTreeSet<_> = seen.iter().collect();
    assert_eq!(distinct.len(), seen.len());
}

#[test]
fn a_query_of_punctuation_only_is_refused() {
    let request = ListEconomies {
        query: "--".into(),
        ..ListEconomies::default()
    };
    assert!(matches!(
        list_economies(&dataset(), &request, day(2026, 12, 4)),
        Err(QueryError::InvalidArgument { field: "query", .. })
    ));
}

#[test]
fn indicators_say_their_economies_years_and_vintages() {
    let configured = vec!["NY.GDP.MKTP.KD.ZG".to_owned(), "SP.POP.TOTL".to_owned()];
    let listed = indicators(&dataset(), &configured);
    let codes: Vec<&str> = listed.iter().map(|i| i.code.as_str()).collect();
    assert_eq!(codes, ["NY.GDP.MKTP.KD.ZG", "SP.POP.TOTL"]);
    let growth = &listed[0];
    assert_eq!(growth.economies, [code("KHM")]);
    assert_eq!(growth.years, Some((2011, 2015)), "2023 has no value");
    assert_eq!(growth.vintages, ["2017-04-27", "2024-06-28"]);
    assert!(growth.refreshed);
    let population = &listed[1];
    assert!(population.refreshed && population.economies.is_empty());
    assert_eq!(population.years, None);
}
