//! Economy codes: ISO 3166-1 alpha-3 codes (`KOR`) and group names (`ASEAN`).

use std::fmt;

/// A syntactically valid economy code, upper case. Whether the economy is known
/// is a question for the dataset, not for this type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EconomyCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EconomyCodeError {
    #[error("is empty; expected an ISO 3166-1 alpha-3 code such as KOR or a group such as ASEAN")]
    Empty,
    #[error(
        "'{0}' is not an ISO 3166-1 alpha-3 code (such as KOR) or a group name (such as ASEAN)"
    )]
    Malformed(String),
}

impl EconomyCode {
    /// Accepts 2 to 16 ASCII letters in any case and stores them upper case.
    pub fn parse(text: &str) -> Result<Self, EconomyCodeError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(EconomyCodeError::Empty);
        }
        let well_formed =
            (2..=16).contains(&trimmed.len()) && trimmed.bytes().all(|b| b.is_ascii_alphabetic());
        if !well_formed {
            return Err(EconomyCodeError::Malformed(shorten(trimmed)));
        }
        Ok(Self(trimmed.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EconomyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Keeps error messages short when a client sends something huge.
pub(crate) fn shorten(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// A known economy or group of economies.
#[derive(Debug, Clone, PartialEq)]
pub struct Economy {
    pub code: EconomyCode,
    /// ISO 3166-1 alpha-2 (`KH`), which some sources use; `None` for groups.
    pub iso2: Option<String>,
    pub name: String,
    /// Empty for a single economy; the member codes for a group.
    pub members: Vec<EconomyCode>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_cases_valid_codes() {
        assert_eq!(
            EconomyCode::parse("khm").map(|c| c.to_string()),
            Ok("KHM".into())
        );
        assert_eq!(
            EconomyCode::parse(" Asean ").map(|c| c.to_string()),
            Ok("ASEAN".into())
        );
        assert_eq!(
            EconomyCode::parse("EU").map(|c| c.to_string()),
            Ok("EU".into())
        );
    }

    #[test]
    fn rejects_empty_and_malformed_codes() {
        assert_eq!(EconomyCode::parse(""), Err(EconomyCodeError::Empty));
        for bad in ["K", "K0R", "KOR;", "한국", "ABCDEFGHIJKLMNOPQ"] {
            assert!(
                matches!(EconomyCode::parse(bad), Err(EconomyCodeError::Malformed(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn shortens_long_input_in_messages() {
        let long = "A".repeat(1000);
        assert_eq!(shorten(&long).chars().count(), 41);
    }
}
