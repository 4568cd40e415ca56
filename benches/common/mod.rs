//! Inputs shared by the micro-benchmarks: the recorded upstream samples, the
//! built-in dataset, and refresh batches shaped like what the adapters
//! produce under the default configuration (reporter KOR, partner KHM, five
//! complete years, three World Bank indicators).
//!
//! The adapters' mapping functions are private and need an HTTP client, so
//! the batches are built here from domain values directly. Their sizes
//! follow the adapters: one partner flow per known single economy, flow and
//! year (Comtrade `TOTAL` by partner); HS chapters and headings for the
//! detailed partner (Comtrade `AG2` + `AG4`); one indicator series per
//! economy and indicator over 25 years (World Bank `country/all`).
//!
//! Each bench target uses a part of this module.
#![allow(dead_code)]

use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::sync::Arc;

use tradepact::domain::{
    Batch, Dataset, EconomyCode, Indicator, IndicatorSeries, PartnerFlow, ProductFlow, Source,
    TradeFigure, TradeFlow,
};

/// The complete years a default refresh fetches (five before the current one).
pub const YEARS: RangeInclusive<i32> = 2021..=2025;

/// The year validation checks ranges against.
pub const CURRENT_YEAR: i32 = 2026;

/// The recorded upstream responses: `tests/fixtures/upstream`, unless
/// `$TRADEPACT_UPSTREAM_SAMPLES` names another folder of the same layout.
pub fn samples_dir() -> PathBuf {
    std::env::var_os("TRADEPACT_UPSTREAM_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upstream")
        })
}

/// One recorded response body, read at bench time.
pub fn sample(relative: &str) -> Vec<u8> {
    let path = samples_dir().join(relative);
    std::fs::read(&path).unwrap_or_else(|err| {
        panic!(
            "cannot read the recorded sample {} ({err}); TRADEPACT_UPSTREAM_SAMPLES, when set, must name a folder laid out like tests/fixtures/upstream",
            path.display()
        )
    })
}

pub fn code(text: &str) -> EconomyCode {
    EconomyCode::parse(text).expect("a valid economy code")
}

/// The built-in dataset as the service loads it on first start.
pub fn builtin() -> Dataset {
    tradepact::seed::builtin()
        .expect("the built-in dataset parses")
        .dataset
}

/// Known single economies (groups left out), as the adapters map partners.
pub fn single_economies(dataset: &Dataset) -> Vec<EconomyCode> {
    dataset
        .economies
        .keys()
        .filter(|code| dataset.members_of(code).is_empty())
        .cloned()
        .collect()
}

/// A deterministic pseudo-random number in [0, 1) from a key.
fn unit(key: u64) -> f64 {
    // SplitMix64 finaliser.
    let mut z = key.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

fn key(parts: &[&str], year: i32) -> u64 {
    let mut hash: u64 = 0xCBF2_9CE4_8422_2325;
    for byte in parts.iter().flat_map(|p| p.bytes().chain([0])) {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01B3);
    }
    hash ^ (year as u64).wrapping_mul(0x9E37_79B9)
}

/// A US dollar amount between 10 thousand and 100 billion, varying a little
/// from year to year; `scale` shifts a whole run (a revision).
fn amount(parts: &[&str], year: i32, scale: f64) -> f64 {
    let level = 4.0 + 7.0 * unit(key(parts, 0));
    let drift = 0.9 + 0.2 * unit(key(parts, year));
    (10f64.powf(level) * drift * scale).round()
}

fn source(key: String, title: String, publisher: &str, redistributable: bool) -> Arc<Source> {
    Arc::new(Source {
        url: format!("https://upstream.invalid/{key}?…"),
        key,
        title,
        publisher: publisher.to_owned(),
        published: None,
        retrieved_at: Some("2026-11-27T05:00:00Z".to_owned()),
        license: "bench fixture".to_owned(),
        redistributable,
    })
}

