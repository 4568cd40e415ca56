//! Product lines on their way into the store: the HS code held inline and
//! the page of parsed lines that a Comtrade HS6 refresh stages answer by
//! answer (about a million lines a run; see `store::staging`). The read side
//! never holds product lines: it reads them per question from the store.

use std::sync::Arc;

use super::{EconomyCode, Source, TradeFlow};

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

    #[test]
    fn a_page_line_costs_24_bytes() {
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
