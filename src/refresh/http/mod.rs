//! The refresh worker's HTTP fetch layer: one shared `reqwest` client with
//! timeouts, bounded retries, per-source rate limiting, conditional GET and a
//! cap on the (decompressed) body size.
//!
//! The upstreams throttle with 429 + `Retry-After`, fail now and then with
//! 5xx or a dropped connection, and explain bad requests in 4xx bodies the
//! adapters must read (World Bank 400 HTML, Korea Customs gateway XML,
//! Comtrade JSON). So this module retries only what is transient (connection
//! and body errors, timeouts, 408, 429, 5xx) and hands every other status back
//! with its body; deciding what a 400 or 403 *means* is the adapter's job.
//!
//! Request headers and query strings may carry API keys: errors and logs show
//! URLs without query, fragment or credentials, and never show header values.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use rand::Rng;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{StatusCode, Url};
use tokio::sync::Mutex;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Largest buffer reserved up front from a declared `Content-Length`, so a
/// lying header cannot make us allocate the whole limit before any data arrives.
const MAX_PREALLOCATION: usize = 8 * 1024 * 1024;

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
    /// Backoff ceiling before the first retry; doubles on each further retry.
    pub base_backoff: Duration,
    /// Upper bound for the exponential backoff.
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

/// Validators kept from a previous response, sent as If-None-Match / If-Modified-Since.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` header, verbatim (quotes and `W/` prefix included).
    pub etag: Option<String>,
    /// The `Last-Modified` header, verbatim.
    pub last_modified: Option<String>,
}

impl Validators {
    fn from_headers(headers: &HeaderMap) -> Self {
        Self {
            etag: header_text(headers, &header::ETAG),
            last_modified: header_text(headers, &header::LAST_MODIFIED),
        }
    }

