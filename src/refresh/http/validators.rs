//! Conditional GET: the `ETag` / `Last-Modified` of a response are kept
//! (per URL, in the store) and sent back as `If-None-Match` /
//! `If-Modified-Since`, so an upstream whose data have not changed answers
//! 304 and the run has nothing to do.

use reqwest::header::{self, HeaderMap, HeaderValue};

use super::header_text;

/// Validators kept from a previous response, sent as If-None-Match / If-Modified-Since.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` header, verbatim (quotes and `W/` prefix included).
    pub etag: Option<String>,
    /// The `Last-Modified` header, verbatim.
    pub last_modified: Option<String>,
}

impl Validators {
    pub(super) fn from_headers(headers: &HeaderMap) -> Self {
        Self {
            etag: header_text(headers, &header::ETAG),
            last_modified: header_text(headers, &header::LAST_MODIFIED),
        }
    }

    /// Adds the conditional headers. A stored value that is not a valid header
    /// value is skipped: the fetch then simply downloads the full body.
    pub(super) fn apply(&self, headers: &mut HeaderMap) {
        let conditions = [
            (header::IF_NONE_MATCH, &self.etag),
            (header::IF_MODIFIED_SINCE, &self.last_modified),
        ];
        for (name, value) in conditions {
            if let Some(value) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
                headers.insert(name, value);
            }
        }
    }
}
