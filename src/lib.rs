//! tradepact: a gRPC service answering questions about free-trade agreements
//! and the trade between economies, from SQLite. See `ARCHITECTURE.md`.

pub mod background;
pub mod config;
pub mod domain;
pub mod grpc;
pub mod health;
pub mod metrics;
pub mod query;
pub mod refresh;
pub mod replica;
pub mod seed;
pub mod startup;
pub mod store;
pub mod telemetry;
#[cfg(test)]
mod test_support;
