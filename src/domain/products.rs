//! Product figures (HS lines) held compactly in the read model.
//!
//! A Comtrade HS6 refresh brings about a million lines. As one
//! [`ProductFlow`] each (five heap strings and an `Arc`) that is ~350 bytes a
//! line, ~350 MB a snapshot, and a reload keeps two snapshots alive for a
//! moment. Here a line is 24 bytes: HS codes, descriptions, origins and
//! sources are stored once and referred to by index, and lines are grouped by
//! reporter, partner, year and flow, which is how every question asks for
//! them, so a product breakdown reads one group instead of scanning them all.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::{EconomyCode, ProductFlow, Source, TradeFlow};

/// Which lines a product breakdown reads together.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProductGroup {
    pub reporter: EconomyCode,
    pub partner: EconomyCode,
    pub year: i32,
    pub flow: TradeFlow,
}

/// One stored line; text and sources are indexes into the tables.
#[derive(Debug, Clone, Copy)]
struct Line {
    hs_code: u32,
    description: u32,
    origin: u32,
    source: u32,
    value_usd: f64,
}

/// Strings stored once, by index.
#[derive(Debug, Clone, Default)]
struct Interner {
    texts: Vec<Box<str>>,
    index: HashMap<Box<str>, u32>,
}

impl Interner {
    fn intern(&mut self, text: &str) -> u32 {
        if let Some(&index) = self.index.get(text) {
            return index;
        }
        let index = u32::try_from(self.texts.len()).expect("fewer than 2^32 distinct texts");
        self.texts.push(text.into());
        self.index.insert(text.into(), index);
        index
    }

    fn get(&self, index: u32) -> &str {
        &self.texts[index as usize]
    }
}

/// One product line as the read model hands it out (borrowed from the table).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProductFlowRef<'a> {
    pub reporter: &'a EconomyCode,
    pub partner: &'a EconomyCode,
    pub year: i32,
    pub flow: TradeFlow,
    /// 2, 4 or 6 digits.
    pub hs_code: &'a str,
    pub description: &'a str,
    pub value_usd: f64,
    pub source: &'a Arc<Source>,
    /// The source that stored it; one breakdown never mixes origins.
    pub origin: &'a str,
}

/// Every product line of the dataset, grouped by reporter, partner, year and flow.
#[derive(Debug, Clone, Default)]
pub struct ProductFlows {
    groups: BTreeMap<ProductGroup, Vec<Line>>,
    hs_codes: Interner,
    descriptions: Interner,
    origins: Interner,
    sources: Vec<Arc<Source>>,
    source_index: HashMap<String, u32>,
    len: usize,
}

impl ProductFlows {
    /// Adds one line.
    pub fn push(&mut self, flow: ProductFlow) {
        let group = ProductGroup {
            reporter: flow.reporter,
            partner: flow.partner,
            year: flow.year,
            flow: flow.flow,
        };
        self.insert(
            &group,
            &flow.hs_code,
            &flow.description,
            flow.value_usd,
            &flow.source,
            &flow.origin,
        );
    }

    /// Adds one line of `group` without building a [`ProductFlow`] first
    /// (loaders see many lines of one group in a row).
    pub fn insert(
        &mut self,
        group: &ProductGroup,
        hs_code: &str,
        description: &str,
        value_usd: f64,
        source: &Arc<Source>,
        origin: &str,
    ) {
        let line = Line {
            hs_code: self.hs_codes.intern(hs_code),
            description: self.descriptions.intern(description),
            origin: self.origins.intern(origin),
            source: self.source(source),
            value_usd,
        };
        match self.groups.get_mut(group) {
            Some(lines) => lines.push(line),
            None => {
                self.groups.insert(group.clone(), vec![line]);
            }
        }
        self.len += 1;
    }

    fn source(&mut self, source: &Arc<Source>) -> u32 {
        if let Some(&index) = self.source_index.get(&source.key) {
            return index;
        }
        let index = u32::try_from(self.sources.len()).expect("fewer than 2^32 sources");
        self.sources.push(Arc::clone(source));
        self.source_index.insert(source.key.clone(), index);
        index
    }

    /// Gives back the spare capacity the loader's growth left behind.
    pub fn shrink_to_fit(&mut self) {
        for lines in self.groups.values_mut() {
            lines.shrink_to_fit();
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The lines of one reporter, partner, year and flow, in the order stored.
    pub fn of(
        &self,
        reporter: &EconomyCode,
        partner: &EconomyCode,
        year: i32,
        flow: TradeFlow,
    ) -> impl Iterator<Item = ProductFlowRef<'_>> {
        let group = ProductGroup {
            reporter: reporter.clone(),
            partner: partner.clone(),
            year,
            flow,
        };
        self.groups
            .get_key_value(&group)
            .into_iter()
            .flat_map(move |(group, lines)| lines.iter().map(move |line| self.view(group, line)))
    }

    /// Every line, group by group.
    pub fn iter(&self) -> impl Iterator<Item = ProductFlowRef<'_>> {
        self.groups
            .iter()
            .flat_map(move |(group, lines)| lines.iter().map(move |line| self.view(group, line)))
    }

