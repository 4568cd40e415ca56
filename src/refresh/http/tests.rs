//! The client against wiremock and a raw TCP server: retries, Retry-After,
//! timeouts, body limits, sinks, validators, redirects, cancellation.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
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

async fn fetch_into(url: &str, limit: usize, sink: &mut Recorder) -> Result<Fetched, FetchError> {
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

/// `data` as a gzip file, compressed as hard as deflate can.
fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;

    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).expect("writes to memory");
    encoder.finish().expect("writes to memory")
}
