use std::collections::{BTreeMap, HashMap};

use super::*;
use crate::domain::{Economy, ProductFlow, QuotedProducts};
use crate::test_support::{code, source};

/// Product lines held in memory, answering as the store's SQL does; the
/// store's own implementation is exercised end to end in tests/api.
struct Rows(Vec<ProductFlow>);

impl Rows {
    fn of<'a>(&'a self, key: &'a ProductKey) -> impl Iterator<Item = &'a ProductFlow> + 'a {
        self.0.iter().filter(move |r| {
            r.reporter == key.reporter
                && r.partner == key.partner
                && r.year == key.year
                && r.flow == key.flow
        })
    }
}

impl ProductLines for Rows {
    fn levels(&self, key: &ProductKey) -> Result<Vec<LevelSummary>, QueryError> {
        let mut levels: BTreeMap<(String, usize), LevelSummary> = BTreeMap::new();
        for row in self.of(key) {
            let level = levels
                .entry((row.origin.clone(), row.hs_code.len()))
                .or_insert_with(|| LevelSummary {
                    origin: row.origin.clone(),
                    digits: row.hs_code.len(),
                    lines: 0,
                    total_usd: 0.0,
                    source_keys: Vec::new(),
                });
            level.lines += 1;
            level.total_usd += row.value_usd;
            if !level.source_keys.contains(&row.source.key) {
                level.source_keys.push(row.source.key.clone());
            }
        }
        Ok(levels.into_values().collect())
    }

    fn top(
        &self,
        key: &ProductKey,
        origin: &str,
        digits: usize,
        from_digits: usize,
        window: Window,
    ) -> Result<Vec<StoredLine>, QueryError> {
        Ok(self
            .all_lines(key, origin, digits, from_digits)
            .into_iter()
            .skip(window.offset)
            .take(window.limit)
            .collect())
    }

    fn count(
        &self,
        key: &ProductKey,
        origin: &str,
        digits: usize,
        from_digits: usize,
    ) -> Result<usize, QueryError> {
        Ok(self.all_lines(key, origin, digits, from_digits).len())
    }

    fn descriptions(
        &self,
        key: &ProductKey,
        origin: &str,
        codes: &[&str],
    ) -> Result<HashMap<String, String>, QueryError> {
        Ok(self
            .of(key)
            .filter(|r| r.origin == origin && codes.contains(&r.hs_code.as_str()))
            .map(|r| (r.hs_code.clone(), r.description.clone()))
            .collect())
    }
}

impl Rows {
    /// Every line `top` pages through, in its order.
    fn all_lines(
        &self,
        key: &ProductKey,
        origin: &str,
        digits: usize,
        from_digits: usize,
    ) -> Vec<StoredLine> {
        let mut sums: BTreeMap<String, (f64, String)> = BTreeMap::new();
        for row in self
            .of(key)
            .filter(|r| r.origin == origin && r.hs_code.len() == from_digits)
        {
            let entry = sums.entry(row.hs_code[..digits].to_owned()).or_default();
            entry.0 += row.value_usd;
            if digits == from_digits {
                entry.1 = row.description.clone();
            }
        }
        let mut lines: Vec<StoredLine> = sums
            .into_iter()
            .filter(|(_, (value, _))| *value > 0.0)
            .map(|(hs_code, (value_usd, description))| StoredLine {
                hs_code,
                description,
                value_usd,
            })
            .collect();
        lines.sort_by(|a, b| {
            b.value_usd
                .total_cmp(&a.value_usd)
                .then_with(|| a.hs_code.cmp(&b.hs_code))
        });
        lines
    }
}

