//! One adapter per upstream source, behind [`SourceAdapter`]: each fetches
//! what it needs through the shared HTTP client and maps the parsed records
//! into a [`Batch`] of tradepact's own rows, with provenance.

mod comtrade;
mod customs;
mod imf;
mod worldbank;
mod wto;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::domain::{Batch, Dataset, Source};
use crate::store::{ProductSink, UrlValidators};

use super::http::{
    BodySink, FetchError, FetchRequest, Fetched, FetchedBody, HttpClient, RateLimiter, Validators,
};
use super::parse::ParseError;

pub use comtrade::Comtrade;
pub use customs::Customs;
pub use imf::{Imf, Reporters as ImfReporters};
pub use worldbank::WorldBank;
pub use wto::Wto;

/// How one source is configured.
#[derive(Debug, Clone)]
pub struct SourceSettings {
    pub base_url: String,
    /// Cron, 6 fields (sec min hour dom month dow), UTC.
    pub schedule: String,
    /// Older data count as stale and are refreshed at start-up.
    pub max_age: Duration,
    /// At most one request per this interval.
    pub min_interval: Duration,
    /// API key, for sources that need or accept one.
    pub key: Option<String>,
}

/// What a source's fetch produced.
// One value per run, moved once: boxing the batch would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Fetch {
    /// Every request answered 304: nothing to do.
    Unchanged,
    Data {
        batch: Batch,
        /// ETag / Last-Modified to send next time, per URL.
        validators: Vec<UrlValidators>,
    },
}

/// Why a source's fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{url}: {source}")]
    Http {
        url: String,
        #[source]
        source: FetchError,
    },
    #[error("{url}: {source}")]
    Parse {
        url: String,
        #[source]
        source: ParseError,
    },
    #[error("{url}: HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{0}")]
    Invalid(String),
}

/// What an adapter may use while fetching.
pub struct FetchContext<'a> {
    pub http: &'a HttpClient,
    pub limiter: &'a RateLimiter,
    pub cancel: &'a CancellationToken,
    /// The dataset being served: which economies and agreements exist.
    pub dataset: &'a Dataset,
    /// Validators from the previous successful run, by URL.
    pub validators: &'a HashMap<String, Validators>,
    pub now: DateTime<Utc>,
    /// Where product lines go as they arrive, for an adapter that
    /// [stages them](SourceAdapter::stages_products).
    pub products: Option<&'a ProductSink>,
}

