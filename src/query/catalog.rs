//! What the server knows, for clients to discover before they ask: the
//! economies and groups of the registry (with what the dataset holds on
//! them) and the indicators held or configured.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::domain::{
    Dataset, EconomyCode, EconomyGroup, PartialDate, RegisteredEconomy, normalise, registry,
};

use super::QueryError;
use super::input::{count, optional_full_date};
use super::paging::{PageToken, fingerprint};

const DEFAULT_PAGE_SIZE: usize = 100;
const MAX_PAGE_SIZE: usize = 1000;

/// Asks for economies and groups.
#[derive(Debug, Clone, Default)]
pub struct ListEconomies {
    /// Empty = every one.
    pub query: String,
    pub as_of: Option<(i32, i32, i32)>,
    pub page_size: i32,
    pub page_token: String,
}

/// An economy or group as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct EconomyEntry {
    pub code: EconomyCode,
    pub is_group: bool,
    pub iso2: Option<String>,
    pub numeric: Option<u16>,
    pub name: String,
    pub official_name: Option<String>,
    pub aliases: Vec<String>,
    /// An economy's groups on the date.
    pub groups: Vec<EconomyCode>,
    /// A group's members on the date.
    pub members: Vec<EconomyCode>,
    /// The dataset holds data on it.
    pub held: bool,
}

/// One page of economies.
#[derive(Debug, Clone)]
pub struct EconomyPage {
    pub economies: Vec<EconomyEntry>,
    pub total: usize,
    pub next_page_token: Option<String>,
}

/// Economies and groups matching the request, in code order, as on `as_of`
/// (`today` when unset).
pub fn list_economies(
    dataset: &Dataset,
    request: &ListEconomies,
    today: PartialDate,
) -> Result<EconomyPage, QueryError> {
    let on = optional_full_date("as_of", request.as_of)?.unwrap_or(today);
    let page_size = count(
        "page_size",
        request.page_size,
        DEFAULT_PAGE_SIZE,
        MAX_PAGE_SIZE,
    )?;
    let wanted = normalise(&request.query);
    if wanted.is_empty() && !request.query.trim().is_empty() {
        return Err(QueryError::invalid(
            "query",
            "has no letter or digit to match on",
        ));
    }
    let filters = fingerprint(&["economies", &wanted, &on.to_string()]);
    let offset = PageToken::position(&request.page_token, filters)?;

    let registry = registry();
    let held = dataset.economies_with_data();
    let mut matching: Vec<EconomyEntry> = registry
        .economies()
        .iter()
        .filter(|economy| wanted.is_empty() || economy_matches(economy, &wanted))
        .map(|economy| economy_entry(&held, economy, on))
        .chain(
            registry
                .groups()
                .iter()
                .filter(|group| wanted.is_empty() || group_matches(group, &wanted))
                .map(|group| group_entry(&held, group, on)),
        )
        .collect();
    matching.sort_by(|a, b| a.code.cmp(&b.code));
    let total = matching.len();
    let next = offset + page_size;
    Ok(EconomyPage {
        economies: matching.into_iter().skip(offset).take(page_size).collect(),
        total,
        next_page_token: (next < total).then(|| PageToken::at_position(filters, next)),
    })
}

fn contains(text: &str, wanted: &str) -> bool {
    normalise(text).contains(wanted)
}

fn economy_matches(economy: &RegisteredEconomy, wanted: &str) -> bool {
    contains(economy.code.as_str(), wanted)
        || economy.iso2.as_deref().is_some_and(|c| contains(c, wanted))
        || economy
            .numeric
            .is_some_and(|n| normalise(&n.to_string()) == wanted)
        || contains(&economy.name, wanted)
        || economy
            .official_name
            .as_deref()
            .is_some_and(|n| contains(n, wanted))
        || economy.names.iter().any(|n| contains(&n.name, wanted))
}

fn group_matches(group: &EconomyGroup, wanted: &str) -> bool {
    contains(group.code.as_str(), wanted)
        || contains(&group.name, wanted)
        || group.names.iter().any(|n| contains(&n.name, wanted))
}

fn economy_entry(
    held: &HashSet<&EconomyCode>,
    economy: &RegisteredEconomy,
    on: PartialDate,
) -> EconomyEntry {
    EconomyEntry {
        code: economy.code.clone(),
        is_group: false,
        iso2: economy.iso2.clone(),
        numeric: economy.numeric,
        name: economy.name.clone(),
        official_name: economy.official_name.clone(),
        aliases: aliases(&economy.name, economy.names.iter().map(|n| n.name.as_str())),
        groups: registry()
            .groups_of(&economy.code, on)
            .map(|group| group.code.clone())
            .collect(),
        members: Vec::new(),
        held: held.contains(&economy.code),
    }
}

fn group_entry(
    held: &HashSet<&EconomyCode>,
    group: &EconomyGroup,
    on: PartialDate,
) -> EconomyEntry {
    EconomyEntry {
        code: group.code.clone(),
        is_group: true,
        iso2: None,
        numeric: None,
        name: group.name.clone(),
        official_name: None,
        aliases: aliases(&group.name, group.names.iter().map(|n| n.name.as_str())),
        groups: Vec::new(),
        members: group.members_on(on).cloned().collect(),
        held: held.contains(&group.code),
    }
}

/// The other names, without the short name and without repeats.
fn aliases<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen = BTreeSet::from([name.to_owned()]);
    names
        .filter(|n| seen.insert((*n).to_owned()))
        .map(str::to_owned)
        .collect()
}

/// An indicator as listed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IndicatorSummary {
    pub code: String,
    pub name: String,
    pub unit: String,
    /// Configured for refresh.
    pub refreshed: bool,
    pub economies: Vec<EconomyCode>,
    /// First and last years with a value.
    pub years: Option<(i32, i32)>,
    /// "YYYY-MM-DD", oldest first.
    pub vintages: Vec<String>,
}

/// Every indicator held, and every one `configured` for refresh, in code order.
pub fn indicators(dataset: &Dataset, configured: &[String]) -> Vec<IndicatorSummary> {
    let mut by_code: BTreeMap<String, IndicatorSummary> = BTreeMap::new();
    for indicator in dataset.indicators.values() {
        by_code.insert(
            indicator.code.clone(),
            IndicatorSummary {
                code: indicator.code.clone(),
                name: indicator.name.clone(),
                unit: indicator.unit.clone(),
                ..IndicatorSummary::default()
            },
        );
    }
    for code in configured {
        by_code
            .entry(code.clone())
            .or_insert_with(|| IndicatorSummary {
                code: code.clone(),
                ..IndicatorSummary::default()
            })
            .refreshed = true;
    }
    for summary in by_code.values_mut() {
        let series = dataset
            .indicator_series
            .iter()
            .filter(|s| s.indicator == summary.code);
        let mut economies = BTreeSet::new();
        let mut vintages = BTreeSet::new();
        let mut years: Option<(i32, i32)> = None;
        for one in series {
            economies.insert(one.economy.clone());
            vintages.insert(one.vintage.clone());
            for (year, _) in one.points.iter().filter(|(_, value)| value.is_some()) {
                years = Some(match years {
                    None => (*year, *year),
                    Some((first, last)) => (first.min(*year), last.max(*year)),
                });
            }
        }
        summary.economies = economies.into_iter().collect();
        summary.vintages = vintages.into_iter().collect();
        summary.years = years;
    }
    by_code.into_values().collect()
}

#[cfg(test)]
mod tests;
