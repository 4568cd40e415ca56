//! End-to-end tests: the real server on a loopback port with a temporary
//! SQLite file, called through the generated Rust clients. One binary, so
//! the crate is linked once.

mod agreements;
mod catalog;
mod conformance;
mod crash;
mod economies;
mod helpers;
mod hs6;
mod imf;
mod invalid;
mod korea_facts;
mod lifecycle;
mod operations;
mod refresh;
mod tidy;
mod trade;
mod upstream;
mod world;