    /// Adds the conditional headers. A stored value that is not a valid header
    /// value is skipped: the fetch then simply downloads the full body.
    fn apply(&self, headers: &mut HeaderMap) {
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

/// Takes a 2xx body as it arrives, for [`HttpClient::get_into`].
#[tonic::async_trait]
pub trait BodySink: Send {
    /// An attempt's body begins; whatever an earlier attempt delivered is void.
    async fn start(&mut self) -> Result<(), SinkStopped>;
    /// The next piece of the body (decompressed).
    async fn piece(&mut self, piece: Bytes) -> Result<(), SinkStopped>;
}

/// A [`BodySink`] wants no more of this body: it found it unusable and
/// keeps the reason itself. The fetch ends with [`FetchError::Stopped`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SinkStopped;

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

/// At most one request per `min_interval` for one source (shared by its requests).
#[derive(Debug)]
pub struct RateLimiter {
    min_interval: Duration,
    last: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// A limiter whose first [`acquire`](Self::acquire) returns at once.
    pub fn new(min_interval: Duration) -> Self {
        Self {
            min_interval,
            last: Mutex::new(None),
        }
    }

    /// Waits until `min_interval` has passed since the previous acquire.
    /// Callers queue in order; dropping the future gives up the turn.
    pub async fn acquire(&self) {
        let mut last = self.last.lock().await;
        if let Some(next) = last.and_then(|previous| previous.checked_add(self.min_interval)) {
            tokio::time::sleep_until(next).await;
        }
        *last = Some(Instant::now());
    }
}

/// The shared HTTP client; cheap to clone (one connection pool inside).
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    settings: Arc<HttpSettings>,
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

    async fn fetch(
        &self,
        request: &FetchRequest<'_>,
        limiter: &RateLimiter,
        cancel: &CancellationToken,
        mut sink: Option<(&mut dyn BodySink, usize)>,
    ) -> Result<Fetched, FetchError> {
        let url = parse_url(request.url)?;
        let headers = request_headers(request)?;
        let mut attempt = 1;
        loop {
            let this_sink = reborrow(&mut sink);
            let outcome = cancel
                .run_until_cancelled(self.attempt(&url, &headers, limiter, attempt, this_sink))
                .await
                .ok_or(FetchError::Cancelled)?;
            let failure = match outcome {
                Ok(fetched) => return Ok(fetched),
                Err(Failure::Fatal(error)) => return Err(error),
                Err(Failure::Retry(failure)) => failure,
            };
            let Some(delay) = self.retry_delay(&failure, attempt) else {
                return Err(failure.into_error(attempt));
            };
            tracing::warn!(
                url = %redact(&url),
                attempt,
                max_attempts = self.max_attempts(),
                ?delay,
                reason = %failure,
                "fetch failed; retrying"
            );
            cancel
                .run_until_cancelled(tokio::time::sleep(delay))
                .await
                .ok_or(FetchError::Cancelled)?;
            attempt += 1;
        }
    }

    /// One request: wait for the limiter, send, then read the body unless the
    /// status says retry or not-modified.
    async fn attempt(
        &self,
        url: &Url,
        headers: &HeaderMap,
        limiter: &RateLimiter,
        attempt: u32,
        sink: Option<(&mut dyn BodySink, usize)>,
    ) -> Result<Fetched, Failure> {
        limiter.acquire().await;
        let response = self
            .client
            .get(url.clone())
            .headers(headers.clone())
            .send()
            .await
            .map_err(classify_send_error)?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if is_retryable(status) {
            return Err(Failure::Retry(Transient::Status {
                status: status.as_u16(),
                retry_after: retry_after(&response, Utc::now()),
            }));
        }
        let content_type = header_text(response.headers(), &header::CONTENT_TYPE);
        let validators = Validators::from_headers(response.headers());
        let body = match sink {
            Some((sink, limit)) if status.is_success() => {
                sink.start()
                    .await
                    .map_err(|_| Failure::Fatal(FetchError::Stopped))?;
                stream_body(response, limit, sink).await?;
                Bytes::new()
            }
            _ => read_body(response, self.settings.max_body_bytes).await?,
        };
        Ok(Fetched::Body(FetchedBody {
            status: status.as_u16(),
            content_type,
            body,
            validators,
            attempts: attempt,
        }))
    }

    fn max_attempts(&self) -> u32 {
        self.settings.max_attempts.max(1)
    }

    /// How long to wait before retrying after `failure` on `attempt`, or
    /// `None` to give up now (attempts spent, or `Retry-After` too long).
    fn retry_delay(&self, failure: &Transient, attempt: u32) -> Option<Duration> {
        let retry_after = match failure {
            Transient::Status { retry_after, .. } => *retry_after,
            _ => None,
        };
        if retry_after.is_some_and(|wait| wait > self.settings.max_retry_after) {
            return None;
        }
        if attempt >= self.max_attempts() {
            return None;
        }
        Some(retry_after.unwrap_or_else(|| {
            backoff(
                self.settings.base_backoff,
                self.settings.max_backoff,
                attempt,
            )
        }))
    }
}

/// Why one attempt failed in a way worth retrying.
#[derive(Debug)]
enum Transient {
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    Timeout,
    Connect(String),
    Body(String),
}

impl Transient {
    fn into_error(self, attempts: u32) -> FetchError {
        match self {
            Self::Status {
                status,
                retry_after,
            } => FetchError::GaveUp {
                status,
                attempts,
                retry_after,
            },
            Self::Timeout => FetchError::Timeout { attempts },
            Self::Connect(detail) => FetchError::Connect { attempts, detail },
            Self::Body(detail) => FetchError::Body { detail },
        }
    }
}

impl fmt::Display for Transient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Status { status, .. } => write!(f, "HTTP {status}"),
            Self::Timeout => f.write_str("timed out"),
            Self::Connect(detail) => write!(f, "connection failed: {detail}"),
            Self::Body(detail) => write!(f, "body failed: {detail}"),
        }
    }
}

/// How one attempt failed.
#[derive(Debug)]
enum Failure {
    Retry(Transient),
    Fatal(FetchError),
}

/// 408, 429 and 5xx are worth another try; every other status goes to the adapter.
fn is_retryable(status: StatusCode) -> bool {
    status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
}

