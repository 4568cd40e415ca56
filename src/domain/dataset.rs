//! The whole read model: everything the service answers from, loaded from the
//! store in one read transaction and replaced whole when the data change.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use super::{
    Agreement, Economy, EconomyCode, Indicator, IndicatorSeries, PartnerFlow, QuotedProducts,
    QuotedRank, Source, TradeFigure,
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
    // Product lines are not here: at Comtrade scale they stay in the store
    // (see `query::products`).
    pub indicators: BTreeMap<String, Indicator>,
    pub indicator_series: Vec<IndicatorSeries>,
    /// Every stored source by key, for answers read from the store that cite them.
    pub sources: HashMap<String, Arc<Source>>,
}

impl Dataset {
    /// The member codes of a group; empty for a single economy or an unknown code.
    pub fn members_of(&self, code: &EconomyCode) -> &[EconomyCode] {
        self.economies
            .get(code)
            .map(|economy| economy.members.as_slice())
            .unwrap_or(&[])
    }

    /// Every economy or group the dataset holds data about: a party to an
    /// agreement (or named by one of its events), a reporter or partner of
    /// a figure or a ranking, an economy with indicator values.
    pub fn economies_with_data(&self) -> HashSet<&EconomyCode> {
        let agreements = self.agreements.values().flat_map(|agreement| {
            agreement
                .parties
                .iter()
                .chain(agreement.events.iter().filter_map(|e| e.party.as_ref()))
        });
        let figures = self
            .trade
            .iter()
            .flat_map(|f| [&f.reporter, &f.partner])
            .chain(
                self.partner_flows
                    .iter()
                    .flat_map(|f| [&f.reporter, &f.partner]),
            )
            .chain(
                self.quoted_ranks
                    .iter()
                    .flat_map(|q| std::iter::once(&q.reporter).chain(&q.partners)),
            )
            .chain(self.indicator_series.iter().map(|s| &s.economy));
        agreements.chain(figures).collect()
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
