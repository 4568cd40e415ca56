//! AIP-158 page tokens: opaque to clients, tamper-evident, bound to the
//! filters they were issued for, and resumable by key (the last id returned)
//! or by position.
//!
//! A token is `base64url(version ‖ nonce ‖ AES-256-GCM(filters ‖ after))`:
//! a client can neither read the internal key it carries nor forge or alter
//! one (the tag fails). The nonce is a keyed hash of the sealed bytes (a
//! synthetic IV), so the same page always gets the same token: two spellings
//! of one question give equal answers, and cached answers stay valid. The key is random per process unless the operator
//! gives one (`--page-token-key`), which every replica behind one address
//! must share so a token from one replica works on the next.

use std::sync::OnceLock;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::{digest, hmac};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::QueryError;

/// The first byte of every token; a new layout takes a new version.
const VERSION: u8 = 1;
/// Authenticated with every token, so a sealed value from another purpose
/// never opens as a page token.
const CONTEXT: &[u8] = b"tradepact page token";

/// The two keys one secret gives: one seals, one derives nonces.
struct Keys {
    sealing: LessSafeKey,
    nonces: hmac::Key,
}

static KEYS: OnceLock<Keys> = OnceLock::new();

/// Seals tokens with keys derived from `material` instead of random ones.
/// Call once, before serving; returns false when keys were already in use
/// (the first stay, so tokens already issued keep working).
pub fn use_key_material(material: &[u8]) -> bool {
    KEYS.set(Keys::from_material(material)).is_ok()
}

fn keys() -> &'static Keys {
    KEYS.get_or_init(|| {
        // From the getrandom system call (through rand's thread generator):
        // aws-lc's own generator may keep /dev/urandom open for the life of
        // the process, one file descriptor no one asked for.
        let material: [u8; 32] = rand::random();
        Keys::from_material(&material)
    })
}

impl Keys {
    fn from_material(material: &[u8]) -> Self {
        let derive = |purpose: &[u8]| {
            let mut context = digest::Context::new(&digest::SHA256);
            context.update(purpose);
            context.update(material);
            context.finish()
        };
        let sealing = derive(b"tradepact page token sealing key");
        let nonces = derive(b"tradepact page token nonce key");
        Self {
            sealing: LessSafeKey::new(
                UnboundKey::new(&AES_256_GCM, sealing.as_ref()).expect("a 32-byte AES-256 key"),
            ),
            nonces: hmac::Key::new(hmac::HMAC_SHA256, nonces.as_ref()),
        }
    }

    /// The nonce for `plain`: distinct for distinct tokens, equal for equal ones.
    fn nonce_for(&self, plain: &[u8]) -> [u8; NONCE_LEN] {
        let tag = hmac::sign(&self.nonces, plain);
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&tag.as_ref()[..NONCE_LEN]);
        nonce
    }
}

/// Where the next page starts, for a given set of filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageToken {
    /// [`fingerprint`] of the request's filters.
    pub filters: u64,
    /// The last key returned, or the position of the next item.
    pub after: String,
}

impl PageToken {
    pub fn encode(&self) -> String {
        let keys = keys();
        let mut sealed = self.filters.to_be_bytes().to_vec();
        sealed.extend_from_slice(self.after.as_bytes());
        let nonce = keys.nonce_for(&sealed);
        keys.sealing
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(CONTEXT),
                &mut sealed,
            )
            .expect("AES-GCM sealing of a short token");
        let mut token = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        token.push(VERSION);
        token.extend_from_slice(&nonce);
        token.extend_from_slice(&sealed);
        URL_SAFE_NO_PAD.encode(token)
    }

    /// `None` for an empty token (the first page).
    pub fn decode(raw: &str, filters: u64) -> Result<Option<Self>, QueryError> {
        if raw.is_empty() {
            return Ok(None);
        }
        let foreign = || QueryError::invalid("page_token", "is not a token this service issued");
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| foreign())?;
        let Some((&VERSION, rest)) = bytes.split_first() else {
            return Err(foreign());
        };
        if rest.len() < NONCE_LEN {
            return Err(foreign());
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| foreign())?;
        let mut sealed = sealed.to_vec();
        let opened = keys()
            .sealing
            .open_in_place(nonce, Aad::from(CONTEXT), &mut sealed)
            .map_err(|_| foreign())?;
        if opened.len() < 8 {
            return Err(foreign());
        }
        let (issued_for, after) = opened.split_at(8);
        let issued_for = u64::from_be_bytes(issued_for.try_into().map_err(|_| foreign())?);
        if issued_for != filters {
            return Err(QueryError::invalid(
                "page_token",
                "was issued for different filters; repeat the request with the filters of the first page",
            ));
        }
        let after = String::from_utf8(after.to_vec()).map_err(|_| foreign())?;
        Ok(Some(Self { filters, after }))
    }

    /// The position a positional token resumes at; 0 without a token.
    pub fn position(raw: &str, filters: u64) -> Result<usize, QueryError> {
        match Self::decode(raw, filters)? {
            None => Ok(0),
            Some(token) => token.after.parse().map_err(|_| {
                QueryError::invalid("page_token", "is not a token this service issued")
            }),
        }
    }

    /// The token that resumes at `position`.
    pub fn at_position(filters: u64, position: usize) -> String {
        Self {
            filters,
            after: position.to_string(),
        }
        .encode()
    }
}

/// A stable hash of a request's filters (FNV-1a, fields separated), so a
/// token is refused with other filters.
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
        let at = PageToken::at_position(filters, 40);
        assert_eq!(PageToken::position(&at, filters), Ok(40));
    }

    #[test]
    fn a_page_has_one_token_and_pages_have_different_ones() {
        let token = |after: &str| {
            PageToken {
                filters: 9,
                after: after.into(),
            }
            .encode()
        };
        assert_eq!(token("kor-khm"), token("kor-khm"));
        assert_ne!(token("kor-khm"), token("kor-idn"));
    }

    #[test]
    fn tokens_do_not_show_the_key_they_carry() {
        let token = PageToken {
            filters: 7,
            after: "kor-khm".into(),
        }
        .encode();
        let bytes = URL_SAFE_NO_PAD.decode(&token).expect("base64");
        assert!(!bytes.windows(7).any(|w| w == b"kor-khm"), "{token}");
    }

    #[test]
    fn a_changed_byte_is_refused() {
        let filters = fingerprint(&["KOR"]);
        let token = PageToken {
            filters,
            after: "kor-khm".into(),
        }
        .encode();
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).expect("base64");
        for index in [1, bytes.len() / 2, bytes.len() - 1] {
            bytes[index] ^= 0x01;
            let altered = URL_SAFE_NO_PAD.encode(&bytes);
            assert!(
                PageToken::decode(&altered, filters).is_err(),
                "byte {index}"
            );
            bytes[index] ^= 0x01;
        }
    }

    #[test]
    fn foreign_and_mismatched_tokens_are_invalid() {
        let filters = fingerprint(&["KOR"]);
        let other = PageToken {
            filters: fingerprint(&["KHM"]),
            after: "x".into(),
        }
        .encode();
        let readable = URL_SAFE_NO_PAD.encode(format!("tp1:{filters:016x}:kor-khm"));
        for raw in ["garbage!", "Zm9v", "", other.as_str(), readable.as_str()] {
            let decoded = PageToken::decode(raw, filters);
            if raw.is_empty() {
                assert_eq!(decoded, Ok(None));
                continue;
            }
            assert!(
                matches!(
                    decoded,
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