/// HS codes as Comtrade returns them for one partner: every chapter
/// (`AG2`) and a varying number of headings per chapter (`AG4`).
pub fn hs_codes() -> Vec<String> {
    let chapters: Vec<u32> = (1..=97).filter(|&c| c != 77).collect();
    let mut codes: Vec<String> = chapters.iter().map(|c| format!("{c:02}")).collect();
    for &chapter in &chapters {
        for heading in 1..=(1 + (chapter * 7) % 12) {
            codes.push(format!("{chapter:02}{heading:02}"));
        }
    }
    codes
}

/// What a Comtrade run fetches by default: KOR's trade with every partner
/// (both flows, five years) and its HS breakdown with KHM.
pub fn comtrade_batch(dataset: &Dataset, scale: f64) -> Batch {
    let reporter = code("KOR");
    let detailed = code("KHM");
    let partners: Vec<EconomyCode> = single_economies(dataset)
        .into_iter()
        .filter(|p| *p != reporter)
        .collect();
    let hs = hs_codes();
    let mut batch = Batch::default();
    for year in YEARS {
        let all = source(
            format!("comtrade-kor-{year}-all-partners"),
            format!("UN Comtrade: KOR {year}, all partners"),
            "UN Statistics Division (UN Comtrade)",
            false,
        );
        for partner in &partners {
            for flow in [TradeFlow::Export, TradeFlow::Import] {
                batch.partner_flows.push(PartnerFlow {
                    reporter: reporter.clone(),
                    partner: partner.clone(),
                    year,
                    flow,
                    value_usd: amount(&[partner.as_str(), flow.as_str()], year, scale),
                    source: all.clone(),
                    origin: "comtrade".to_owned(),
                });
            }
        }
        batch.sources.push(all);
        for level in ["AG2", "AG4"] {
            let digits = if level == "AG2" { 2 } else { 4 };
            let by_level = source(
                format!("comtrade-kor-{year}-khm-{}", level.to_ascii_lowercase()),
                format!("UN Comtrade: KOR {year}, KHM {level}"),
                "UN Statistics Division (UN Comtrade)",
                false,
            );
            for hs_code in hs.iter().filter(|c| c.len() == digits) {
                for flow in [TradeFlow::Export, TradeFlow::Import] {
                    batch.product_flows.push(ProductFlow {
                        reporter: reporter.clone(),
                        partner: detailed.clone(),
                        year,
                        flow,
                        hs_code: hs_code.clone(),
                        description: format!("Commodity description of HS {hs_code}"),
                        value_usd: amount(&[hs_code, flow.as_str()], year, scale) / 1e3,
                        source: by_level.clone(),
                        origin: "comtrade".to_owned(),
                    });
                }
            }
            batch.sources.push(by_level);
        }
    }
    batch
}

/// The World Bank indicators a default run fetches.
pub const INDICATORS: [&str; 3] = ["NY.GDP.MKTP.KD.ZG", "NY.GDP.MKTP.CD", "SP.POP.TOTL"];

/// What a World Bank run fetches by default: three indicators for every
/// known economy over 25 years, the newest year not yet published.
pub fn worldbank_batch(dataset: &Dataset) -> Batch {
    let vintage = "2026-10-15";
    let mut batch = Batch::default();
    for indicator in INDICATORS {
        let source = source(
            format!("worldbank-{indicator}-{vintage}"),
            format!("World Bank, World Development Indicators: {indicator}"),
            "World Bank",
            true,
        );
        for economy in single_economies(dataset) {
            let points = (CURRENT_YEAR - 25..CURRENT_YEAR)
                .map(|year| {
                    let value = (year < CURRENT_YEAR - 1)
                        .then(|| amount(&[economy.as_str(), indicator], year, 1.0) / 1e3);
                    (year, value)
                })
                .collect();
            batch.indicator_series.push(IndicatorSeries {
                economy,
                indicator: indicator.to_owned(),
                vintage: vintage.to_owned(),
                sources: vec![source.clone()],
                points,
            });
        }
        batch.indicators.push(Indicator {
            code: indicator.to_owned(),
            name: format!("Indicator {indicator}"),
            unit: String::new(),
        });
        batch.sources.push(source);
    }
    batch
}

