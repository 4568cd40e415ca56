//! The tower layer every gRPC call passes through: a request id (the
//! client's `x-request-id` or a new one, echoed back and put on the call's
//! log span), load shedding past a global limit of calls in flight
//! (RESOURCE_EXHAUSTED at once, never a queue), a per-call time limit
//! (DEADLINE_EXCEEDED), the call metrics, and the route a query handler
//! keys its cached answer by. When the operator turns answer compression on,
//! it notes which clients accept it and sends their compressed answers
//! (`compress.rs`).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http::{HeaderValue, Request, Response};
use tokio::sync::Semaphore;
use tonic::body::Body;
use tower::{Layer, Service};
use tracing::Instrument;

use super::answer::CallPath;
use super::{compress, errors};
use crate::config::AnswerCompression;
use crate::metrics::Metrics;

const REQUEST_ID: &str = "x-request-id";
/// Health checks are never shed: an overloaded server is still alive, and a
/// probe that fails under load would have it restarted when it is busiest.
const EXEMPT_PREFIX: &str = "/grpc.health.v1.Health/";

/// Limits and counters shared by every connection.
pub struct CallPolicy {
    pub metrics: Arc<Metrics>,
    /// At most this many calls are answered at once; more are refused.
    pub permits: Arc<Semaphore>,
    pub max_in_flight: usize,
    /// How long a call may take to produce its response.
    pub timeout: Duration,
    /// Answers go compressed in this encoding to clients that accept it.
    pub compression: AnswerCompression,
}

#[derive(Clone)]
pub struct CallLayer(Arc<CallPolicy>);

impl CallLayer {
    pub fn new(policy: CallPolicy) -> Self {
        Self(Arc::new(policy))
    }
}

impl<S> Layer<S> for CallLayer {
    type Service = CallService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CallService {
            inner,
            policy: Arc::clone(&self.0),
        }
    }
}

#[derive(Clone)]
pub struct CallService<S> {
    inner: S,
    policy: Arc<CallPolicy>,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S> Service<Request<Body>> for CallService<S>
where
    S: Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        // The clone is ready (tower's pattern); `self.inner` takes the new one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let policy = Arc::clone(&self.policy);
        let method: Arc<str> = Arc::from(request.uri().path());
        let request_id = request_id(&request);
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            request.headers_mut().insert(REQUEST_ID, value);
        }
        request
            .extensions_mut()
            .insert(CallPath(Arc::clone(&method)));
        if let Some(wanted) = compress::wanted(request.headers(), policy.compression) {
            request.extensions_mut().insert(wanted);
        }
        let permit = if method.starts_with(EXEMPT_PREFIX) {
            None
        } else {
            Some(Arc::clone(&policy.permits).try_acquire_owned())
        };
        Box::pin(async move {
            let started = Instant::now();
            if let Some(Err(_)) = permit {
                let status = errors::status(
                    tonic::Code::ResourceExhausted,
                    errors::reason::OVERLOADED,
                    format!(
                        "the server is answering its limit of {} calls; retry with backoff",
                        policy.max_in_flight
                    ),
                );
                policy
                    .metrics
                    .record(&method, status.code(), started.elapsed());
                return Ok(with_request_id(status.into_http(), &request_id));
            }
            let _in_flight = policy.metrics.start_call();
            let span = tracing::info_span!("call", method = %method, request_id = %request_id);
            let answered =
                tokio::time::timeout(policy.timeout, inner.call(request).instrument(span)).await;
            let response = match answered {
                Ok(response) => compress::finish(response?),
                Err(_) => errors::status(
                    tonic::Code::DeadlineExceeded,
                    errors::reason::TIMED_OUT,
                    format!(
                        "the call took longer than the server's limit of {} ms",
                        policy.timeout.as_millis()
                    ),
                )
                .into_http(),
            };
            policy
                .metrics
                .record(&method, status_of(&response), started.elapsed());
            drop(permit);
            Ok(with_request_id(response, &request_id))
        })
    }
}

/// The client's request id when it is sane, otherwise a new one.
fn request_id<B>(request: &Request<B>) -> String {
    request
        .headers()
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(new_request_id, str::to_owned)
}

