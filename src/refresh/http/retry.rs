//! Which failed attempts are tried again, and after how long.
//!
//! Transient failures are retried: a connection that fails or breaks, a
//! timeout, a body cut short, and the statuses 408, 429 and 5xx. Every other
//! status is an answer for the adapter to read. The wait is `backon`'s
//! exponential backoff with jitter, unless the upstream sent `Retry-After`
//! (on 429 or 503): that wait is honoured as given, and one longer than
//! [`HttpSettings::max_retry_after`] ends the fetch at once: a run has a
//! time limit, and the error names the wait (the run's failure reason shows
//! it).

use std::fmt;
use std::time::Duration;

use backon::ExponentialBuilder;
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header;

use super::{FetchError, HttpSettings, describe};

/// How one attempt failed: in a way worth another try, or [`Fatal`](Self::Fatal).
#[derive(Debug)]
pub(super) enum Failure {
    /// 408, 429 or 5xx.
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    Timeout,
    Connect(String),
    Body(String),
    /// Retrying cannot help.
    Fatal(FetchError),
}

impl Failure {
    pub(super) fn is_transient(&self) -> bool {
        !matches!(self, Self::Fatal(_))
    }

    /// The error a fetch ends with when this was its last attempt.
    pub(super) fn into_error(self, attempts: u32) -> FetchError {
        match self {
            Self::Fatal(error) => error,
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

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fatal(error) => error.fmt(f),
            Self::Status { status, .. } => write!(f, "HTTP {status}"),
            Self::Timeout => f.write_str("timed out"),
            Self::Connect(detail) => write!(f, "connection failed: {detail}"),
            Self::Body(detail) => write!(f, "body failed: {detail}"),
        }
    }
}

/// The waits between attempts: `base_backoff`, doubling up to
/// `max_backoff`, each plus a random part of up to as much again, and one
/// fewer than `max_attempts`.
pub(super) fn backoff(settings: &HttpSettings) -> ExponentialBuilder {
    let retries = settings.max_attempts.max(1) - 1;
    ExponentialBuilder::default()
        .with_min_delay(settings.base_backoff)
        .with_max_delay(settings.max_backoff)
        .with_max_times(usize::try_from(retries).unwrap_or(usize::MAX))
        .with_jitter()
}

/// The wait before the next attempt after `failure`, given the backoff's
/// (`None` once the attempts are spent): a `Retry-After` replaces it, and
/// one longer than `max_retry_after` gives up at once.
pub(super) fn delay(
    failure: &Failure,
    backoff: Option<Duration>,
    max_retry_after: Duration,
) -> Option<Duration> {
    let retry_after = match failure {
        Failure::Status { retry_after, .. } => *retry_after,
        _ => None,
    };
    match retry_after {
        Some(wait) if wait > max_retry_after => None,
        Some(wait) => backoff.map(|_| wait),
        None => backoff,
    }
}

/// 408, 429 and 5xx are worth another try; every other status goes to the adapter.
pub(super) fn is_retryable(status: StatusCode) -> bool {
    status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
}

pub(super) fn classify_send_error(error: reqwest::Error) -> Failure {
    if error.is_redirect() {
        Failure::Fatal(FetchError::TooManyRedirects)
    } else if error.is_builder() {
        Failure::Fatal(FetchError::Client {
            detail: describe(error),
        })
    } else if error.is_timeout() {
        Failure::Timeout
    } else if error.is_body() || error.is_decode() {
        Failure::Body(describe(error))
    } else {
        Failure::Connect(describe(error))
    }
}

/// `reqwest` reports every error while reading the body as a decode error;
/// a timeout is told apart by its source chain.
pub(super) fn classify_body_error(error: reqwest::Error) -> Failure {
    if error.is_timeout() {
        Failure::Timeout
    } else {
        Failure::Body(describe(error))
    }
}

/// `Retry-After` on a 429 or 503, as delta-seconds or an HTTP-date.
pub(super) fn retry_after(response: &reqwest::Response, now: DateTime<Utc>) -> Option<Duration> {
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

#[cfg(test)]
mod tests {
    use backon::BackoffBuilder;

    use super::*;

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
    fn backoff_doubles_up_to_the_cap_with_jitter_once_per_retry() {
        let settings = HttpSettings {
            max_attempts: 8,
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            ..HttpSettings::default()
        };
        for _ in 0..20 {
            let delays: Vec<Duration> = backoff(&settings).build().collect();
            assert_eq!(delays.len(), 7, "one wait per retry");
            for (retry, delay) in delays.iter().enumerate() {
                let ceiling = (settings.base_backoff * 2_u32.pow(retry as u32))
                    .min(settings.max_backoff)
                    .as_secs_f64();
                let delay = delay.as_secs_f64();
                assert!(
                    delay >= ceiling * 0.999 && delay <= ceiling * 2.001,
                    "retry {retry}: {delay} s"
                );
            }
        }
        let once = HttpSettings {
            max_attempts: 0,
            ..settings
        };
        assert_eq!(backoff(&once).build().next(), None, "0 attempts count as 1");
    }

    #[test]
    fn retry_after_replaces_the_backoff_within_its_cap() {
        let cap = Duration::from_secs(10);
        let status = |status, seconds: Option<u64>| Failure::Status {
            status,
            retry_after: seconds.map(Duration::from_secs),
        };
        let backoff = Some(Duration::from_millis(5));

        assert_eq!(
            delay(&status(503, Some(2)), backoff, cap),
            Some(Duration::from_secs(2))
        );
        assert_eq!(delay(&status(429, None), backoff, cap), backoff);
        assert_eq!(delay(&Failure::Timeout, None, cap), None, "spent");
        assert_eq!(delay(&status(503, Some(2)), None, cap), None, "spent");
        assert_eq!(
            delay(&status(429, Some(11)), backoff, cap),
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
}
