//! The reliability suite: scenarios that try to lose data or break the
//! service with crashes, signals, storage and upstream faults, hostile
//! clients and long running, each reporting its figures.
//!
//! Every scenario is `#[ignore]`d, so plain `cargo test` lists but skips them;
//! `reliability/run` (short, as in CI) or `reliability/run --long` runs them
//! with `--ignored`, sets `RELIABILITY_MODE` and prints the results table.

mod common;
mod crash;
mod graceful;
mod hostile;
mod saturated;
mod soak;
mod storage;
mod upstream_faults;
