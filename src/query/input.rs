//! Checks on raw request values, each failure naming the request field.

use crate::domain::{Dataset, EconomyCode, PartialDate, registry, shorten};

use super::QueryError;

/// Years tradepact accepts in requests and stores.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;

/// True for lower-case slugs such as `kor-khm`: letters, digits and single
/// hyphens, at most 64 characters.
pub fn is_valid_agreement_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
}

/// True for World Bank style indicator codes such as `NY.GDP.MKTP.KD.ZG`.
pub fn is_valid_indicator_code(code: &str) -> bool {
    (2..=64).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'.' || b == b'_')
        && !code.starts_with('.')
        && !code.ends_with('.')
}

/// Normalises an agreement id (case-insensitive input) or says what is wrong.
pub fn agreement_id(field: &'static str, raw: &str) -> Result<String, QueryError> {
    let id = raw.trim().to_ascii_lowercase();
    if id.is_empty() {
        return Err(QueryError::invalid(
            field,
            "must not be empty; e.g. 'kor-khm'",
        ));
    }
    if !is_valid_agreement_id(&id) {
        return Err(QueryError::invalid(
            field,
            format!(
                "'{}' is not an agreement id; ids are lower-case slugs such as 'kor-khm'",
                shorten(raw)
            ),
        ));
    }
    Ok(id)
}

/// The economy or group a request field names, as its alpha-3 code (or the
/// group's code): any code, name or alias the economy registry knows
/// (`KOR`, `kr`, `410`, `South Korea`, `Korea, Republic of`), in any case and
/// ignoring accents, punctuation and spaces; otherwise any well-formed code,
/// which [`require_known`] then looks up. Whether the dataset knows it is
/// checked separately, after every field's form is checked, so a malformed
/// request is always INVALID_ARGUMENT whatever the data hold.
pub fn economy_code(field: &'static str, raw: &str) -> Result<EconomyCode, QueryError> {
    if raw.trim().is_empty() {
        return Err(QueryError::invalid(
            field,
            format!("must not be empty; {ECONOMY_FORMS}"),
        ));
    }
    if let Some(code) = registry().resolve(raw) {
        return Ok(code.clone());
    }
    EconomyCode::parse(raw).map_err(|_| {
        QueryError::invalid(
            field,
            format!(
                "'{}' is no economy or group tradepact knows{}; {ECONOMY_FORMS}",
                shorten(raw.trim()),
                did_you_mean(raw)
            ),
        )
    })
}

/// "; did you mean KHM (Cambodia)?" for the economies closest to `raw`, or
/// "" when none is close.
pub fn did_you_mean(raw: &str) -> String {
    let registry = registry();
    let named: Vec<String> = registry
        .closest(raw, 3)
        .into_iter()
        .map(|code| match registry.display_name(code) {
            Some(name) => format!("{code} ({name})"),
            None => code.to_string(),
        })
        .collect();
    if named.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", named.join(", "))
    }
}

/// What an economy field accepts, for error messages.
const ECONOMY_FORMS: &str = "give an ISO 3166-1 code (KOR, KR or 410), a name (South Korea) \
                             or a group (ASEAN)";

/// NOT_FOUND unless the dataset knows every code in `codes`.
pub fn require_known<'a>(
    dataset: &Dataset,
    field: &'static str,
    codes: impl IntoIterator<Item = &'a EconomyCode>,
) -> Result<(), QueryError> {
    match codes
        .into_iter()
        .find(|code| !dataset.is_known_economy(code))
    {
        // An unknown value in a request field is the request's fault
        // (AIP-193), not a missing resource.
        Some(code) => Err(QueryError::invalid(
            field,
            match registry().display_name(code) {
                Some(name) => {
                    format!("'{code}' ({name}) is not an economy this service holds data on")
                }
                None => format!(
                    "'{code}' is not a known economy or group{}",
                    did_you_mean(code.as_str())
                ),
            },
        )),
        None => Ok(()),
    }
}

/// An optional date that, when given, must be a full date.
pub fn optional_full_date(
    field: &'static str,
    parts: Option<(i32, i32, i32)>,
) -> Result<Option<PartialDate>, QueryError> {
    let Some((year, month, day)) = parts else {
        return Ok(None);
    };
    if (year, month, day) == (0, 0, 0) {
        return Ok(None);
    }
    let date = PartialDate::new(year, month, day)
        .map_err(|e| QueryError::invalid(field, e.to_string()))?;
    if !date.is_full() {
        return Err(QueryError::invalid(
            field,
            format!("{date} is not a full date; give year, month and day"),
        ));
    }
    Ok(Some(date))
}

/// A required year in [`YEARS`].
pub fn year(field: &'static str, year: i32) -> Result<i32, QueryError> {
    if year == 0 {
        return Err(QueryError::invalid(field, "is required, e.g. 2019"));
    }
    if !YEARS.contains(&year) {
        return Err(QueryError::invalid(
            field,
            format!("{year} is outside {}..={}", YEARS.start(), YEARS.end()),
        ));
    }
    Ok(year)
}

