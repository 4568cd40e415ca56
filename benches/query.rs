//! `query/*`: every question as the read model answers it (src/query),
//! request validation included, and `grpc/*`: GetAgreement from protobuf
//! request to encoded protobuf answer.
//!
//! Two datasets: `builtin` is what the service serves offline (agreements,
//! quoted figures); `refreshed` adds one default run of every statistics
//! source (see benches/common), which is what the computed rankings,
//! product breakdowns and indicator vintages work on. Benchmarks on the
//! latter end in `_refreshed`.

use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use prost::Message;
use tradepact::domain::{Dataset, TradeFlow};
use tradepact::grpc::answer::CallPath;
use tradepact::grpc::service::agreement_service_server::AgreementService;
use tradepact::grpc::{AgreementApi, Api, pb};
use tradepact::metrics::Metrics;
use tradepact::query::{
    self, BilateralQuery, GetAgreement, IndicatorQuery, ListAgreements, ProductQuery, QueryError,
    RankQuery, ReadModel,
};

mod common;

/// The agreement with the most events in the built-in dataset's focus.
const AGREEMENT: &str = "kor-khm";
/// Signed (2021-10-26) but not yet in force (2022-12-01).
const AS_OF: (i32, i32, i32) = (2022, 6, 1);

/// Benchmarks one question and returns its answer, for the caller to check
/// that the benchmark measures the path it is named after.
fn bench_query<T>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    dataset: &Dataset,
    answer: impl Fn(&Dataset) -> Result<T, QueryError>,
) -> T {
    let first = answer(dataset).unwrap_or_else(|err| panic!("{name} must answer: {err}"));
    group.bench_function(name, |b| b.iter(|| answer(black_box(dataset))));
    first
}

fn queries(c: &mut Criterion) {
    let builtin = common::builtin();
    let refreshed = common::refreshed();
    let mut group = c.benchmark_group("query");

    let now = GetAgreement {
        id: AGREEMENT.to_owned(),
        as_of: None,
    };
    bench_query(&mut group, "get_agreement", &builtin, |d| {
        query::get_agreement(d, &now)
    });
    let then = GetAgreement {
        id: AGREEMENT.to_owned(),
        as_of: Some(AS_OF),
    };
    let view = bench_query(&mut group, "get_agreement_as_of", &builtin, |d| {
        query::get_agreement(d, &then)
    });
    assert!(view.status.is_some());

    let all = ListAgreements::default();
    let page = bench_query(&mut group, "list_agreements", &builtin, |d| {
        query::list_agreements(d, &all)
    });
    // The first page of every agreement (the default page size).
    assert_eq!(page.total, builtin.agreements.len());
    assert_eq!(page.agreements.len(), builtin.agreements.len().min(50));
    let party_then = ListAgreements {
        party: "KHM".to_owned(),
        as_of: Some(AS_OF),
        ..ListAgreements::default()
    };
    bench_query(&mut group, "list_agreements_party_as_of", &builtin, |d| {
        query::list_agreements(d, &party_then)
    });

    let bilateral = BilateralQuery {
        reporter: "KOR".to_owned(),
        partner: "KHM".to_owned(),
        ..BilateralQuery::default()
    };
    bench_query(&mut group, "bilateral_trade", &builtin, |d| {
        query::bilateral_trade(d, &bilateral)
    });
    let trade = bench_query(&mut group, "bilateral_trade_refreshed", &refreshed, |d| {
        query::bilateral_trade(d, &bilateral)
    });
    assert!(trade.years.iter().any(|y| y.exports_growth_pct.is_some()));
    assert!(!trade.mirror_years.is_empty());

    let quoted_rank = RankQuery {
        reporter: "KOR".to_owned(),
        year: 2019,
        flow: Some(TradeFlow::Export),
        ..RankQuery::default()
    };
    let ranking = bench_query(&mut group, "rank_partners_quoted", &builtin, |d| {
        query::rank_partners(d, &quoted_rank)
    });
    assert!(ranking.quoted);
    let top = RankQuery {
        reporter: "KOR".to_owned(),
        year: *common::YEARS.end(),
        flow: Some(TradeFlow::Export),
        ..RankQuery::default()
    };
    let ranking = bench_query(&mut group, "rank_partners_refreshed", &refreshed, |d| {
        query::rank_partners(d, &top)
    });
    assert!(!ranking.quoted && ranking.entries.len() == 10 && ranking.partner_count > 200);
    let share = RankQuery {
        flow: Some(TradeFlow::Total),
        partners: vec!["CHN".to_owned(), "USA".to_owned()],
        ..top.clone()
    };
    let ranking = bench_query(
        &mut group,
        "rank_partners_share_refreshed",
        &refreshed,
        |d| query::rank_partners(d, &share),
    );
    assert!(ranking.combined_share_pct.is_some());

    let quoted_products = ProductQuery {
        reporter: "KOR".to_owned(),
        partner: "KHM".to_owned(),
        year: 2019,
        flow: Some(TradeFlow::Export),
        ..ProductQuery::default()
    };
    // Breakdowns read their lines from SQLite: a real store, refreshed.
    let (_dir, store, stored) = common::refreshed_store();
    let from_store = |question: &ProductQuery| {
        let checked = query::check_product_query(&stored, question)?;
        store.read_products(|lines| query::product_breakdown(&stored, &checked, lines))
    };
    let products = bench_query(&mut group, "product_breakdown_quoted", &stored, |_| {
        from_store(&quoted_products)
    });
    assert!(products.quoted);
    let chapters = ProductQuery {
        year: *common::YEARS.end(),
        ..quoted_products.clone()
    };
    let products = bench_query(&mut group, "product_breakdown_store", &stored, |_| {
        from_store(&chapters)
    });
    assert!(!products.quoted && products.products.len() == 20);
    let headings = ProductQuery {
        hs_digits: 4,
        ..chapters.clone()
    };
    let products = bench_query(&mut group, "product_breakdown_hs4_store", &stored, |_| {
        from_store(&headings)
    });
    assert!(products.products.iter().all(|p| p.hs_code.len() == 4));

    let indicator = IndicatorQuery {
        economy: "KHM".to_owned(),
        indicator: "NY.GDP.MKTP.KD.ZG".to_owned(),
        ..IndicatorQuery::default()
    };
    bench_query(&mut group, "indicator_series", &builtin, |d| {
        query::indicator_series(d, &indicator)
    });
    let series = bench_query(&mut group, "indicator_series_refreshed", &refreshed, |d| {
        query::indicator_series(d, &indicator)
    });
    assert_eq!(series.vintages.len(), 3);

    // Year-on-year growth over a 1000-year run of figures, some missing.
    let figures: Vec<Option<f64>> = (0..1001)
        .map(|i| (i % 7 != 3).then(|| 1e6 + f64::from(i) * 1e3))
        .collect();
    group.throughput(Throughput::Elements(1000));
    group.bench_function("growth_pct", |b| {
        b.iter(|| {
            black_box(&figures)
                .windows(2)
                .filter_map(|pair| query::growth_pct(pair[1], pair[0]))
                .sum::<f64>()
        })
    });
    group.finish();
}

