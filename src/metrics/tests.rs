use std::net::SocketAddr;
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::*;

/// Limits short enough for tests; each test narrows what it exercises.
const QUICK: Limits = Limits {
    header_read_timeout: Duration::from_secs(10),
    max_connections: 8,
    shutdown_grace: Duration::from_secs(10),
};

/// Long enough for anything a test waits on to happen, short enough that a
/// hang fails the test instead of the run.
const PATIENCE: Duration = Duration::from_secs(5);

/// `router` served on a port of its own until the returned token fires.
async fn start(router: Router, limits: Limits) -> (SocketAddr, CancellationToken, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let addr = listener.local_addr().expect("bound");
    let stop = CancellationToken::new();
    let server = tokio::spawn(serve_router(listener, router, limits, stop.clone()));
    (addr, stop, server)
}

fn hello() -> Router {
    Router::new().route("/metrics", get(|| async { "hello\n" }))
}

/// A whole request for `/metrics` that asks the server to close after it.
const CLOSING_REQUEST: &[u8] = b"GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

/// Everything the server sends until it closes the connection (a reset
/// ends it too: what came before it is kept).
async fn read_all(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut answer))
        .await
        .expect("the server closes in time");
    String::from_utf8_lossy(&answer).into_owned()
}

/// What the server sends until the text read ends with `end`; the
/// connection stays open.
async fn read_until(stream: &mut TcpStream, end: &str) -> String {
    let mut answer = Vec::new();
    let mut chunk = [0; 1024];
    while !answer.ends_with(end.as_bytes()) {
        let read = tokio::time::timeout(PATIENCE, stream.read(&mut chunk))
            .await
            .expect("the server answers in time")
            .expect("reads");
        assert!(
            read > 0,
            "closed early: {:?}",
            String::from_utf8_lossy(&answer)
        );
        answer.extend_from_slice(&chunk[..read]);
    }
    String::from_utf8_lossy(&answer).into_owned()
}

/// Whether the server closes `stream` without a byte of answer.
async fn closed_unanswered(stream: &mut TcpStream) -> bool {
    let mut byte = [0; 1];
    match tokio::time::timeout(PATIENCE, stream.read(&mut byte)).await {
        Ok(Ok(0) | Err(_)) => true,
        Ok(Ok(_)) => false,
        Err(_) => panic!("the server neither answered nor closed"),
    }
}

#[tokio::test]
async fn serves_the_text_format_on_metrics_and_404_elsewhere() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("t.db")).await.expect("opens");
    let metrics = Metrics::new().expect("registers");
    metrics.record("/x.Y/Z", tonic::Code::Ok, Duration::from_millis(1));
    let (addr, stop, server) = start(router(metrics, store), QUICK).await;
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");

    let scrape = client
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .expect("answers");
    assert_eq!(scrape.status(), 200);
    assert_eq!(
        scrape.headers()[reqwest::header::CONTENT_TYPE],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = scrape.text().await.expect("body");
    assert!(text.contains("tradepact_grpc_calls_total{code=\"OK\",method=\"/x.Y/Z\"} 1"));
    assert!(text.contains("tradepact_store_size_bytes"), "{text}");

    for path in ["/", "/metrics/", "/other"] {
        let other = client
            .get(format!("http://{addr}{path}"))
            .send()
            .await
            .expect("answers");
        assert_eq!(other.status(), 404, "{path}");
    }
    let post = client
        .post(format!("http://{addr}/metrics"))
        .send()
        .await
        .expect("answers");
    assert_eq!(post.status(), 405);

    stop.cancel();
    tokio::time::timeout(PATIENCE, server)
        .await
        .expect("stops")
        .expect("no panic");
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let timeout = Duration::from_millis(200);
    let limits = Limits {
        header_read_timeout: timeout,
        ..QUICK
    };
    let (addr, stop, _server) = start(hello(), limits).await;

    let mut slow = TcpStream::connect(addr).await.expect("connects");
    let started = Instant::now();
    slow.write_all(b"GET /metrics HTTP/1.1\r\nHost: t\r\n")
        .await
        .expect("writes");
    assert!(closed_unanswered(&mut slow).await);
    let waited = started.elapsed();
    assert!(
        waited >= timeout.mul_f32(0.75),
        "closed after {waited:?}, before the timeout"
    );

    // A client that does send its headers in time is answered.
    let mut prompt = TcpStream::connect(addr).await.expect("connects");
    prompt.write_all(CLOSING_REQUEST).await.expect("writes");
    let answer = read_all(&mut prompt).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("hello\n"), "{answer}");
    stop.cancel();
}