impl FetchContext<'_> {
    /// GETs `url`; a 304 comes back as `None`. Non-2xx answers other than
    /// those the HTTP layer retries are returned for the adapter to parse
    /// (providers put their error documents there).
    pub async fn get(
        &self,
        url: &str,
        headers: Vec<(&'static str, String)>,
    ) -> Result<Option<FetchedBody>, SourceError> {
        let validators = self.validators.get(&validator_key(url));
        self.request(url, headers, validators).await
    }

    /// GETs `url` without validators, so the answer always has a body.
    pub async fn get_in_full(
        &self,
        url: &str,
        headers: Vec<(&'static str, String)>,
    ) -> Result<FetchedBody, SourceError> {
        self.request(url, headers, None)
            .await?
            .ok_or_else(|| SourceError::Invalid(format!("{}: 304 without validators", redact(url))))
    }

    /// GETs `url` without validators, handing a 2xx body to `sink` as it
    /// arrives (up to `max_body_bytes`; see [`HttpClient::get_into`]). Other
    /// answers come back whole, for the adapter to read the provider's error.
    pub async fn get_into(
        &self,
        url: &str,
        headers: Vec<(&'static str, String)>,
        max_body_bytes: usize,
        sink: &mut dyn BodySink,
    ) -> Result<FetchedBody, SourceError> {
        let request = FetchRequest {
            url,
            headers,
            validators: None,
        };
        let fetched = self
            .http
            .get_into(&request, self.limiter, self.cancel, max_body_bytes, sink)
            .await;
        match fetched {
            Ok(Fetched::Body(body)) => Ok(body),
            Ok(Fetched::NotModified) => Err(SourceError::Invalid(format!(
                "{}: 304 without validators",
                redact(url)
            ))),
            Err(source) => Err(SourceError::Http {
                url: redact(url),
                source,
            }),
        }
    }

    async fn request(
        &self,
        url: &str,
        headers: Vec<(&'static str, String)>,
        validators: Option<&Validators>,
    ) -> Result<Option<FetchedBody>, SourceError> {
        let request = FetchRequest {
            url,
            headers,
            validators,
        };
        match self.http.get(&request, self.limiter, self.cancel).await {
            Ok(Fetched::NotModified) => Ok(None),
            Ok(Fetched::Body(body)) => Ok(Some(body)),
            Err(source) => Err(SourceError::Http {
                url: redact(url),
                source,
            }),
        }
    }

    /// RFC 3339 time of this run, for provenance.
    pub fn retrieved_at(&self) -> String {
        self.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }
}

/// A URL without its query string, which may hold keys.
pub fn redact(url: &str) -> String {
    match url.split_once('?') {
        Some((path, _)) => format!("{path}?…"),
        None => url.to_owned(),
    }
}

/// A body that did not parse. When the answer was not a 2xx and the body is
/// not the provider's own error document (an empty 404, a proxy's page of
/// junk), the status says what happened and the parse error would not.
pub fn parse_failure(url: &str, status: u16, source: ParseError) -> SourceError {
    let provider_said = matches!(
        source,
        ParseError::Upstream { .. } | ParseError::Html { .. }
    );
    if (200..300).contains(&status) || provider_said {
        SourceError::Parse {
            url: redact(url),
            source,
        }
    } else {
        SourceError::Status {
            url: redact(url),
            status,
        }
    }
}

/// Query parameters that carry credentials (data.go.kr's `serviceKey`,
/// Comtrade's `subscription-key`): never stored, never logged.
const SECRET_PARAMETERS: &[&str] = &[
    "servicekey",
    "subscription-key",
    "api_key",
    "apikey",
    "key",
    "token",
];

/// `url` without its credential parameters: how validators are stored, so a
/// key never reaches the database, while each request keeps its own entry.
pub fn validator_key(url: &str) -> String {
    let Some((path, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let name = pair
                .split('=')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            !SECRET_PARAMETERS.contains(&name.as_str())
        })
        .collect();
    format!("{path}?{}", kept.join("&"))
}

/// Remembers a response's validators for the next run.
pub fn validators_of(url: &str, body: &FetchedBody) -> UrlValidators {
    UrlValidators {
        url: validator_key(url),
        etag: body.validators.etag.clone(),
        last_modified: body.validators.last_modified.clone(),
    }
}

/// A source record for figures fetched from `url` at this run.
pub fn provenance(
    key: String,
    title: String,
    publisher: &str,
    url: &str,
    ctx: &FetchContext<'_>,
    license: &str,
    redistributable: bool,
) -> Arc<Source> {
    Arc::new(Source {
        key,
        title,
        publisher: publisher.to_owned(),
        url: redact(url),
        published: None,
        retrieved_at: Some(ctx.retrieved_at()),
        license: license.to_owned(),
        redistributable,
    })
}

/// One upstream source.
#[tonic::async_trait]
pub trait SourceAdapter: Send + Sync {
    /// Stable name: `worldbank`, `comtrade`, `imf`, `customs`, `wto`.
    fn name(&self) -> &'static str;
    fn settings(&self) -> &SourceSettings;
    /// Why this source cannot run as configured (e.g. no key), if so.
    fn skip_reason(&self) -> Option<String> {
        None
    }
    /// True when the fetch sends its product lines to
    /// [`FetchContext::products`] page by page instead of returning them in
    /// the batch (too many to hold in memory).
    fn stages_products(&self) -> bool {
        false
    }
    /// Fetches and maps everything this source provides.
    async fn fetch(&self, ctx: &FetchContext<'_>) -> Result<Fetch, SourceError>;
}

#[cfg(test)]
mod tests;
