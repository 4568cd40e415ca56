//! `validate/*`: the check every refresh batch passes before it may replace
//! anything (src/refresh/validate.rs), over batches the size a default run
//! produces, against the built-in dataset holding the previous run's rows
//! (so the sanity bound on revisions compares every figure).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tradepact::domain::Batch;
use tradepact::refresh::validate::{ValidationPolicy, validate};

mod common;

use common::{CURRENT_YEAR, apply, bilateral_batch, builtin, comtrade_batch, worldbank_batch};

fn validation(c: &mut Criterion) {
    let mut group = c.benchmark_group("validate");
    let policy = ValidationPolicy::default();

    let mut dataset = builtin();
    // The previous runs, 10% lower: every figure is a revision within bounds.
    let previous = [
        comtrade_batch(&dataset, 0.9),
        worldbank_batch(&dataset),
        bilateral_batch(),
    ];
    for batch in previous {
        apply(&mut dataset, batch);
    }

    let batches: [(&str, &str, Batch); 2] = [
        ("comtrade_batch", "comtrade", comtrade_batch(&dataset, 1.0)),
        ("worldbank_batch", "worldbank", worldbank_batch(&dataset)),
    ];
    for (name, origin, batch) in &batches {
        validate(batch, &dataset, origin, &policy, CURRENT_YEAR).expect("the batch is valid");
        group.throughput(Throughput::Elements(batch.rows() as u64));
        group.bench_function(*name, |b| {
            b.iter(|| {
                validate(
                    black_box(batch),
                    black_box(&dataset),
                    origin,
                    &policy,
                    CURRENT_YEAR,
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, validation);
criterion_main!(benches);
