//! `parse/*`: the upstream parsers (src/refresh/parse) over the recorded
//! responses in `tests/fixtures/upstream` (or `$TRADEPACT_UPSTREAM_SAMPLES`),
//! read at bench time. Each reports its throughput in bytes of response body.

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use tradepact::refresh::parse::{customs, imf, worldbank, wto};

#[path = "../common/mod.rs"]
mod common;
mod comtrade;

use common::sample;

/// `country/all/indicator/NY.GDP.MKTP.CD`, page 1 of 323 (50 rows, 10.6 KB):
/// the request the World Bank adapter makes.
const WORLDBANK: &str = "worldbank/v2_countries_all_indicators_NY.GDP.MKTP.CD__page1of323.json";

/// An api.imf.org SDMX-JSON 2.0 data message (4.9 KB): the IMF adapter's format.
const IMF: &str = "imf/api.imf.org_sdmx3_data_IMF.WHD_WHDREO_GX1213.BCA_GDP_BP6.A__sdmx-json2.json";

/// `nationtrade/getNationtradeList`, three months of one country: the
/// Korea Customs adapter's request.
const CUSTOMS: &str = "korea-customs/nationtrade_getNationtradeList__US_202601-202603_TRIMMED.xml";

/// The whole RTA-IS export (917 lines, 286 KB) as the recorded CSV.
const WTO: &str = "wto/rtais_ExportAllRTAList__AllRTAs_sheet__2026-02-01.csv";

fn bench_bytes<T>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    body: &[u8],
    parse: impl Fn(&[u8]) -> T,
) {
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function(name, |b| b.iter(|| parse(black_box(body))));
}

fn parsers(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");

    let body = sample(WORLDBANK);
    let page = worldbank::parse_page(&body).expect("the World Bank sample parses");
    assert_eq!(page.rows.len(), 50);
    bench_bytes(&mut group, "worldbank_json", &body, |body| {
        worldbank::parse_page(body).expect("parses")
    });

    comtrade::benches(&mut group);

    let body = sample(IMF);
    assert!(!imf::parse_sdmx_json(&body).expect("parses").is_empty());
    bench_bytes(&mut group, "imf_sdmx_json", &body, |body| {
        imf::parse_sdmx_json(body).expect("parses")
    });

    let body = sample(CUSTOMS);
    assert!(!customs::parse(&body).expect("parses").is_empty());
    bench_bytes(&mut group, "customs_xml", &body, |body| {
        customs::parse(body).expect("parses")
    });

    let csv = sample(WTO);
    let rows = wto::parse(&csv).expect("the WTO sample parses").len();
    assert!(rows > 500, "{rows} rows");
    bench_bytes(&mut group, "wto_csv", &csv, |body| {
        wto::parse(body).expect("parses")
    });

    let xlsx = xlsx_from_csv(&csv);
    assert_eq!(wto::parse(&xlsx).expect("the workbook parses").len(), rows);
    bench_bytes(&mut group, "wto_xlsx", &xlsx, |body| {
        wto::parse(body).expect("parses")
    });

    group.finish();
}

/// The live export is an xlsx workbook; the recorded sample is its sheet as
/// CSV. This writes the CSV back as the export lays it out: sheet
/// `AllRTAs`, a title row, the header, the RTA ID as a number and ISO dates
/// as date cells.
fn xlsx_from_csv(csv: &[u8]) -> Vec<u8> {
    use rust_xlsxwriter::{Format, Workbook};

    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("AllRTAs").expect("a valid sheet name");
    let date_format = Format::new().set_num_format("dd-mmm-yy");
    sheet
        .write_string_only(0, 0, "Regional Trade Agreements")
        .expect("writes");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv);
    for (row, record) in (1u32..).zip(reader.records()) {
        let record = record.expect("the sample is valid CSV");
        for (column, field) in (0u16..).zip(record.iter()) {
            if field.is_empty() {
                continue;
            }
            let date = NaiveDate::parse_from_str(field, "%Y-%m-%d").ok();
            let written = match (row, column, date) {
                (2.., 0, _) => {
                    sheet.write_number_only(row, column, field.parse::<f64>().expect("an RTA ID"))
                }
                (2.., _, Some(date)) => sheet.write_datetime(
                    row,
                    column,
                    date.and_time(Default::default()),
                    &date_format,
                ),
                _ => sheet.write_string_only(row, column, field),
            };
            written.expect("writes");
        }
    }
    workbook.save_to_buffer().expect("the workbook builds")
}

criterion_group!(benches, parsers);
criterion_main!(benches);
