//! `tradepact health`: a grpc.health.v1 Check against a running server, for
//! container HEALTHCHECKs and scripts. SERVING exits 0; anything else,
//! including no answer in time, exits 1.
//!
//! It lives in the binary so the runtime image needs no separate probe tool,
//! and it speaks the same TLS (and client certificates) as the server, so a
//! TLS-only deployment can still be checked.

use std::time::Duration;

use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::config::HealthArgs;

/// The answer, as a line for the terminal and whether it means healthy.
pub async fn check(args: &HealthArgs) -> (bool, String) {
    let timeout = Duration::from_secs(args.timeout_secs.max(1));
    match tokio::time::timeout(timeout, ask(args, timeout)).await {
        Ok(Ok(status)) => (
            status == ServingStatus::Serving,
            format!("{}: {}", args.addr, status.as_str_name()),
        ),
        Ok(Err(error)) => (false, format!("{}: {error:#}", args.addr)),
        Err(_) => (
            false,
            format!("{}: no answer within {} s", args.addr, timeout.as_secs()),
        ),
    }
}

async fn ask(args: &HealthArgs, timeout: Duration) -> anyhow::Result<ServingStatus> {
    let scheme = if args.tls_ca.is_some() {
        "https"
    } else {
        "http"
    };
    let mut endpoint = Channel::from_shared(format!("{scheme}://{}", args.addr))?
        .connect_timeout(timeout)
        .timeout(timeout);
    if let Some(ca) = &args.tls_ca {
        let mut tls =
            ClientTlsConfig::new().ca_certificate(Certificate::from_pem(std::fs::read(ca)?));
        if let Some(domain) = &args.tls_domain {
            tls = tls.domain_name(domain.clone());
        }
        if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
            tls = tls.identity(Identity::from_pem(
                std::fs::read(cert)?,
                std::fs::read(key)?,
            ));
        }
        endpoint = endpoint.tls_config(tls)?;
    }
    let channel = endpoint.connect().await?;
    let response = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: args.service.clone(),
        })
        .await?;
    Ok(ServingStatus::try_from(response.into_inner().status).unwrap_or(ServingStatus::Unknown))
}