fn dataset() -> Dataset {
    let mut dataset = Dataset::default();
    for c in ["KOR", "KHM", "VNM"] {
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
    for key in ["stats", "other"] {
        dataset.sources.insert(key.into(), source(key));
    }
    dataset.quoted_products.push(QuotedProducts {
        reporter: code("KOR"),
        partner: code("VNM"),
        year: 2022,
        flow: TradeFlow::Export,
        products: vec!["Phones".into(), "Chips".into()],
        note: String::new(),
        sources: vec![source("other")],
    });
    dataset
}

fn row(hs: &str, value: f64, origin: &str) -> ProductFlow {
    ProductFlow {
        reporter: code("KOR"),
        partner: code("KHM"),
        year: 2022,
        flow: TradeFlow::Export,
        hs_code: hs.into(),
        description: format!("product {hs}"),
        value_usd: value,
        source: source(if origin == "comtrade" {
            "stats"
        } else {
            "other"
        }),
        origin: origin.into(),
    }
}

fn rows() -> Rows {
    Rows(vec![
        row("870421", 30.0, "comtrade"),
        row("870422", 10.0, "comtrade"),
        row("220210", 25.0, "comtrade"),
        row("6109", 0.0, "comtrade"),
        row("87", 999.0, "elsewhere"),
    ])
}

fn ask(partner: &str, digits: i32, page_size: i32) -> Result<ProductBreakdown, QueryError> {
    ask_page(partner, digits, page_size, "")
}

fn ask_page(
    partner: &str,
    digits: i32,
    page_size: i32,
    page_token: &str,
) -> Result<ProductBreakdown, QueryError> {
    let dataset = dataset();
    let question = check_product_query(
        &dataset,
        &ProductQuery {
            reporter: "KOR".into(),
            partner: partner.into(),
            year: 2022,
            flow: Some(TradeFlow::Export),
            hs_digits: digits,
            page_size,
            page_token: page_token.into(),
        },
    )?;
    product_breakdown(&dataset, &question, &rows())
}

#[test]
fn products_sum_up_to_the_requested_hs_level_from_the_finest_stored() {
    let breakdown = ask("KHM", 4, 0).expect("computed");
    assert!(!breakdown.quoted);
    let lines: Vec<_> = breakdown
        .products
        .iter()
        .map(|p| (p.hs_code.as_str(), p.value_usd, p.description.as_str()))
        .collect();
    assert_eq!(
        lines,
        [("8704", Some(40.0), ""), ("2202", Some(25.0), "")],
        "zero lines dropped; HS4 summed from HS6, not read from the HS4 rows"
    );
    let shares: f64 = breakdown.products.iter().filter_map(|p| p.share_pct).sum();
    assert!((shares - 100.0).abs() < 1e-9);
    assert_eq!(breakdown.sources[0].key, "stats", "one origin, the fullest");
}

#[test]
fn products_at_hs6_keep_their_descriptions_and_limit() {
    let breakdown = ask("KHM", 6, 1).expect("computed");
    assert_eq!(breakdown.products.len(), 1);
    assert_eq!(breakdown.products[0].hs_code, "870421");
    assert_eq!(breakdown.products[0].description, "product 870421");
}

#[test]
fn products_page_through_every_line_with_a_total() {
    let everything = ask("KHM", 6, 1000).expect("one page");
    assert_eq!(everything.next_page_token, None);
    assert_eq!(everything.total, everything.products.len());
    assert!(everything.total > 1, "the fixture needs several lines");

    let mut paged = Vec::new();
    let mut token = String::new();
    loop {
        let page = ask_page("KHM", 6, 1, &token).expect("a page");
        assert_eq!(
            page.total, everything.total,
            "every page gives the same total"
        );
        paged.extend(page.products);
        match page.next_page_token {
            Some(next) => token = next,
            None => break,
        }
    }
    assert_eq!(
        paged, everything.products,
        "pages of one are the whole list, in order"
    );

    let first = ask("KHM", 6, 1).expect("first page");
    let token = first.next_page_token.expect("a second page");
    assert!(
        matches!(
            ask_page("KHM", 4, 1, &token),
            Err(QueryError::InvalidArgument {
                field: "page_token",
                ..
            })
        ),
        "a token is bound to its question"
    );
}

#[test]
fn quoted_products_answer_where_no_lines_are_stored() {
    let breakdown = ask("VNM", 0, 1).expect("quoted");
    assert!(breakdown.quoted);
    assert_eq!(breakdown.products.len(), 1);
    assert_eq!(breakdown.products[0].description, "Phones");
}

#[test]
fn a_level_asked_of_a_quoted_list_is_refused_not_ignored() {
    for digits in [2, 4, 6] {
        match ask("VNM", digits, 1) {
            Err(QueryError::NotFound { message, .. }) => {
                assert!(message.contains("ask with hs_digits 0"), "{message}");
            }
            other => panic!("HS{digits} of a quoted list: {other:?}"),
        }
    }
}

#[test]
fn bad_questions_name_their_field() {
    let dataset = dataset();
    let base = ProductQuery {
        reporter: "KOR".into(),
        partner: "KHM".into(),
        year: 2022,
        flow: Some(TradeFlow::Export),
        hs_digits: 2,
        page_size: 0,
        page_token: String::new(),
    };
    let field_of = |request: ProductQuery| match check_product_query(&dataset, &request) {
        Err(QueryError::InvalidArgument { field, .. }) => field,
        other => panic!("expected INVALID_ARGUMENT, got {other:?}"),
    };
    assert_eq!(
        field_of(ProductQuery {
            hs_digits: 3,
            ..base.clone()
        }),
        "hs_digits"
    );
    assert_eq!(
        field_of(ProductQuery {
            flow: Some(TradeFlow::Total),
            ..base.clone()
        }),
        "flow"
    );
    assert_eq!(
        field_of(ProductQuery {
            page_size: -1,
            ..base.clone()
        }),
        "page_size"
    );
    assert_eq!(
        field_of(ProductQuery {
            page_token: "not-a-token".into(),
            ..base.clone()
        }),
        "page_token"
    );
    assert_eq!(
        field_of(ProductQuery {
            partner: "USA".into(),
            ..base
        }),
        "partner",
        "an economy the dataset does not know is a bad field value"
    );
}
