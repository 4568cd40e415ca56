//! The whole read model: everything the service answers from, loaded from the
//! store in one read transaction and replaced whole when the data change.

use std::collections::BTreeMap;

use super::{
    Agreement, Economy, EconomyCode, Indicator, IndicatorSeries, PartnerFlow, ProductFlows,
    QuotedProducts, QuotedRank, TradeFigure,
};

#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Edition of the built-in dataset in the store.
    pub version: String,
    pub economies: BTreeMap<EconomyCode, Economy>,
    /// By id, so listing in id order is a walk.
    pub agreements: BTreeMap<String, Agreement>,
    pub trade: Vec<TradeFigure>,
    pub quoted_ranks: Vec<QuotedRank>,
    pub quoted_products: Vec<QuotedProducts>,
    pub partner_flows: Vec<PartnerFlow>,
    pub product_flows: ProductFlows,
    pub indicators: BTreeMap<String, Indicator>,
    pub indicator_series: Vec<IndicatorSeries>,
}

impl Dataset {
    /// The member codes of a group; empty for a single economy or an unknown code.
    pub fn members_of(&self, code: &EconomyCode) -> &[EconomyCode] {
        self.economies
            .get(code)
            .map(|economy| economy.members.as_slice())
            .unwrap_or(&[])
    }

    pub fn is_known_economy(&self, code: &EconomyCode) -> bool {
        self.economies.contains_key(code)
    }

    /// The economy with this ISO 3166-1 alpha-2 code (`KH` → `KHM`).
    pub fn by_iso2(&self, iso2: &str) -> Option<&EconomyCode> {
        self.economies
            .values()
            .find(|e| e.iso2.as_deref() == Some(iso2))
            .map(|e| &e.code)
    }
}