/// Runs a handler future that never waits (every answer comes from the
/// in-memory snapshot) to completion without a runtime.
fn ready<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the handler waited on something"),
    }
}

fn grpc(c: &mut Criterion) {
    let (_dir, store, dataset) = common::refreshed_store();
    // Without the answer cache every call builds and encodes its answer;
    // with it (the service's default) a repeated question is a lookup.
    let api = |cache_bytes: u64, dataset: Dataset| {
        let read_model = Arc::new(ReadModel::new(cache_bytes));
        read_model.replace(dataset);
        let metrics = Metrics::new().expect("metrics");
        AgreementApi(Api::new(read_model, store.clone(), metrics))
    };
    let uncached = api(0, dataset.clone());
    let cached = api(64 << 20, dataset);
    // The route the call layer puts on every call.
    let route = CallPath(Arc::from("/tradepact.v1.AgreementService/GetAgreement"));
    let request = || pb::GetAgreementRequest {
        id: AGREEMENT.to_owned(),
        as_of: Some(tradepact::grpc::google_type::Date {
            year: AS_OF.0,
            month: AS_OF.1,
            day: AS_OF.2,
        }),
        ..Default::default()
    };
    let answer = |api: &AgreementApi, request: pb::GetAgreementRequest| {
        let mut request = tonic::Request::new(request);
        request.extensions_mut().insert(route.clone());
        ready(api.get_agreement(request))
            .expect("answers")
            .into_inner()
            .message_bytes()
    };
    let encoded = answer(&uncached, request());
    let reply = pb::Agreement::decode(encoded.clone()).expect("decodes");
    assert_eq!(reply.id, AGREEMENT);
    assert_eq!(
        answer(&cached, request()),
        encoded,
        "the cache serves the same bytes"
    );

    let mut group = c.benchmark_group("grpc");
    group.throughput(Throughput::Bytes(encoded.len() as u64));
    // Request message → query → domain answer → response message → bytes.
    group.bench_function("get_agreement_uncached", |b| {
        b.iter_batched(
            request,
            |request| answer(&uncached, request),
            criterion::BatchSize::SmallInput,
        )
    });
    group.bench_function("get_agreement_cached", |b| {
        b.iter_batched(
            request,
            |request| answer(&cached, request),
            criterion::BatchSize::SmallInput,
        )
    });
    group.bench_function("get_agreement_encode", |b| {
        b.iter(|| black_box(&reply).encode_to_vec())
    });
    group.finish();
}

criterion_group!(benches, queries, grpc);
criterion_main!(benches);
