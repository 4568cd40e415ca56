//! UN Comtrade parsers, kept apart: `parse_data` is being rewritten to
//! stream, and only this file should need to follow its signature.

use criterion::{BenchmarkGroup, Throughput, measurement::WallTime};
use std::hint::black_box;
use tradepact::refresh::parse::comtrade;

use crate::common::sample;

/// The all-partners preview capture (World + 10 partners, 14.8 KB): the
/// shape of the `TOTAL` call the adapter makes once per reporter and year.
const DATA: &str = "comtrade/wrapped_public_v1_preview_C_A_HS__IND_X_2022_allpartners_TRIMMED.json";

/// `Reporters.json` (255 entries, 80 KB), read at the start of every run.
const REPORTERS: &str = "comtrade/reference_Reporters.json";

pub fn benches(group: &mut BenchmarkGroup<'_, WallTime>) {
    let body = sample(DATA);
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("comtrade_json", |b| {
        b.iter(|| comtrade::parse_data(black_box(&body)).expect("parses"))
    });

    let body = sample(REPORTERS);
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("comtrade_reporters_json", |b| {
        b.iter(|| comtrade::parse_reporters(black_box(&body)).expect("parses"))
    });
}
