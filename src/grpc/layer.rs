//! The tower layer every gRPC call passes through: a request id (the
//! client's `x-request-id` or a new one, echoed back and put on the call's
//! log span), load shedding past a global limit of calls in flight
//! (RESOURCE_EXHAUSTED at once, never a queue), a per-call time limit
//! (DEADLINE_EXCEEDED), and the call metrics.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http::{HeaderValue, Request, Response};
use tokio::sync::Semaphore;
use tonic::Status;
use tonic::body::Body;
use tower::{Layer, Service};
use tracing::Instrument;

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

impl<S, B> Service<Request<B>> for CallService<S>
where
    S: Service<Request<B>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // The clone is ready (tower's pattern); `self.inner` takes the new one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let policy = Arc::clone(&self.policy);
        let method = request.uri().path().to_owned();
        let request_id = request_id(&request);
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            request.headers_mut().insert(REQUEST_ID, value);
        }
        let permit = if method.starts_with(EXEMPT_PREFIX) {
            None
        } else {
            Some(Arc::clone(&policy.permits).try_acquire_owned())
        };
        Box::pin(async move {
            let started = Instant::now();
            if let Some(Err(_)) = permit {
                let status = Status::resource_exhausted(format!(
                    "the server is answering its limit of {} calls; retry with backoff",
                    policy.max_in_flight
                ));
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
                Ok(response) => response?,
                Err(_) => Status::deadline_exceeded(format!(
                    "the call took longer than the server's limit of {} ms",
                    policy.timeout.as_millis()
                ))
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
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
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
