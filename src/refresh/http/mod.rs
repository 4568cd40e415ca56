//! The refresh worker's HTTP fetch layer: one shared `reqwest` client with
//! timeouts, bounded retries, per-source rate limiting, conditional GET and a
//! cap on the (decompressed) body size.
//!
//! The upstreams throttle with 429 + `Retry-After`, fail now and then with
//! 5xx or a dropped connection, and explain bad requests in 4xx bodies the
//! adapters must read (World Bank 400 HTML, Korea Customs gateway XML,
//! Comtrade JSON). So this module retries only what is transient and hands
//! every other status back with its body; deciding what a 400 or 403
//! *means* is the adapter's job.
//!
//! Here: the client, one attempt and the retry loop around it. What is
//! retried and how long to wait is in `retry`, reading a body within its
//! size limit in `body`, the conditional-GET validators in `validators`,
//! the per-source pacing in `rate_limit`.
//!
//! Request headers and query strings may carry API keys: errors and logs show
//! URLs without query, fragment or credentials, and never show header values.

mod body;
mod rate_limit;
mod retry;
mod validators;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use backon::Retryable;
use bytes::Bytes;
use chrono::Utc;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{StatusCode, Url};
use tokio_util::sync::CancellationToken;

pub use body::{BodySink, SinkStopped};
pub use rate_limit::RateLimiter;
pub use validators::Validators;

use retry::Failure;

/// Timeouts, retry budget and limits for [`HttpClient`].
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Time allowed to establish a connection (TCP + TLS).
    pub connect_timeout: Duration,
    /// Time allowed between two reads; resets whenever data arrives.
    pub read_timeout: Duration,
    /// Deadline for one attempt, from connecting to the end of the body.
    pub total_timeout: Duration,
    /// Attempts per [`HttpClient::get`] call, the first included (0 counts as 1).
    pub max_attempts: u32,
    /// Wait before the first retry; it doubles on each further retry, and
    /// jitter adds a random part of up to as much again.
    pub base_backoff: Duration,
    /// Ceiling of the doubling wait (before jitter).
    pub max_backoff: Duration,
    /// Longest `Retry-After` we wait for; a longer one ends the call at once.
    pub max_retry_after: Duration,
    /// Largest accepted body, counted after decompression.
    pub max_body_bytes: usize,
    /// Redirects followed before failing with [`FetchError::TooManyRedirects`].
    pub max_redirects: usize,
    /// `User-Agent` sent with every request.
    pub user_agent: String,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            total_timeout: Duration::from_secs(120),
            max_attempts: 4,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            max_body_bytes: 256 * 1024 * 1024,
            max_redirects: 5,
            user_agent: format!("tradepact/{} (+refresh worker)", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// One GET to make.
#[derive(Debug)]
pub struct FetchRequest<'a> {
    /// Absolute `http`/`https` URL; its query string never reaches errors or logs.
    pub url: &'a str,
    /// Extra request headers (API keys allowed: values are never logged).
    pub headers: Vec<(&'static str, String)>,
    /// Validators from the last successful fetch of this URL, for a conditional GET.
    pub validators: Option<&'a Validators>,
}

/// A response whose status is not retried: 2xx, 3xx other than 304, or 4xx
/// other than 408/429.
#[derive(Debug)]
pub struct FetchedBody {
    /// HTTP status code; adapters must check it (provider errors come as 4xx bodies).
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The whole body, decompressed; empty when it went to a [`BodySink`].
    pub body: Bytes,
    /// `ETag` / `Last-Modified` of this response, to store for the next conditional GET.
    pub validators: Validators,
    /// Attempts used, this one included.
    pub attempts: u32,
}

/// What a successful [`HttpClient::get`] produced.
#[derive(Debug)]
pub enum Fetched {
    /// 304: the upstream data has not changed since the validators were issued.
    NotModified,
    /// Any other non-retried response.
    Body(FetchedBody),
}

/// Why [`HttpClient::get`] gave no response. Never contains header values or
/// query strings.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The last attempt timed out (connect, read or total) and no attempt was left.
    #[error("request timed out (attempts: {attempts})")]
    Timeout {
        /// Attempts made.
        attempts: u32,
    },
    /// The last attempt could not connect or lost the connection before a
    /// response (refused, reset, DNS…) and no attempt was left.
    #[error("connection failed (attempts: {attempts}): {detail}")]
    Connect {
        /// Attempts made.
        attempts: u32,
        /// The underlying error chain.
        detail: String,
    },
    /// 408, 429 or 5xx on the last attempt, or a `Retry-After` longer than
    /// [`HttpSettings::max_retry_after`].
    #[error("gave up after HTTP {status} (attempts: {attempts}){}", retry_after_note(.retry_after))]
    GaveUp {
        /// The last status received.
        status: u16,
        /// Attempts made.
        attempts: u32,
        /// The last `Retry-After` (on 429/503), so the caller can reschedule.
        retry_after: Option<Duration>,
    },
    /// The body (after decompression) or its declared length exceeds the limit.
    #[error("response body exceeds {limit} bytes")]
    TooLarge {
        /// [`HttpSettings::max_body_bytes`].
        limit: usize,
    },
    /// The body ended early, the connection broke mid-body, or it failed to
    /// decompress, on every attempt.
    #[error("response body failed: {detail}")]
    Body {
        /// The underlying error chain.
        detail: String,
    },
    /// More than [`HttpSettings::max_redirects`] redirects.
    #[error("too many redirects")]
    TooManyRedirects,
    /// The cancellation token fired.
    #[error("fetch cancelled")]
    Cancelled,
    /// The [`BodySink`] refused the body (it knows why).
    #[error("the reader of the body stopped")]
    Stopped,
    /// Not an absolute `http`/`https` URL.
    #[error("invalid URL: {url}")]
    InvalidUrl {
        /// The URL without its query string.
        url: String,
    },
    /// The client or the request could not be built (e.g. an invalid header).
    #[error("HTTP client error: {detail}")]
    Client {
        /// What went wrong; names headers but never their values.
        detail: String,
    },
}