/// An inclusive range of years; 0 leaves an end open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearRange {
    pub start: i32,
    pub end: i32,
}

impl YearRange {
    pub fn parse(start: i32, end: i32) -> Result<Self, QueryError> {
        let start = if start == 0 {
            *YEARS.start()
        } else {
            year("start_year", start)?
        };
        let end = if end == 0 {
            *YEARS.end()
        } else {
            year("end_year", end)?
        };
        if start > end {
            return Err(QueryError::invalid(
                "start_year",
                format!("{start} is after end_year {end}"),
            ));
        }
        Ok(Self { start, end })
    }

    pub fn contains(self, year: i32) -> bool {
        (self.start..=self.end).contains(&year)
    }

    /// " in 2019–2021", " from 2019", " to 2021", or "" when open.
    pub fn describe(self) -> String {
        let open_start = self.start == *YEARS.start();
        let open_end = self.end == *YEARS.end();
        match (open_start, open_end) {
            (true, true) => String::new(),
            (false, true) => format!(" from {}", self.start),
            (true, false) => format!(" to {}", self.end),
            (false, false) if self.start == self.end => format!(" in {}", self.start),
            (false, false) => format!(" in {}–{}", self.start, self.end),
        }
    }
}

/// A count with a default for 0, coerced down to `max`, negative rejected.
pub fn count(
    field: &'static str,
    raw: i32,
    default: usize,
    max: usize,
) -> Result<usize, QueryError> {
    match raw {
        0 => Ok(default),
        n if n < 0 => Err(QueryError::invalid(field, format!("{n} is negative"))),
        n => Ok((n as usize).min(max)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreement_ids_are_lower_case_slugs() {
        assert_eq!(agreement_id("id", " KOR-KHM "), Ok("kor-khm".into()));
        for bad in [
            "",
            "kor khm",
            "kor_khm",
            "-kor",
            "kor-",
            "kor--khm",
            &"a".repeat(65),
        ] {
            assert!(agreement_id("id", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn economies_are_read_from_codes_names_and_aliases() {
        let code = |raw: &str| economy_code("party", raw).map(|c| c.to_string());
        for raw in [
            "KOR",
            "kor",
            "KR",
            "410",
            "South Korea",
            "Korea, Republic of",
            "korea",
        ] {
            assert_eq!(code(raw), Ok("KOR".into()), "{raw:?}");
        }
        assert_eq!(code("Türkiye"), Ok("TUR".into()));
        assert_eq!(code("european union"), Ok("EU".into()));
        // Unknown but well formed: the dataset lookup answers NOT_FOUND.
        assert_eq!(code("xyz"), Ok("XYZ".into()));
        for bad in ["", "  ", "K0R", "Republic of Atlantis"] {
            match code(bad) {
                Err(QueryError::InvalidArgument { field, reason }) => {
                    assert_eq!(field, "party");
                    assert!(reason.contains("KOR"), "{reason}");
                }
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn year_ranges_are_checked_and_name_their_field() {
        assert_eq!(
            YearRange::parse(0, 0),
            Ok(YearRange {
                start: 1900,
                end: 2100
            })
        );
        assert_eq!(
            YearRange::parse(2010, 2024),
            Ok(YearRange {
                start: 2010,
                end: 2024
            })
        );
        let field_of = |result: Result<YearRange, QueryError>| match result {
            Err(QueryError::InvalidArgument { field, .. }) => field,
            other => panic!("expected an invalid argument, got {other:?}"),
        };
        assert_eq!(field_of(YearRange::parse(2020, 2010)), "start_year");
        assert_eq!(field_of(YearRange::parse(-5, 2010)), "start_year");
        assert_eq!(field_of(YearRange::parse(2010, 99999)), "end_year");
    }

    #[test]
    fn counts_default_coerce_and_reject_negatives() {
        assert_eq!(count("page_size", 0, 50, 1000), Ok(50));
        assert_eq!(count("page_size", 5000, 50, 1000), Ok(1000));
        assert!(count("page_size", -1, 50, 1000).is_err());
    }

    #[test]
    fn dates_must_be_full_when_given() {
        assert_eq!(optional_full_date("as_of", None), Ok(None));
        assert_eq!(optional_full_date("as_of", Some((0, 0, 0))), Ok(None));
        assert!(optional_full_date("as_of", Some((2020, 10, 0))).is_err());
        assert!(optional_full_date("as_of", Some((2020, 2, 30))).is_err());
        assert!(optional_full_date("as_of", Some((2020, 10, 6))).is_ok_and(|d| d.is_some()));
    }

    #[test]
    fn indicator_codes_look_like_world_bank_codes() {
        assert!(is_valid_indicator_code("NY.GDP.MKTP.KD.ZG"));
        assert!(!is_valid_indicator_code("ny.gdp"));
        assert!(!is_valid_indicator_code("NY GDP"));
        assert!(!is_valid_indicator_code(".NY"));
    }
}