#[tokio::test]
async fn connections_beyond_the_cap_are_closed_unanswered() {
    let limits = Limits {
        max_connections: 2,
        ..QUICK
    };
    let (addr, stop, _server) = start(hello(), limits).await;

    // Two connections hold the two places (silent: the header-read timeout
    // is far off); the kernel hands them to the server in this order.
    let mut first = TcpStream::connect(addr).await.expect("connects");
    let mut second = TcpStream::connect(addr).await.expect("connects");
    let mut third = TcpStream::connect(addr).await.expect("connects");
    assert!(closed_unanswered(&mut third).await, "over the cap");

    second.write_all(CLOSING_REQUEST).await.expect("writes");
    assert!(read_all(&mut second).await.starts_with("HTTP/1.1 200"));

    // The place `second` held is free again once its task has ended.
    let deadline = Instant::now() + PATIENCE;
    loop {
        let mut next = TcpStream::connect(addr).await.expect("connects");
        let _ = next.write_all(CLOSING_REQUEST).await;
        if read_all(&mut next).await.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(Instant::now() < deadline, "the place was never freed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.write_all(CLOSING_REQUEST).await.expect("writes");
    assert!(read_all(&mut first).await.starts_with("HTTP/1.1 200"));
    stop.cancel();
}

/// A router whose `/metrics` tells `started` it began, then answers when
/// `finish` is notified; `/ping` answers at once.
fn held(started: Arc<Notify>, finish: Arc<Notify>) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(move || async move {
                started.notify_one();
                finish.notified().await;
                "finished\n"
            }),
        )
        .route("/ping", get(|| async { "pong\n" }))
}

#[tokio::test]
async fn on_stop_an_answer_under_way_finishes_and_idle_connections_close() {
    let (started, finish) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let (addr, stop, server) = start(held(Arc::clone(&started), Arc::clone(&finish)), QUICK).await;

    // Idle: kept alive after one answer. (A connection that has not sent a
    // request yet is not idle to hyper: it is closed by the header-read
    // timeout or the grace period.)
    let mut idle = TcpStream::connect(addr).await.expect("connects");
    idle.write_all(b"GET /ping HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .expect("writes");
    assert!(
        read_until(&mut idle, "pong\n")
            .await
            .starts_with("HTTP/1.1 200")
    );
    let mut busy = TcpStream::connect(addr).await.expect("connects");
    // Keep-alive request: only the stop makes the server close after it.
    busy.write_all(b"GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .expect("writes");
    tokio::time::timeout(PATIENCE, started.notified())
        .await
        .expect("the handler starts");

    stop.cancel();
    assert!(
        closed_unanswered(&mut idle).await,
        "the idle connection is closed"
    );
    finish.notify_one();
    let answer = read_all(&mut busy).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("finished\n"), "{answer}");
    tokio::time::timeout(PATIENCE, server)
        .await
        .expect("the server returns once its connections are done")
        .expect("no panic");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the listener is closed"
    );
}

#[tokio::test]
async fn on_stop_an_answer_that_never_finishes_is_cut_after_the_grace_period() {
    let grace = Duration::from_millis(200);
    let limits = Limits {
        shutdown_grace: grace,
        ..QUICK
    };
    let (started, never) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let (addr, stop, server) = start(held(Arc::clone(&started), never), limits).await;

    let mut stuck = TcpStream::connect(addr).await.expect("connects");
    stuck.write_all(CLOSING_REQUEST).await.expect("writes");
    tokio::time::timeout(PATIENCE, started.notified())
        .await
        .expect("the handler starts");

    let stopped = Instant::now();
    stop.cancel();
    tokio::time::timeout(PATIENCE, server)
        .await
        .expect("the server returns after the grace period")
        .expect("no panic");
    assert!(stopped.elapsed() >= grace.mul_f32(0.75));
    assert!(closed_unanswered(&mut stuck).await, "the connection is cut");
}

#[test]
fn store_figures_include_each_sources_age_and_the_build() {
    let now = chrono::Utc::now().timestamp();
    let stats = crate::store::StoreStats {
        last_success: [("worldbank".to_owned(), now - 3600)].into_iter().collect(),
        dataset_version: "2026-11-27".to_owned(),
        ..Default::default()
    };
    let text = store_metrics(&stats);
    let age: i64 = text
        .lines()
        .find_map(|line| {
            line.strip_prefix("tradepact_refresh_seconds_since_last_success{source=\"worldbank\"} ")
        })
        .expect("the age of worldbank's last success")
        .parse()
        .expect("a number");
    assert!((3600..3700).contains(&age), "{age}");
    assert!(
        text.contains(&format!(
            "tradepact_build_info{{version=\"{}\",build=\"{}\",dataset_version=\"2026-11-27\"}} 1",
            env!("CARGO_PKG_VERSION"),
            env!("TRADEPACT_BUILD")
        )),
        "{text}"
    );
}
