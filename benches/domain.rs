//! `domain/*`: the rules under every agreement answer (src/domain): parsing
//! dates that keep their precision, an agreement's status now and on a
//! date, and folding another source's events into the built-in agreements.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use tradepact::domain::{
    Agreement, AgreementEvent, EventKind, MeetingFormat, PartialDate, Scope, Source,
};

mod common;

/// Every date string written in the built-in dataset file (`"2020"`,
/// `"2020-10"`, `"2020-10-06"`), in file order.
fn dataset_dates() -> Vec<String> {
    tradepact::seed::BUILTIN_TOML
        .split('"')
        .filter(|text| PartialDate::parse(text).is_ok())
        .map(str::to_owned)
        .collect()
}

/// The events the WTO adapter gives an agreement it recognises: the
/// signature and entry into force to the day, the notification, and the
/// WTO's consideration. Dates come from the agreement's own events (the
/// first day they may stand for) so some coincide, some refine a coarser
/// date, and the WTO-only kinds are inserted.
fn wto_events(agreement: &Agreement, source: &Arc<Source>) -> Vec<AgreementEvent> {
    let day_of = |kind: EventKind| {
        agreement
            .events
            .iter()
            .filter(|e| e.kind == kind)
            .find_map(|e| e.start)
            .and_then(|start| {
                let (year, month, day) = start.earliest();
                PartialDate::new(year, i32::from(month), i32::from(day)).ok()
            })
    };
    let signed = day_of(EventKind::Signed);
    let in_force = day_of(EventKind::EnteredIntoForce);
    let later = |date: Option<PartialDate>, months: i32| {
        date.and_then(|d| {
            let month = i32::from(d.month()) + months;
            PartialDate::new(d.year() + (month - 1) / 12, (month - 1) % 12 + 1, 1).ok()
        })
    };
    [
        (EventKind::Signed, signed),
        (EventKind::EnteredIntoForce, in_force),
        (EventKind::NotifiedToWto, later(in_force, 6)),
        (EventKind::Other, later(in_force, 24)),
    ]
    .into_iter()
    .filter_map(|(kind, start)| {
        Some(AgreementEvent {
            kind,
            start: Some(start?),
            end: None,
            round_number: None,
            format: MeetingFormat::Unspecified,
            venue: String::new(),
            party: None,
            scope: Scope::All,
            note: format!("{} per the WTO", kind.as_str()),
            sources: vec![source.clone()],
            conflicts: Vec::new(),
        })
    })
    .collect()
}

fn domain(c: &mut Criterion) {
    let dataset = common::builtin();
    let agreements: Vec<Agreement> = dataset.agreements.values().cloned().collect();
    let mut group = c.benchmark_group("domain");

    let dates = dataset_dates();
    assert!(dates.len() > 100, "{} dates", dates.len());
    group.throughput(Throughput::Elements(dates.len() as u64));
    group.bench_function("partial_date_parse", |b| {
        b.iter(|| {
            black_box(&dates)
                .iter()
                .map(|text| PartialDate::parse(text).map(PartialDate::year))
                .filter(Result::is_ok)
                .count()
        })
    });

    group.throughput(Throughput::Elements(agreements.len() as u64));
    group.bench_function("agreement_status", |b| {
        b.iter(|| {
            black_box(&agreements)
                .iter()
                .filter_map(|a| a.status(None))
                .count()
        })
    });
    let day = PartialDate::new(2022, 6, 1).expect("a date");
    group.bench_function("agreement_status_as_of", |b| {
        b.iter(|| {
            black_box(&agreements)
                .iter()
                .filter_map(|a| a.status(Some(day)))
                .count()
        })
    });
    group.bench_function("agreement_as_of", |b| {
        b.iter(|| {
            black_box(&agreements)
                .iter()
                .map(|a| a.as_of(day).events.len())
                .sum::<usize>()
        })
    });

    let source = Arc::new(Source {
        key: "wto-rta-bench".to_owned(),
        title: "WTO Regional Trade Agreements database".to_owned(),
        publisher: "World Trade Organization".to_owned(),
        url: "https://upstream.invalid/wto".to_owned(),
        published: None,
        retrieved_at: Some("2026-11-27T05:00:00Z".to_owned()),
        license: "bench fixture".to_owned(),
        redistributable: false,
    });
    let extra: Vec<Vec<AgreementEvent>> =
        agreements.iter().map(|a| wto_events(a, &source)).collect();
    let events: usize = extra.iter().map(Vec::len).sum();
    assert!(events > agreements.len(), "{events} WTO events");
    group.throughput(Throughput::Elements(events as u64));
    group.bench_function("merge_events", |b| {
        b.iter_batched(
            || (agreements.clone(), extra.clone()),
            |(mut agreements, extra)| {
                for (agreement, events) in agreements.iter_mut().zip(extra) {
                    agreement.merge_events(events);
                }
                agreements
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, domain);
criterion_main!(benches);
