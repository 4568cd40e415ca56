//! Compiles `proto/` with protox (no system `protoc`) and writes the descriptor
//! set that server reflection serves.
//!
//! Two passes over the same descriptors:
//! - messages and clients, the `pb` module everyone uses;
//! - servers only (messages stripped, every type resolved to `pb`), where the
//!   query methods answer with `grpc::answer::Encoded<T>`: bytes encoded once
//!   per dataset snapshot and served from a cache, so a repeated question costs
//!   no tree building and no encoding (see `src/grpc/answer.rs`).

use prost::Message;
use prost_types::FileDescriptorSet;

const PROTOS: &[&str] = &[
    "proto/tradepact/v1/common.proto",
    "proto/tradepact/v1/agreements.proto",
    "proto/tradepact/v1/trade.proto",
    "proto/tradepact/v1/indicators.proto",
    "proto/tradepact/v1/refresh.proto",
    "proto/tradepact/v1/catalog.proto",
];

/// Where imports resolve: our contract, then the Google API types it uses
/// (`google/type/date.proto`, vendored unchanged in `third_party/googleapis`).
/// protox brings the `google/protobuf` well-known types itself.
const INCLUDES: &[&str] = &["proto", "third_party/googleapis"];

/// The `google.rpc` messages every error carries in its details (built with
/// tonic-types at run time; here only for the reflection descriptors).
const ERROR_DETAILS: &[&str] = &["google/rpc/status.proto", "google/rpc/error_details.proto"];

/// The answers served as pre-encoded bytes: every query method's response.
const ENCODED_ANSWERS: &[&str] = &[
    "Agreement",
    "ListAgreementsResponse",
    "ListNegotiationRoundsResponse",
    "GetBilateralTradeResponse",
    "RankPartnersResponse",
    "GetProductBreakdownResponse",
    "GetIndicatorSeriesResponse",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    // GetServerInfo's `build`: what whoever builds says was built (a commit,
    // a CI run), through TRADEPACT_BUILD. Not read from git here: a value
    // that changed with every commit would rebuild the crate each time.
    println!("cargo:rerun-if-env-changed=TRADEPACT_BUILD");
    let build = std::env::var("TRADEPACT_BUILD").unwrap_or_default();
    println!("cargo:rustc-env=TRADEPACT_BUILD={build}");
    println!("cargo:rerun-if-changed=third_party/googleapis");
    let descriptors = protox::compile(PROTOS, INCLUDES)?;
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    // Reflection also serves the error detail types, so a client that
    // discovers the API by reflection (grpcurl) can decode every error.
    let reflected = protox::compile(PROTOS.iter().chain(ERROR_DETAILS), INCLUDES)?;
    std::fs::write(
        out_dir.join("tradepact_descriptor.bin"),
        reflected.encode_to_vec(),
    )?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(false)
        .extern_path(".google.type", "crate::grpc::google_type")
        .compile_fds(descriptors.clone())?;

    let server_dir = out_dir.join("server");
    std::fs::create_dir_all(&server_dir)?;
    let mut servers = tonic_prost_build::configure()
        .build_client(false)
        .build_server(true)
        .out_dir(&server_dir)
        .extern_path(".tradepact.v1", "crate::grpc::pb")
        .extern_path(".google.type", "crate::grpc::google_type");
    for answer in ENCODED_ANSWERS {
        servers = servers.extern_path(
            format!(".tradepact.v1.{answer}"),
            format!("crate::grpc::answer::Encoded<crate::grpc::pb::{answer}>"),
        );
    }
    servers.compile_fds(services_only(descriptors.clone()))?;

    // `google.type.Date` on its own, for `crate::grpc::google_type`.
    let google_dir = out_dir.join("google");
    std::fs::create_dir_all(&google_dir)?;
    tonic_prost_build::configure()
        .build_client(false)
        .build_server(false)
        .out_dir(&google_dir)
        .compile_fds(only_file(descriptors, "google/type/date.proto"))?;
    Ok(())
}

/// The descriptors with every message and enum removed, so the server pass
/// generates services alone and resolves their types through `extern_path`.
fn services_only(mut descriptors: FileDescriptorSet) -> FileDescriptorSet {
    for file in &mut descriptors.file {
        file.message_type.clear();
        file.enum_type.clear();
    }
    descriptors
}

/// The descriptors of one file alone.
fn only_file(mut descriptors: FileDescriptorSet, name: &str) -> FileDescriptorSet {
    descriptors.file.retain(|file| file.name() == name);
    descriptors
}