    fn view<'a>(&'a self, group: &'a ProductGroup, line: &Line) -> ProductFlowRef<'a> {
        ProductFlowRef {
            reporter: &group.reporter,
            partner: &group.partner,
            year: group.year,
            flow: group.flow,
            hs_code: self.hs_codes.get(line.hs_code),
            description: self.descriptions.get(line.description),
            value_usd: line.value_usd,
            source: &self.sources[line.source as usize],
            origin: self.origins.get(line.origin),
        }
    }
}

/// An HS code of 2, 4 or 6 digits, stored inline (no allocation per line).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HsCode {
    len: u8,
    digits: [u8; 6],
}

impl HsCode {
    /// 2, 4 or 6 ASCII digits; anything else is `None`.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if !matches!(bytes.len(), 2 | 4 | 6) || !bytes.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let mut digits = [0; 6];
        digits[..bytes.len()].copy_from_slice(bytes);
        Some(Self {
            len: bytes.len() as u8,
            digits,
        })
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.digits[..usize::from(self.len)]).unwrap_or_default()
    }

    /// 2, 4 or 6.
    pub fn digits(&self) -> u8 {
        self.len
    }
}

impl std::fmt::Debug for HsCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HS{}", self.as_str())
    }
}

impl std::fmt::Display for HsCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Product lines of one upstream answer on their way into the store (a
/// refresh too large to hold whole stages them answer by answer). The
/// reporter, year and source are the answer's; partners and descriptions
/// are stored once and referred to by index.
#[derive(Debug, Clone)]
pub struct ProductPage {
    pub reporter: EconomyCode,
    pub year: i32,
    pub source: Arc<Source>,
    pub partners: Vec<EconomyCode>,
    pub descriptions: Vec<String>,
    pub lines: Vec<PageLine>,
}

/// One line of a [`ProductPage`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageLine {
    /// Index into [`ProductPage::partners`].
    pub partner: u16,
    pub flow: TradeFlow,
    pub hs_code: HsCode,
    /// Index into [`ProductPage::descriptions`].
    pub description: u32,
    pub value_usd: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> EconomyCode {
        EconomyCode::parse(text).expect("valid")
    }

    fn source(key: &str) -> Arc<Source> {
        Arc::new(Source {
            key: key.into(),
            title: key.into(),
            publisher: "test".into(),
            url: String::new(),
            published: None,
            retrieved_at: None,
            license: String::new(),
            redistributable: false,
        })
    }

    fn flow(partner: &str, hs: &str, value: f64, origin: &str) -> ProductFlow {
        ProductFlow {
            reporter: code("KOR"),
            partner: code(partner),
            year: 2022,
            flow: TradeFlow::Export,
            hs_code: hs.into(),
            description: format!("product {hs}"),
            value_usd: value,
            source: source(origin),
            origin: origin.into(),
        }
    }

    #[test]
    fn lines_come_back_by_group_with_their_text_and_source() {
        let mut table = ProductFlows::default();
        table.push(flow("KHM", "870421", 30.0, "comtrade"));
        table.push(flow("VNM", "870421", 5.0, "comtrade"));
        table.push(flow("KHM", "220210", 25.0, "customs"));
        assert_eq!(table.len(), 3);
        let khm: Vec<_> = table
            .of(&code("KOR"), &code("KHM"), 2022, TradeFlow::Export)
            .map(|r| {
                (
                    r.hs_code,
                    r.description,
                    r.value_usd,
                    r.origin,
                    r.source.key.as_str(),
                )
            })
            .collect();
        assert_eq!(
            khm,
            [
                ("870421", "product 870421", 30.0, "comtrade", "comtrade"),
                ("220210", "product 220210", 25.0, "customs", "customs")
            ]
        );
        assert_eq!(
            table
                .of(&code("KOR"), &code("KHM"), 2021, TradeFlow::Export)
                .count(),
            0
        );
        assert_eq!(table.iter().count(), 3);
    }

    #[test]
    fn a_line_costs_24_bytes() {
        assert_eq!(std::mem::size_of::<Line>(), 24);
        assert_eq!(std::mem::size_of::<PageLine>(), 24);
    }

    #[test]
    fn hs_codes_are_2_4_or_6_digits() {
        assert_eq!(
            HsCode::parse("870321").map(|c| c.to_string()),
            Some("870321".into())
        );
        assert_eq!(HsCode::parse("87").map(|c| c.digits()), Some(2));
        for bad in ["", "8", "870", "87032", "8703210", "87a3", "TOTAL", "８７"] {
            assert_eq!(HsCode::parse(bad), None, "{bad}");
        }
    }
}
