//! AIP-158 page tokens: opaque to clients, bound to the filters they were
//! issued for, and resumable by key (the last id returned) so a page never
//! repeats or skips items when the data change between calls.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::QueryError;

const PREFIX: &str = "tp1";

/// Where the next page starts, for a given set of filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageToken {
    /// Fingerprint of the request's filters.
    pub filters: u64,
    /// The last key the previous page returned.
    pub after: String,
}

impl PageToken {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{PREFIX}:{:016x}:{}", self.filters, self.after))
    }

    /// Decodes a token; an empty string means the first page.
    pub fn decode(raw: &str, filters: u64) -> Result<Option<Self>, QueryError> {
        if raw.is_empty() {
            return Ok(None);
        }
        let foreign = || QueryError::invalid("page_token", "is not a token this service issued");
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| foreign())?;
        let text = String::from_utf8(bytes).map_err(|_| foreign())?;
        let mut parts = text.splitn(3, ':');
        let (Some(PREFIX), Some(fingerprint), Some(after)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(foreign());
        };
        let issued_for = u64::from_str_radix(fingerprint, 16).map_err(|_| foreign())?;
        if issued_for != filters {
            return Err(QueryError::invalid(
                "page_token",
                "was issued for different filters; repeat the request with the filters of the first page",
            ));
        }
        Ok(Some(Self {
            filters,
            after: after.to_owned(),
        }))
    }
}

/// FNV-1a over the filter values: stable across builds and processes, which
/// `std`'s randomly seeded hasher is not.
pub fn fingerprint(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0xff)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_for_their_filters() {
        let filters = fingerprint(&["KOR", "", ""]);
        let token = PageToken {
            filters,
            after: "kor-khm".into(),
        };
        assert_eq!(PageToken::decode(&token.encode(), filters), Ok(Some(token)));
        assert_eq!(PageToken::decode("", filters), Ok(None));
    }

    #[test]
    fn foreign_and_mismatched_tokens_are_invalid() {
        let filters = fingerprint(&["KOR"]);
        let other = PageToken {
            filters: fingerprint(&["KHM"]),
            after: "x".into(),
        }
        .encode();
        for raw in ["garbage!", "Zm9v", other.as_str()] {
            assert!(
                matches!(
                    PageToken::decode(raw, filters),
                    Err(QueryError::InvalidArgument {
                        field: "page_token",
                        ..
                    })
                ),
                "{raw}"
            );
        }
    }

    #[test]
    fn fingerprints_separate_fields() {
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
    }
}