/// What the Korea Customs and IMF runs add for KOR–KHM: the Korean side's
/// yearly totals and Cambodia's mirror figures.
pub fn bilateral_batch() -> Batch {
    let (kor, khm) = (code("KOR"), code("KHM"));
    let mut batch = Batch::default();
    for year in YEARS {
        let customs = source(
            format!("customs-khm-{year}"),
            format!("Korea Customs Service trade statistics: Korea–KHM {year}, monthly"),
            "Korea Customs Service",
            true,
        );
        batch.trade.push(TradeFigure {
            reporter: kor.clone(),
            partner: khm.clone(),
            year,
            exports_usd: Some(amount(&["customs", "X"], year, 1.0)),
            imports_usd: Some(amount(&["customs", "M"], year, 1.0)),
            total_usd: None,
            family: "KOR-customs".to_owned(),
            preferred: true,
            note: "Sum of the 12 monthly figures of the Korea Customs Service".to_owned(),
            sources: vec![customs.clone()],
            origin: "customs".to_owned(),
        });
        batch.sources.push(customs);
    }
    let imf = source(
        "imf-imts-khm-kor".to_owned(),
        "IMF International Trade in Goods (IMTS): KHM with KOR".to_owned(),
        "International Monetary Fund",
        true,
    );
    for year in YEARS {
        batch.trade.push(TradeFigure {
            reporter: khm.clone(),
            partner: kor.clone(),
            year,
            exports_usd: Some(amount(&["imf", "X"], year, 1.0)),
            imports_usd: Some(amount(&["imf", "M"], year, 1.0)),
            total_usd: None,
            family: "IMF-IMTS".to_owned(),
            preferred: true,
            note: "Goods exports FOB and imports CIF as reported to the IMF".to_owned(),
            sources: vec![imf.clone()],
            origin: "imf".to_owned(),
        });
    }
    batch.sources.push(imf);
    batch
}

/// Adds a batch's rows to a dataset, as a committed run and reload would
/// (product lines stay in the store; see `refreshed_store`).
pub fn apply(dataset: &mut Dataset, batch: Batch) {
    dataset.partner_flows.extend(batch.partner_flows);
    dataset.trade.extend(batch.trade);
    dataset.indicator_series.extend(batch.indicator_series);
    for indicator in batch.indicators {
        dataset
            .indicators
            .entry(indicator.code.clone())
            .or_insert(indicator);
    }
}

/// The built-in dataset after one default run of every statistics source.
pub fn refreshed() -> Dataset {
    let mut dataset = builtin();
    let batches = [
        comtrade_batch(&dataset, 1.0),
        worldbank_batch(&dataset),
        bilateral_batch(),
    ];
    for batch in batches {
        apply(&mut dataset, batch);
    }
    dataset
}

/// A real store in a temporary directory holding the built-in dataset and
/// one default Comtrade run, swapped in through the refresh path; with the
/// dataset loaded back from it. Product breakdowns are read from here.
pub fn refreshed_store() -> (tempfile::TempDir, tradepact::store::Store, Dataset) {
    use std::sync::Arc;
    use tradepact::domain::Trigger;
    use tradepact::store::{BatchSwap, Store};

    let dir = tempfile::tempdir().expect("temp dir");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (store, dataset) = runtime.block_on(async {
        let store = Store::open(&dir.path().join("bench.db"))
            .await
            .expect("store opens");
        let seed = tradepact::seed::builtin().expect("the built-in dataset parses");
        let batch = comtrade_batch(&seed.dataset, 1.0);
        store.apply_seed(Arc::new(seed)).await.expect("seeds");
        let now = "2026-01-01T00:00:00Z".to_owned();
        let run_id = store
            .start_run("comtrade", Trigger::Manual, now.clone())
            .await
            .expect("run starts");
        store
            .apply_batch(
                BatchSwap {
                    run_id,
                    source: "comtrade".to_owned(),
                    batch: Arc::new(batch),
                    status_changes: Vec::new(),
                    validators: Vec::new(),
                    products: None,
                },
                tokio_util::sync::CancellationToken::new(),
                now,
            )
            .await
            .expect("the Comtrade batch swaps in");
        let dataset = store.load().await.expect("loads");
        (store, dataset)
    });
    (dir, store, dataset)
}
