//! Compiles `proto/` with protox (no system `protoc`) and writes the descriptor
//! set that server reflection serves.

use prost::Message;

const PROTOS: &[&str] = &[
    "proto/tradepact/v1/common.proto",
    "proto/tradepact/v1/agreements.proto",
    "proto/tradepact/v1/trade.proto",
    "proto/tradepact/v1/indicators.proto",
    "proto/tradepact/v1/refresh.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let descriptors = protox::compile(PROTOS, ["proto"])?;
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("tradepact_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