fn retry_after_note(retry_after: &Option<Duration>) -> String {
    retry_after.map_or_else(String::new, |wait| {
        format!(", retry after {}s", wait.as_secs())
    })
}

/// The shared HTTP client; cheap to clone (one connection pool inside).
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    settings: Arc<HttpSettings>,
}

impl HttpClient {
    /// Builds the client. Fails if the TLS backend cannot initialise (for
    /// example when the OS has no CA certificates installed).
    pub fn new(settings: HttpSettings) -> Result<Self, FetchError> {
        let client = reqwest::Client::builder()
            .user_agent(settings.user_agent.clone())
            .connect_timeout(settings.connect_timeout)
            .read_timeout(settings.read_timeout)
            .timeout(settings.total_timeout)
            .redirect(redirect_policy(settings.max_redirects))
            .gzip(true)
            .build()
            .map_err(|error| FetchError::Client {
                detail: describe(error),
            })?;
        Ok(Self {
            client,
            settings: Arc::new(settings),
        })
    }

    /// GETs `request.url`, retrying transient failures, each attempt after
    /// `limiter.acquire()`. Returns promptly with [`FetchError::Cancelled`]
    /// once `cancel` fires, whether waiting, connecting or reading.
    pub async fn get(
        &self,
        request: &FetchRequest<'_>,
        limiter: &RateLimiter,
        cancel: &CancellationToken,
    ) -> Result<Fetched, FetchError> {
        self.fetch(request, limiter, cancel, None).await
    }

    /// Like [`get`](Self::get), but a 2xx body goes to `sink` piece by piece
    /// as it arrives instead of being collected (the returned body is then
    /// empty), and may be up to `max_body_bytes` long: for answers too large
    /// to hold whole. A retried attempt calls [`BodySink::start`] again, so
    /// the sink can drop what the failed attempt delivered. Other statuses
    /// come back in full as from `get`, within the client's usual limit.
    pub async fn get_into(
        &self,
        request: &FetchRequest<'_>,
        limiter: &RateLimiter,
        cancel: &CancellationToken,
        max_body_bytes: usize,
        sink: &mut dyn BodySink,
    ) -> Result<Fetched, FetchError> {
        self.fetch(request, limiter, cancel, Some((sink, max_body_bytes)))
            .await
    }

    /// Attempts until one succeeds, fails for good, or the retries run out
    /// (see `retry` for which failures are retried and after how long).
    async fn fetch(
        &self,
        request: &FetchRequest<'_>,
        limiter: &RateLimiter,
        cancel: &CancellationToken,
        sink: Option<(&mut dyn BodySink, usize)>,
    ) -> Result<Fetched, FetchError> {
        let url = parse_url(request.url)?;
        let headers = request_headers(request)?;
        let settings = &*self.settings;
        let attempts = AtomicU32::new(0);
        // Lent to one attempt at a time: the lock is never contended.
        let sink = tokio::sync::Mutex::new(sink);
        let attempt = || self.attempt(&url, &headers, limiter, &attempts, &sink);
        let retried = attempt
            .retry(retry::backoff(settings))
            .when(Failure::is_transient)
            .adjust(|failure, backoff| retry::delay(failure, backoff, settings.max_retry_after))
            .notify(|failure, delay| {
                tracing::warn!(
                    url = %redact(&url),
                    attempt = attempts.load(Ordering::Relaxed),
                    max_attempts = settings.max_attempts.max(1),
                    ?delay,
                    reason = %failure,
                    "fetch failed; retrying"
                );
            });
        // Not `run_until_cancelled`: its `F: Future` bound keeps rustc from
        // proving the retrying future `Send` (a higher-ranked lifetime error).
        let outcome = tokio::select! {
            biased;
            () = cancel.cancelled() => return Err(FetchError::Cancelled),
            outcome = retried => outcome,
        };
        outcome.map_err(|failure| failure.into_error(attempts.load(Ordering::Relaxed)))
    }