fn classify_send_error(error: reqwest::Error) -> Failure {
    if error.is_redirect() {
        Failure::Fatal(FetchError::TooManyRedirects)
    } else if error.is_builder() {
        Failure::Fatal(FetchError::Client {
            detail: describe(error),
        })
    } else if error.is_timeout() {
        Failure::Retry(Transient::Timeout)
    } else if error.is_body() || error.is_decode() {
        Failure::Retry(Transient::Body(describe(error)))
    } else {
        Failure::Retry(Transient::Connect(describe(error)))
    }
}

/// `reqwest` reports every error while reading the body as a decode error;
/// a timeout is told apart by its source chain.
fn classify_body_error(error: reqwest::Error) -> Failure {
    if error.is_timeout() {
        Failure::Retry(Transient::Timeout)
    } else {
        Failure::Retry(Transient::Body(describe(error)))
    }
}

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

/// Reads the body chunk by chunk, failing as soon as it exceeds `limit`.
async fn read_body(mut response: reqwest::Response, limit: usize) -> Result<Bytes, Failure> {
    let too_large = || Failure::Fatal(FetchError::TooLarge { limit });
    let declared = response.content_length();
    if declared.is_some_and(|length| length > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return Err(too_large());
    }
    let capacity = declared
        .and_then(|length| usize::try_from(length).ok())
        .unwrap_or(0)
        .min(MAX_PREALLOCATION);
    let mut body = BytesMut::with_capacity(capacity);
    while let Some(chunk) = response.chunk().await.map_err(classify_body_error)? {
        if chunk.len() > limit - body.len() {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The sink again for one more attempt.
fn reborrow<'b>(
    sink: &'b mut Option<(&mut dyn BodySink, usize)>,
) -> Option<(&'b mut dyn BodySink, usize)> {
    match sink {
        Some((sink, limit)) => Some((&mut **sink, *limit)),
        None => None,
    }
}

/// Hands the body to `sink` piece by piece, failing as soon as it exceeds `limit`.
async fn stream_body(
    mut response: reqwest::Response,
    limit: usize,
    sink: &mut dyn BodySink,
) -> Result<(), Failure> {
    let too_large = || Failure::Fatal(FetchError::TooLarge { limit });
    if response
        .content_length()
        .is_some_and(|length| length > u64::try_from(limit).unwrap_or(u64::MAX))
    {
        return Err(too_large());
    }
    let mut received = 0_usize;
    while let Some(piece) = response.chunk().await.map_err(classify_body_error)? {
        received = received.saturating_add(piece.len());
        if received > limit {
            return Err(too_large());
        }
        sink.piece(piece)
            .await
            .map_err(|_| Failure::Fatal(FetchError::Stopped))?;
    }
    Ok(())
}

/// `Retry-After` on a 429 or 503, as delta-seconds or an HTTP-date.
fn retry_after(response: &reqwest::Response, now: DateTime<Utc>) -> Option<Duration> {
    let status = response.status();
    if status != StatusCode::TOO_MANY_REQUESTS && status != StatusCode::SERVICE_UNAVAILABLE {
        return None;
    }
    let value = response.headers().get(header::RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, now)
}

/// Parses delta-seconds (`120`) or an HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`);
/// a date in the past means "now".
fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (date.with_timezone(&Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// Full jitter: uniform in `[0, min(max, base * 2^(attempt-1))]`.
fn backoff(base: Duration, max: Duration, attempt: u32) -> Duration {
    let factor = 1_u32
        .checked_shl(attempt.saturating_sub(1))
        .unwrap_or(u32::MAX);
    let ceiling = base.saturating_mul(factor).min(max);
    rand::rng().random_range(Duration::ZERO..=ceiling)
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
mod tests {
    use std::future::Future;
    use std::sync::atomic::{AtomicU32, Ordering};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    use wiremock::matchers::{any, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;

    /// Small timeouts and ms-scale backoff so the whole module runs in seconds.
    fn settings() -> HttpSettings {
        HttpSettings {
            connect_timeout: Duration::from_secs(1),
            read_timeout: Duration::from_secs(1),
            total_timeout: Duration::from_secs(2),
            max_attempts: 3,
            base_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            max_retry_after: Duration::from_secs(10),
            max_body_bytes: 1024 * 1024,
            max_redirects: 3,
            ..HttpSettings::default()
        }
    }

    async fn fetch_with(
        settings: HttpSettings,
        url: &str,
        validators: Option<&Validators>,
    ) -> Result<Fetched, FetchError> {
        let client = HttpClient::new(settings).expect("client builds");
        let request = FetchRequest {
            url,
            headers: vec![("X-Api-Key", "secret".to_owned())],
            validators,
        };
        let limiter = RateLimiter::new(Duration::ZERO);
        client
            .get(&request, &limiter, &CancellationToken::new())
            .await
    }

    async fn fetch(url: &str) -> Result<Fetched, FetchError> {
        fetch_with(settings(), url, None).await
    }

    fn expect_body(result: Result<Fetched, FetchError>) -> FetchedBody {
        match result {
            Ok(Fetched::Body(body)) => body,
            other => panic!("expected a body, got {other:?}"),
        }
    }

    /// A URL on `server` whose query holds a key that must never leak.
    fn url_on(server: &MockServer, path: &str) -> String {
        format!("{}{path}?key=secret", server.uri())
    }

    async fn received(server: &MockServer) -> usize {
        server.received_requests().await.map_or(0, |r| r.len())
    }

    /// A raw HTTP/1.1 server for faults wiremock cannot express: for each
    /// connection it reads the request head, then lets `respond` write
    /// whatever it likes. Returns a URL on it and a connection counter.
    async fn raw_server<F, Fut>(respond: F) -> (String, Arc<AtomicU32>)
    where
        F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("local address");
        let connections = Arc::new(AtomicU32::new(0));
        let counter = Arc::clone(&connections);
        let respond = Arc::new(respond);
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let respond = Arc::clone(&respond);
                tokio::spawn(async move {
                    read_request_head(&mut stream).await;
                    respond(stream).await;
                });
            }
        });
        (format!("http://{address}/data?key=secret"), connections)
    }

    async fn read_request_head(stream: &mut TcpStream) {
        let mut head = Vec::new();
        let mut buffer = [0_u8; 1024];
        while !head.windows(4).any(|window| window == b"\r\n\r\n") {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&buffer[..n]),
            }
        }
    }

    /// Writes `bytes`, then keeps the connection open until the test ends.
    async fn write_then_stall(mut stream: TcpStream, bytes: &'static [u8]) {
        stream.write_all(bytes).await.expect("write");
        std::future::pending::<()>().await;
    }

    #[tokio::test]
    async fn retries_a_500_then_returns_the_200() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(500))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
            .mount(&server)
            .await;

        let body = expect_body(fetch(&url_on(&server, "/data")).await);

        assert_eq!(body.status, 200);
        assert_eq!(body.attempts, 2);
        assert_eq!(&body.body[..], b"ok");
    }

    #[tokio::test]
    async fn waits_for_retry_after_on_429() {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;

        let started = Instant::now();
        let body = expect_body(fetch(&url_on(&server, "/data")).await);

        assert!(started.elapsed() >= Duration::from_secs(1));
        assert_eq!((body.status, body.attempts), (200, 2));
    }

    #[tokio::test]
    async fn gives_up_at_once_when_retry_after_exceeds_the_cap() {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "600"))
            .mount(&server)
            .await;

        let result = fetch(&url_on(&server, "/data")).await;

        assert!(
            matches!(
                result,
                Err(FetchError::GaveUp { status: 429, attempts: 1, retry_after: Some(wait) })
                    if wait == Duration::from_secs(600)
            ),
            "{result:?}"
        );
        assert_eq!(received(&server).await, 1);
    }

    #[tokio::test]
    async fn gives_up_on_a_persistent_503_after_max_attempts() {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(503))
            .expect(3)
            .mount(&server)
            .await;

        let result = fetch(&url_on(&server, "/data")).await;

        assert!(
            matches!(
                result,
                Err(FetchError::GaveUp {
                    status: 503,
                    attempts: 3,
                    retry_after: None
                })
            ),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn a_response_slower_than_total_timeout_times_out() {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(10)))
            .mount(&server)
            .await;
        let settings = HttpSettings {
            total_timeout: Duration::from_millis(200),
            max_attempts: 2,
            ..settings()
        };

        let result = fetch_with(settings, &url_on(&server, "/data"), None).await;

        assert!(
            matches!(result, Err(FetchError::Timeout { attempts: 2 })),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn a_stalled_body_times_out_on_read_timeout() {
        let (url, _) = raw_server(|stream| {
            write_then_stall(
                stream,
                b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nstart",
            )
        })
        .await;
        let settings = HttpSettings {
            read_timeout: Duration::from_millis(200),
            max_attempts: 1,
            ..settings()
        };

        let result = fetch_with(settings, &url, None).await;

        assert!(
            matches!(result, Err(FetchError::Timeout { attempts: 1 })),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn connection_refused_is_a_connect_error_without_the_query() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("local address");
        drop(listener);

        let result = fetch(&format!("http://{address}/data?key=secret")).await;

        let Err(error @ FetchError::Connect { attempts: 3, .. }) = result else {
            panic!("expected Connect after 3 attempts, got {result:?}");
        };
        assert!(!error.to_string().contains("secret"), "{error}");
        assert!(!format!("{error:?}").contains("secret"), "{error:?}");
    }

    #[tokio::test]
    async fn a_body_shorter_than_content_length_is_retried_then_fails() {
        let (url, connections) = raw_server(|mut stream| async move {
            let response = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort";
            stream.write_all(response).await.expect("write");
        })
        .await;

        let result = fetch(&url).await;

        let Err(error @ FetchError::Body { .. }) = result else {
            panic!("expected a body error, got {result:?}");
        };
        assert!(!error.to_string().contains("secret"), "{error}");
        assert_eq!(connections.load(Ordering::SeqCst), 3);
    }

    /// Records what a [`BodySink`] is given; stops after `stop_after` pieces.
    #[derive(Default)]
    struct Recorder {
        starts: u32,
        body: Vec<u8>,
        pieces: usize,
        stop_after: Option<usize>,
    }

    #[tonic::async_trait]
    impl BodySink for Recorder {
        async fn start(&mut self) -> Result<(), SinkStopped> {
            self.starts += 1;
            self.body.clear();
            Ok(())
        }

        async fn piece(&mut self, piece: Bytes) -> Result<(), SinkStopped> {
            self.pieces += 1;
            if self.stop_after.is_some_and(|n| self.pieces > n) {
                return Err(SinkStopped);
            }
            self.body.extend_from_slice(&piece);
            Ok(())
        }
    }

    async fn fetch_into(
        url: &str,
        limit: usize,
        sink: &mut Recorder,
    ) -> Result<Fetched, FetchError> {
        let client = HttpClient::new(settings()).expect("client builds");
        let request = FetchRequest {
            url,
            headers: Vec::new(),
            validators: None,
        };
        let limiter = RateLimiter::new(Duration::ZERO);
        client
            .get_into(&request, &limiter, &CancellationToken::new(), limit, sink)
            .await
    }

    #[tokio::test]
    async fn get_into_restarts_the_sink_when_a_cut_body_is_retried() {
        let (url, connections) = raw_server(|mut stream| async move {
            static SERVED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let response: &[u8] = if SERVED.fetch_add(1, Ordering::SeqCst) == 0 {
                b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello"
            } else {
                b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhelloworld"
            };
            stream.write_all(response).await.expect("write");
        })
        .await;
        let mut sink = Recorder::default();

        let result = fetch_into(&url, 1024, &mut sink).await;

        let Ok(Fetched::Body(body)) = result else {
            panic!("expected a body, got {result:?}");
        };
        assert!(body.body.is_empty(), "the body went to the sink");
        assert_eq!(sink.body, b"helloworld");
        assert_eq!(sink.starts, 2, "one start per attempt");
        assert_eq!(connections.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn get_into_reads_other_statuses_whole_and_has_its_own_limit() {
        let server = MockServer::start().await;
        Mock::given(path("/error"))
            .respond_with(ResponseTemplate::new(403).set_body_string("quota"))
            .mount(&server)
            .await;
        Mock::given(path("/big"))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; 4 * 1024 * 1024]))
            .mount(&server)
            .await;
        let mut sink = Recorder::default();
        let result = fetch_into(&url_on(&server, "/error"), 10, &mut sink).await;
        let Ok(Fetched::Body(body)) = result else {
            panic!("expected a body, got {result:?}");
        };
        assert_eq!((body.status, &body.body[..]), (403, &b"quota"[..]));
        assert_eq!(sink.starts, 0, "the sink only gets 2xx bodies");

        // Larger than the client's 1 MiB limit, within the call's.
        let mut sink = Recorder::default();
        let result = fetch_into(&url_on(&server, "/big"), 8 * 1024 * 1024, &mut sink).await;
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(sink.body.len(), 4 * 1024 * 1024);
        let mut sink = Recorder::default();
        let result = fetch_into(&url_on(&server, "/big"), 1024, &mut sink).await;
        assert!(
            matches!(result, Err(FetchError::TooLarge { limit: 1024 })),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn a_sink_that_stops_ends_the_fetch_without_retrying() {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; 1024 * 1024]))
            .mount(&server)
            .await;
        let mut sink = Recorder {
            stop_after: Some(0),
            ..Recorder::default()
        };
        let result = fetch_into(&url_on(&server, "/data"), 8 * 1024 * 1024, &mut sink).await;
        assert!(matches!(result, Err(FetchError::Stopped)), "{result:?}");
        assert_eq!(received(&server).await, 1, "not retried");
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_too_large() {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; 2048]))
            .mount(&server)
            .await;
        let settings = HttpSettings {
            max_body_bytes: 1024,
            ..settings()
        };

        let result = fetch_with(settings, &url_on(&server, "/data"), None).await;

        assert!(
            matches!(result, Err(FetchError::TooLarge { limit: 1024 })),
            "{result:?}"
        );
        assert_eq!(received(&server).await, 1, "not retried");
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_fails_before_reading() {
        // No body ever comes: reading would end in a read timeout instead.
        let (url, _) = raw_server(|stream| {
            write_then_stall(
                stream,
                b"HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\n",
            )
        })
        .await;

        let result = fetch(&url).await;

        assert!(
            matches!(result, Err(FetchError::TooLarge { limit: 1_048_576 })),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn a_gzip_body_is_decompressed() {
        let plain = b"reporter,partner,value\n410,116,1234\n".repeat(100);
        let server = MockServer::start().await;
        Mock::given(header("accept-encoding", "gzip"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("Content-Encoding", "gzip")
                    .insert_header("Content-Type", "text/csv")
                    .set_body_bytes(gzip(&plain)),
            )
            .mount(&server)
            .await;

        let body = expect_body(fetch(&url_on(&server, "/data")).await);

        assert_eq!(body.status, 200);
        assert_eq!(body.content_type.as_deref(), Some("text/csv"));
        assert_eq!(&body.body[..], &plain[..]);
    }

    #[tokio::test]
    async fn a_gzip_bomb_is_cut_off_at_the_limit() {
        let bomb = gzip(&vec![0; 10 * 1024 * 1024]);
        assert!(bomb.len() < 100 * 1024, "compressed size {}", bomb.len());
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("Content-Encoding", "gzip")
                    .set_body_bytes(bomb),
            )
            .mount(&server)
            .await;

        let result = fetch(&url_on(&server, "/data")).await;

        assert!(
            matches!(result, Err(FetchError::TooLarge { limit: 1_048_576 })),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn etag_round_trip_yields_not_modified() {
        let server = MockServer::start().await;
        Mock::given(header("if-none-match", "\"v1\""))
            .respond_with(ResponseTemplate::new(304))
            .mount(&server)
            .await;
        Mock::given(any())
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("ETag", "\"v1\"")
                    .insert_header("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT")
                    .set_body_string("data"),
            )
            .mount(&server)
            .await;
        let url = url_on(&server, "/data");

        let first = expect_body(fetch(&url).await);
        let second = fetch_with(settings(), &url, Some(&first.validators)).await;

        assert_eq!(
            first.validators,
            Validators {
                etag: Some("\"v1\"".to_owned()),
                last_modified: Some("Wed, 21 Oct 2015 07:28:00 GMT".to_owned()),
            }
        );
        assert!(matches!(second, Ok(Fetched::NotModified)), "{second:?}");
        let requests = server.received_requests().await.expect("recording on");
        let conditional = &requests[1].headers;
        assert_eq!(
            conditional
                .get("if-modified-since")
                .and_then(|v| v.to_str().ok()),
            Some("Wed, 21 Oct 2015 07:28:00 GMT")
        );
    }

    #[tokio::test]
    async fn a_redirect_to_another_host_is_not_followed() {
        let elsewhere = MockServer::start().await;
        Mock::given(path("/steal"))
            .respond_with(ResponseTemplate::new(200).set_body_string("got your key"))
            .expect(0)
            .mount(&elsewhere)
            .await;
        let server = MockServer::start().await;
        Mock::given(path("/away"))
            .respond_with(
                ResponseTemplate::new(302)
                    .insert_header("Location", format!("{}/steal", elsewhere.uri())),
            )
            .mount(&server)
            .await;

        let answer = expect_body(fetch(&url_on(&server, "/away")).await);

        assert_eq!(
            answer.status, 302,
            "the 3xx comes back instead of being followed"
        );
    }

    #[tokio::test]
    async fn redirects_are_followed_up_to_the_limit() {
        let server = MockServer::start().await;
        Mock::given(path("/loop"))
            .respond_with(ResponseTemplate::new(301).insert_header("Location", "/loop"))
            .mount(&server)
            .await;
        Mock::given(path("/moved"))
            .respond_with(ResponseTemplate::new(302).insert_header("Location", "/data"))
            .mount(&server)
            .await;
        Mock::given(path("/data"))
            .respond_with(ResponseTemplate::new(200).set_body_string("here"))
            .mount(&server)
            .await;

        let endless = fetch(&url_on(&server, "/loop")).await;
        let moved = expect_body(fetch(&url_on(&server, "/moved")).await);

        assert!(
            matches!(endless, Err(FetchError::TooManyRedirects)),
            "{endless:?}"
        );
        assert_eq!((moved.status, &moved.body[..]), (200, &b"here"[..]));
    }

    #[tokio::test]
    async fn a_404_is_returned_as_a_body() {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(
                ResponseTemplate::new(404).set_body_raw("<html>no such series</html>", "text/html"),
            )
            .mount(&server)
            .await;

        let body = expect_body(fetch(&url_on(&server, "/data")).await);

        assert_eq!((body.status, body.attempts), (404, 1));
        assert_eq!(body.content_type.as_deref(), Some("text/html"));
        assert_eq!(&body.body[..], b"<html>no such series</html>");
    }

    #[tokio::test]
    async fn sends_the_request_headers_and_user_agent() {
        let user_agent = HttpSettings::default().user_agent;
        let server = MockServer::start().await;
        Mock::given(header("x-api-key", "secret"))
            .and(header("user-agent", user_agent.as_str()))
            .respond_with(ResponseTemplate::new(204))
            .mount(&server)
            .await;

        let body = expect_body(fetch(&url_on(&server, "/data")).await);

        assert_eq!(body.status, 204, "wiremock answers 404 when unmatched");
    }

    #[tokio::test]
    async fn cancellation_during_a_retry_after_wait_is_prompt() {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "8"))
            .mount(&server)
            .await;
        let cancel = CancellationToken::new();
        let client = HttpClient::new(settings()).expect("client builds");
        let url = url_on(&server, "/data");
        let fetch = {
            let cancel = cancel.clone();
            tokio::spawn(async move {
                let request = FetchRequest {
                    url: &url,
                    headers: vec![("X-Api-Key", "secret".to_owned())],
                    validators: None,
                };
                client
                    .get(&request, &RateLimiter::new(Duration::ZERO), &cancel)
                    .await
            })
        };
        let started = Instant::now();
        // The 429 has been answered: the client is now waiting out Retry-After.
        while received(&server).await == 0 {
            assert!(
                started.elapsed() < Duration::from_secs(3),
                "no request arrived"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        cancel.cancel();
        let result = fetch.await.expect("no panic");

        assert!(matches!(result, Err(FetchError::Cancelled)), "{result:?}");
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "not the 8 s wait"
        );
        assert_eq!(received(&server).await, 1);
    }

    #[tokio::test]
    async fn rate_limiter_spaces_acquires_by_min_interval() {
        let limiter = RateLimiter::new(Duration::from_millis(100));

        limiter.acquire().await;
        let first = Instant::now();
        limiter.acquire().await;

        assert!(first.elapsed() >= Duration::from_millis(100));
    }

    #[test]
    fn invalid_urls_are_reported_without_their_query() {
        for raw in ["not a url?key=secret", "ftp://example.org/x?key=secret"] {
            let error = parse_url(raw).expect_err("rejected");
            assert!(matches!(error, FetchError::InvalidUrl { .. }), "{error:?}");
            assert!(!error.to_string().contains("secret"), "{error}");
        }
    }

    #[test]
    fn redacted_urls_lose_credentials_query_and_fragment() {
        let url = Url::parse("https://user:pw@api.example.org/v1/get?subscription-key=abc#top")
            .expect("valid");

        assert_eq!(redact(&url), "https://api.example.org/v1/get");
    }

    #[test]
    fn retry_after_parses_seconds_and_http_dates() {
        let now = DateTime::parse_from_rfc2822("Wed, 21 Oct 2015 07:28:00 GMT")
            .expect("valid")
            .with_timezone(&Utc);
        let parse = |value| parse_retry_after(value, now);

        assert_eq!(parse("120"), Some(Duration::from_secs(120)));
        assert_eq!(parse(" 5 "), Some(Duration::from_secs(5)));
        assert_eq!(
            parse("Wed, 21 Oct 2015 07:29:30 GMT"),
            Some(Duration::from_secs(90))
        );
        assert_eq!(parse("Wed, 21 Oct 2015 07:00:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse("soon"), None);
        assert_eq!(parse("-1"), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        for attempt in 1..=40 {
            let ceiling = (base * 2_u32.saturating_pow(attempt - 1)).min(max);
            for _ in 0..20 {
                assert!(backoff(base, max, attempt) <= ceiling, "attempt {attempt}");
            }
        }
        assert_eq!(backoff(Duration::ZERO, max, 3), Duration::ZERO);
    }

    #[test]
    fn retry_delay_prefers_retry_after_and_stops_when_spent() {
        let client = HttpClient::new(settings()).expect("client builds");
        let status = |status, seconds: Option<u64>| Transient::Status {
            status,
            retry_after: seconds.map(Duration::from_secs),
        };

        assert_eq!(
            client.retry_delay(&status(503, Some(2)), 1),
            Some(Duration::from_secs(2))
        );
        let backoff = client.retry_delay(&status(429, None), 2).expect("retried");
        assert!(backoff <= Duration::from_millis(5));
        assert_eq!(client.retry_delay(&Transient::Timeout, 3), None, "spent");
        assert_eq!(
            client.retry_delay(&status(429, Some(11)), 1),
            None,
            "too long"
        );
    }

    #[test]
    fn only_408_429_and_5xx_are_retried() {
        for code in [408, 429, 500, 502, 503, 504, 599] {
            assert!(
                is_retryable(StatusCode::from_u16(code).expect("valid")),
                "{code}"
            );
        }
        for code in [200, 204, 301, 304, 400, 401, 403, 404, 410] {
            assert!(
                !is_retryable(StatusCode::from_u16(code).expect("valid")),
                "{code}"
            );
        }
    }

    /// `data` as a gzip file, compressed as hard as deflate can.
    fn gzip(data: &[u8]) -> Vec<u8> {
        use std::io::Write;

        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(data).expect("writes to memory");
        encoder.finish().expect("writes to memory")
    }
}
