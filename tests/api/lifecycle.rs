//! Health, restarts on an existing database, compression.

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