/// A new request id, shaped as a version-4 UUID: a random base drawn once
/// per process with the call's sequence number in its last 48 bits. Unique
/// within the process and unrelated across processes, which is all a log
/// correlation id needs; drawing each from the OS (`Uuid::new_v4`) cost a
/// `getrandom` system call per call.
fn new_request_id() -> String {
    static IDS: OnceLock<(u128, AtomicU64)> = OnceLock::new();
    let (base, sequence) = IDS.get_or_init(|| (uuid::Uuid::new_v4().as_u128(), AtomicU64::new(0)));
    let n = sequence.fetch_add(1, Ordering::Relaxed) & ((1 << 48) - 1);
    let bytes = (base ^ u128::from(n)).to_be_bytes();
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

fn with_request_id(mut response: Response<Body>, request_id: &str) -> Response<Body> {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// The call's gRPC status: in the headers of a trailers-only (error)
/// response; a response without it carries its status in trailers, which
/// for these services means OK (errors are always trailers-only).
fn status_of(response: &Response<Body>) -> tonic::Code {
    response
        .headers()
        .get("grpc-status")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<i32>().ok())
        .map_or(tonic::Code::Ok, tonic::Code::from_i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Status;
    use tonic_types::StatusExt;

    /// The layer over a method that takes `delay` to answer OK.
    fn layered(
        max_in_flight: usize,
        timeout: Duration,
        delay: Duration,
    ) -> impl Service<Request<Body>, Response = Response<Body>, Error = std::convert::Infallible> + Clone
    {
        let policy = CallPolicy {
            metrics: Metrics::new().expect("metrics"),
            permits: Arc::new(Semaphore::new(max_in_flight)),
            max_in_flight,
            timeout,
            compression: AnswerCompression::Off,
        };
        let slow = tower::service_fn(move |_request: Request<Body>| async move {
            tokio::time::sleep(delay).await;
            Ok::<_, std::convert::Infallible>(Response::new(Body::empty()))
        });
        CallLayer::new(policy).layer(slow)
    }

    fn call(path: &str) -> Request<Body> {
        Request::builder()
            .uri(path)
            .body(Body::empty())
            .expect("a request")
    }

    fn status(response: &Response<Body>) -> Status {
        Status::from_header_map(response.headers()).expect("a grpc-status")
    }

    #[tokio::test]
    async fn a_call_past_the_limit_is_shed_at_once_with_its_reason() {
        use tower::ServiceExt;
        let service = layered(1, Duration::from_secs(10), Duration::from_millis(500));
        const GET: &str = "/tradepact.v1.AgreementService/GetAgreement";
        let holding = service.clone().oneshot(call(GET));
        let meanwhile = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let started = Instant::now();
            let shed = service.clone().oneshot(call(GET)).await;
            let elapsed = started.elapsed();
            let health = service
                .clone()
                .oneshot(call("/grpc.health.v1.Health/Check"))
                .await;
            (shed, elapsed, health)
        };
        let (held, (shed, elapsed, health)) = tokio::join!(holding, meanwhile);
        assert!(elapsed < Duration::from_millis(400), "shed, not queued");
        let shed = status(&shed.expect("infallible"));
        assert_eq!(shed.code(), tonic::Code::ResourceExhausted);
        assert!(shed.message().contains("limit of 1 calls"), "{shed:?}");
        assert_eq!(
            shed.get_error_details()
                .error_info()
                .map(|i| i.reason.clone()),
            Some(errors::reason::OVERLOADED.to_owned())
        );
        assert!(
            health
                .expect("infallible")
                .headers()
                .get("grpc-status")
                .is_none(),
            "health checks are never shed"
        );
        let held = held.expect("infallible");
        assert!(
            held.headers().get("grpc-status").is_none(),
            "the first call was answered"
        );
    }

    #[tokio::test]
    async fn a_call_past_the_time_limit_is_deadline_exceeded() {
        use tower::ServiceExt;
        let service = layered(4, Duration::from_millis(100), Duration::from_secs(5));
        let started = Instant::now();
        let response = service
            .oneshot(call("/tradepact.v1.TradeService/GetProductBreakdown"))
            .await
            .expect("infallible");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "cut at the limit"
        );
        let cut = status(&response);
        assert_eq!(cut.code(), tonic::Code::DeadlineExceeded);
        assert!(cut.message().contains("100 ms"), "{cut:?}");
        assert_eq!(
            cut.get_error_details()
                .error_info()
                .map(|i| i.reason.clone()),
            Some(errors::reason::TIMED_OUT.to_owned())
        );
    }

    #[test]
    fn new_request_ids_are_distinct_version_4_uuids() {
        let ids: Vec<String> = (0..1000).map(|_| new_request_id()).collect();
        let distinct: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
        for id in &ids {
            let parsed = uuid::Uuid::parse_str(id).expect("a UUID");
            assert_eq!(parsed.get_version_num(), 4, "{id}");
            assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122, "{id}");
        }
    }

    #[test]
    fn a_sane_client_request_id_is_kept_and_a_bad_one_replaced() {
        let with = |value: &str| {
            let mut request = Request::new(());
            request.headers_mut().insert(
                REQUEST_ID,
                HeaderValue::from_str(value).expect("a header value"),
            );
            request_id(&request)
        };
        assert_eq!(with("abc-123"), "abc-123");
        let replaced = with(&"x".repeat(129));
        assert!(uuid::Uuid::parse_str(&replaced).is_ok(), "{replaced}");
        assert!(uuid::Uuid::parse_str(&request_id(&Request::new(()))).is_ok());
    }
}