    /// One request (counted in `attempts`): wait for the limiter, send, then
    /// read the body unless the status says retry or not-modified.
    async fn attempt(
        &self,
        url: &Url,
        headers: &HeaderMap,
        limiter: &RateLimiter,
        attempts: &AtomicU32,
        sink: &tokio::sync::Mutex<Option<(&mut dyn BodySink, usize)>>,
    ) -> Result<Fetched, Failure> {
        let attempt = attempts.fetch_add(1, Ordering::Relaxed) + 1;
        limiter.acquire().await;
        let response = self
            .client
            .get(url.clone())
            .headers(headers.clone())
            .send()
            .await
            .map_err(retry::classify_send_error)?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if retry::is_retryable(status) {
            return Err(Failure::Status {
                status: status.as_u16(),
                retry_after: retry::retry_after(&response, Utc::now()),
            });
        }
        let content_type = header_text(response.headers(), &header::CONTENT_TYPE);
        let validators = Validators::from_headers(response.headers());
        let body = match sink.lock().await.as_mut() {
            Some((sink, limit)) if status.is_success() => {
                sink.start()
                    .await
                    .map_err(|_| Failure::Fatal(FetchError::Stopped))?;
                body::stream(response, *limit, &mut **sink).await?;
                Bytes::new()
            }
            _ => body::read(response, self.settings.max_body_bytes).await?,
        };
        Ok(Fetched::Body(FetchedBody {
            status: status.as_u16(),
            content_type,
            body,
            validators,
            attempts: attempt,
        }))
    }
}

/// Follows at most `max` redirects, and only within the same host: reqwest
/// strips `Authorization` on a cross-host redirect but not custom key headers
/// such as Comtrade's `Ocp-Apim-Subscription-Key`, so following one could
/// hand a key to another host. A cross-host redirect comes back as its 3xx.
fn redirect_policy(max: usize) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        let same_host = attempt.previous().first().is_some_and(|first| {
            first.host_str() == attempt.url().host_str() && first.port() == attempt.url().port()
        });
        if attempt.previous().len() > max {
            attempt.error(TooManyRedirectsMarker)
        } else if !same_host {
            attempt.stop()
        } else {
            attempt.follow()
        }
    })
}

/// The error a redirect chain longer than the limit ends with.
#[derive(Debug)]
struct TooManyRedirectsMarker;

impl std::fmt::Display for TooManyRedirectsMarker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("too many redirects")
    }
}

impl std::error::Error for TooManyRedirectsMarker {}

/// The error and its sources, without the URL (its query may hold a key).
/// `reqwest` nests some causes twice with the same text; repeats are dropped.
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut parts = vec![error.to_string()];
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

fn parse_url(raw: &str) -> Result<Url, FetchError> {
    let url = Url::parse(raw).map_err(|_| FetchError::InvalidUrl {
        url: strip_query(raw),
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(FetchError::InvalidUrl { url: redact(&url) });
    }
    Ok(url)
}

/// `url` without credentials, query or fragment: safe for logs and errors.
fn redact(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    // Both only fail for URLs that cannot carry credentials anyway.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.to_string()
}

/// For strings that do not parse as URLs: everything before `?` or `#`.
fn strip_query(raw: &str) -> String {
    raw.split(['?', '#']).next().unwrap_or_default().to_owned()
}

fn request_headers(request: &FetchRequest<'_>) -> Result<HeaderMap, FetchError> {
    let mut headers = HeaderMap::new();
    for (name, value) in &request.headers {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| FetchError::Client {
            detail: format!("invalid header name {name:?}"),
        })?;
        let mut value = HeaderValue::from_str(value).map_err(|_| FetchError::Client {
            detail: format!("invalid value for header {name}"),
        })?;
        value.set_sensitive(true);
        headers.append(name, value);
    }
    if let Some(validators) = request.validators {
        validators.apply(&mut headers);
    }
    Ok(headers)
}

fn header_text(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests;
