//! Health, restarts on an existing database, compression.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::codec::CompressionEncoding;
use tonic_health::pb::health_check_response::ServingStatus;
use tradepact::grpc::pb;
use tradepact::grpc::pb::agreement_service_client::AgreementServiceClient;

use crate::helpers::{spawn_app, spawn_app_in};

#[tokio::test]
async fn health_is_serving_overall_and_per_service() {
    let mut app = spawn_app().await;
    for service in [
        "",
        "tradepact.v1.AgreementService",
        "tradepact.v1.TradeService",
        "tradepact.v1.IndicatorService",
    ] {
        let response = app.check_health(service).await.expect("health check");
        assert_eq!(
            response.status,
            ServingStatus::Serving as i32,
            "{service:?}"
        );
    }
    let unknown = app.check_health("tradepact.v1.Nope").await;
    assert_eq!(
        unknown.map_err(|s| s.code()).err(),
        Some(tonic::Code::NotFound)
    );
    app.stop().await;
}

#[tokio::test]
async fn a_restart_serves_the_same_data_from_the_same_file() {
    let mut first = spawn_app().await;
    let before = first.agreement("kor-khm", None).await.expect("first run");
    let dir = first.stop().await;
    assert!(
        dir.path().join("tradepact.db").exists(),
        "a real SQLite file"
    );

    let mut second = spawn_app_in(dir).await;
    let after = second.agreement("kor-khm", None).await.expect("second run");
    assert_eq!(before, after);
    second.stop().await;
}

#[tokio::test]
async fn gzip_requests_and_responses_work() {
    let app = spawn_app().await;
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", app.addr))
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    let mut client = AgreementServiceClient::new(channel)
        .send_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Gzip);
    let khm = client
        .get_agreement(pb::GetAgreementRequest {
            id: "kor-khm".into(),
            as_of: None,
            ..Default::default()
        })
        .await
        .expect("compressed call")
        .into_inner();
    assert_eq!(khm.id, "kor-khm");
    app.stop().await;
}

/// `--max-connection-age-secs`: the server ends each connection that old
/// with GOAWAY, so a round_robin client re-resolves and finds the readers
/// added since (deploy/REPLICAS.md). Without it a connection stays open.
#[tokio::test]
async fn a_connection_is_ended_with_goaway_at_the_max_connection_age_and_kept_without_one() {
    let aged = crate::helpers::spawn_app_with(|s| s.max_connection_age_secs = 1).await;
    let unaged = spawn_app().await;
    let ((lasted, aged_end), (_, unaged_end)) = tokio::join!(
        open_for(aged.addr, Duration::from_secs(10)),
        open_for(unaged.addr, Duration::from_secs(3)),
    );
    assert_eq!(
        aged_end,
        Some(Some(NO_ERROR)),
        "the aged connection ends with GOAWAY (NO_ERROR), then closes"
    );
    assert!(
        lasted >= Duration::from_millis(900),
        "ended after {lasted:?}, before its age of 1 s"
    );
    assert_eq!(
        unaged_end, None,
        "a connection without a maximum age stays open"
    );
}

/// HTTP/2's error code for a graceful GOAWAY.
const NO_ERROR: u32 = 0;

/// Opens an idle HTTP/2 connection to `addr` (the preface and an empty
/// SETTINGS, written by hand so every frame the server sends is seen, its
/// SETTINGS and PINGs answered) and reads what the server sends for up to
/// `limit`. Returns how long it was
/// open, and how it ended: None, still open at `limit`; Some(None), closed
/// without GOAWAY; Some(Some(code)), closed after a GOAWAY with that code.
async fn open_for(addr: std::net::SocketAddr, limit: Duration) -> (Duration, Option<Option<u32>>) {
    const SETTINGS: u8 = 0x4;
    const PING: u8 = 0x6;
    const GOAWAY: u8 = 0x7;
    const ACK: u8 = 0x1;
    let mut tcp = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    tcp.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .await
        .expect("preface");
    tcp.write_all(&[0, 0, 0, SETTINGS, 0, 0, 0, 0, 0])
        .await
        .expect("settings");
    let opened = Instant::now();
    let frames = async {
        let mut goaway = None;
        loop {
            let mut header = [0_u8; 9];
            if tcp.read_exact(&mut header).await.is_err() {
                return goaway;
            }
            let length = u32::from_be_bytes([0, header[0], header[1], header[2]]);
            let mut payload = vec![0_u8; length as usize];
            if tcp.read_exact(&mut payload).await.is_err() {
                return goaway;
            }
            match header[3] {
                SETTINGS if header[4] & ACK == 0 => {
                    let _ = tcp.write_all(&[0, 0, 0, SETTINGS, ACK, 0, 0, 0, 0]).await;
                }
                // A graceful GOAWAY is followed by a PING: the server closes
                // once it is answered.
                PING if header[4] & ACK == 0 => {
                    let mut pong = vec![0, 0, 8, PING, ACK, 0, 0, 0, 0];
                    pong.extend_from_slice(&payload);
                    let _ = tcp.write_all(&pong).await;
                }
                GOAWAY if payload.len() >= 8 => {
                    goaway = Some(u32::from_be_bytes([
                        payload[4], payload[5], payload[6], payload[7],
                    ]));
                }
                _ => {}
            }
        }
    };
    let ended = tokio::time::timeout(limit, frames).await.ok();
    (opened.elapsed(), ended)
}
