//! Mock upstreams for the refresh tests: one local wiremock server stands in
//! for all five sources (each under its own path prefix), answering with the
//! recorded samples in `tests/fixtures/upstream` and our Korea↔Cambodia
//! fixtures in `tests/fixtures`, read in place (never copied).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::Datelike;
use tradepact::config::{Secret, Settings};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The Korea Customs service key the tests configure.
pub const CUSTOMS_KEY: &str = "test-customs-key";

/// Paths the adapters call, below this server's per-source prefixes.
pub const WORLDBANK_GDP_GROWTH: &str = "/worldbank/country/all/indicator/NY.GDP.MKTP.KD.ZG";
pub const COMTRADE_REPORTERS: &str = "/comtrade/files/v1/app/reference/Reporters.json";
pub const COMTRADE_PREVIEW: &str = "/comtrade/public/v1/preview/C/A/HS";
/// The IMF's mirror query for Korea (every economy's figures on Korea),
/// which the Cambodia fixture answers.
pub const IMF_KHM_KOR: &str = "/imf/data/dataflow/IMF.STA/IMTS/+/*.XG_FOB_USD+MG_CIF_USD.KOR.A";
/// The IMF's query for Korea's own figures with every partner.
pub const IMF_KOR_OWN: &str = "/imf/data/dataflow/IMF.STA/IMTS/+/KOR.XG_FOB_USD+MG_CIF_USD.*.A";
pub const CUSTOMS_NATIONTRADE: &str = "/customs/nationtrade/getNationtradeList";
pub const WTO_EXPORT: &str = "/wto/ExportAllRTAList.aspx";

/// A recorded upstream response from `tests/fixtures/upstream`.
pub fn sample(relative: &str) -> Vec<u8> {
    read(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/upstream")
            .join(relative),
    )
}

/// One of our own fixtures from `tests/fixtures`.
pub fn fixture(relative: &str) -> Vec<u8> {
    read(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(relative),
    )
}

fn read(path: &PathBuf) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// `refresh.years` such that the adapters' complete years reach back to
/// `year` (the adapters count back from the current year).
pub fn years_back_to(year: i32) -> u16 {
    let back = chrono::Utc::now().year() - year;
    u16::try_from(back).expect("a year in the past")
}

/// A 200 answer with `body` and a content type.
pub fn ok(body: Vec<u8>, content_type: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body, content_type)
}

pub fn json(body: Vec<u8>) -> ResponseTemplate {
    ok(body, "application/json")
}

pub fn xml(body: Vec<u8>) -> ResponseTemplate {
    ok(body, "application/xml")
}

/// Answers with one of several versions; the test picks which.
#[derive(Clone)]
pub struct Switch {
    versions: Arc<Vec<ResponseTemplate>>,
    current: Arc<AtomicUsize>,
}

impl Switch {
    pub fn new(versions: Vec<ResponseTemplate>) -> Self {
        Self {
            versions: Arc::new(versions),
            current: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Serves version `index` from now on.
    pub fn serve(&self, index: usize) {
        assert!(index < self.versions.len(), "no version {index}");
        self.current.store(index, Ordering::SeqCst);
    }
}

impl Respond for Switch {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        self.versions[self.current.load(Ordering::SeqCst)].clone()
    }
}

/// The mock server playing every upstream.
pub struct Upstream {
    pub server: MockServer,
}

impl Upstream {
    pub async fn start() -> Self {
        Self {
            server: MockServer::start().await,
        }
    }

    /// Points every source at this server: worldbank, comtrade, imf and
    /// customs at `/{name}`, wto at [`WTO_EXPORT`]. The customs key stays
    /// unset (the source is skipped) unless the test sets one.
    pub fn point(&self, settings: &mut Settings) {
        let base = self.server.uri();
        let refresh = &mut settings.refresh;
        refresh.worldbank_url = format!("{base}/worldbank");
        refresh.comtrade_url = format!("{base}/comtrade");
        refresh.imf_url = format!("{base}/imf");
        refresh.customs_url = format!("{base}/customs");
        refresh.wto_url = format!("{base}{WTO_EXPORT}");
    }

    /// Requests received so far whose path starts with `prefix`.
    pub async fn requests_to(&self, prefix: &str) -> usize {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|r| r.url.path().starts_with(prefix))
            .count()
    }

    /// Waits (at most `limit`) until `count` requests under `prefix` arrived.
    pub async fn wait_for_requests(&self, prefix: &str, count: usize, limit: Duration) {
        let started = Instant::now();
        while self.requests_to(prefix).await < count {
            assert!(
                started.elapsed() < limit,
                "{count} request(s) to {prefix} did not arrive within {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// World Bank: the two fixture pages of Cambodia's GDP growth.
    pub async fn mount_worldbank(&self) {
        self.mount_worldbank_pages(
            fixture("worldbank/KHM_NY.GDP.MKTP.KD.ZG_2011-2023_page1of2.json"),
            fixture("worldbank/KHM_NY.GDP.MKTP.KD.ZG_2011-2023_page2of2.json"),
        )
        .await;
    }

    pub async fn mount_worldbank_pages(&self, page1: Vec<u8>, page2: Vec<u8>) {
        for (page, body) in [("1", page1), ("2", page2)] {
            Mock::given(method("GET"))
                .and(path(WORLDBANK_GDP_GROWTH))
                .and(query_param("format", "json"))
                .and(query_param("page", page))
                .respond_with(json(body))
                .mount(&self.server)
                .await;
        }
    }

    /// Comtrade: the reference list of reporters (recorded sample).
    pub async fn mount_comtrade_reporters(&self) {
        Mock::given(method("GET"))
            .and(path(COMTRADE_REPORTERS))
            .respond_with(json(sample("comtrade/reference_Reporters.json")))
            .mount(&self.server)
            .await;
    }

    /// Comtrade (keyless preview): Korea's 2022 totals with every partner
    /// and its HS2 exports to Cambodia from the fixtures; every other year
    /// and level an empty (but valid) answer.
    pub async fn mount_comtrade(&self) {
        self.mount_comtrade_with(comtrade_totals_2022(), comtrade_hs2_2022())
            .await;
    }

    pub async fn mount_comtrade_with(&self, totals: Vec<u8>, hs2: Vec<u8>) {
        self.mount_comtrade_reporters().await;
        self.mount_comtrade_totals(2022, json(totals)).await;
        Mock::given(method("GET"))
            .and(path(COMTRADE_PREVIEW))
            .and(query_param("reportercode", "410"))
            .and(query_param("period", "2022"))
            .and(query_param("cmdCode", "AG2"))
            .and(query_param("partnerCode", "116"))
            .respond_with(json(hs2))
            .mount(&self.server)
            .await;
        self.mount_comtrade_empty().await;
    }

    /// Comtrade: the all-partner totals of `year` answered by `responder`.
    pub async fn mount_comtrade_totals(&self, year: i32, responder: impl Respond + 'static) {
        Mock::given(method("GET"))
            .and(path(COMTRADE_PREVIEW))
            .and(query_param("reportercode", "410"))
            .and(query_param("period", year.to_string()))
            .and(query_param("cmdCode", "TOTAL"))
            .respond_with(responder)
            .mount(&self.server)
            .await;
    }

    /// Comtrade: an empty answer to anything no other mock answers.
    pub async fn mount_comtrade_empty(&self) {
        Mock::given(method("GET"))
            .and(path(COMTRADE_PREVIEW))
            .respond_with(json(comtrade_empty()))
            .with_priority(10)
            .mount(&self.server)
            .await;
    }

    /// IMF: Cambodia's IMTS figures with Korea, answered by `responder` to
    /// the mirror query for Korea; Korea's own query gets an answer without
    /// series.
    pub async fn mount_imf(&self, responder: impl Respond + 'static) {
        Mock::given(method("GET"))
            .and(path(IMF_KHM_KOR))
            .respond_with(responder)
            .mount(&self.server)
            .await;
        Mock::given(method("GET"))
            .and(path(IMF_KOR_OWN))
            .respond_with(json(imf_no_series()))
            .mount(&self.server)
            .await;
    }

    /// Korea Customs: `responder` for the year `year` with Cambodia (with
    /// [`CUSTOMS_KEY`]).
    pub async fn mount_customs_year(&self, year: i32, responder: impl Respond + 'static) {
        Mock::given(method("GET"))
            .and(path(CUSTOMS_NATIONTRADE))
            .and(query_param("serviceKey", CUSTOMS_KEY))
            .and(query_param("strtYymm", format!("{year}01")))
            .and(query_param("endYymm", format!("{year}12")))
            .and(query_param("cntyCd", "KH"))
            .respond_with(responder)
            .mount(&self.server)
            .await;
    }

    /// Korea Customs: the recorded empty answer to every other year.
    pub async fn mount_customs_empty(&self) {
        Mock::given(method("GET"))
            .and(path(CUSTOMS_NATIONTRADE))
            .respond_with(xml(sample("korea-customs/nationtrade__empty_items.xml")))
            .with_priority(10)
            .mount(&self.server)
            .await;
    }

    /// WTO: the RTA-IS export as the .xlsx the live endpoint returns.
    pub async fn mount_wto(&self) {
        self.mount_wto_export(wto_xlsx()).await;
    }

    /// Serves `workbook` as the WTO export.
    pub async fn mount_wto_export(&self, workbook: Vec<u8>) {
        Mock::given(method("GET"))
            .and(path(WTO_EXPORT))
            .respond_with(ok(
                workbook,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ))
            .mount(&self.server)
            .await;
    }
}

/// Sets the customs key, so that source runs.
pub fn with_customs_key(settings: &mut Settings) {
    settings.refresh.customs_key = Some(Secret::new(CUSTOMS_KEY));
}

/// Korea's 2022 exports and imports with every partner in one answer, as
/// the adapter asks for them (`flowCode=X,M`): the two fixture files'
/// records in one envelope.
pub fn comtrade_totals_2022() -> Vec<u8> {
    let exports = json_value(&fixture("comtrade/KOR_X_2022_allpartners.json"));
    let imports = json_value(&fixture("comtrade/KOR_M_2022_allpartners.json"));
    let mut records = records_of(&exports);
    records.extend(records_of(&imports));
    comtrade_envelope(records)
}

/// Korea's 2022 exports to Cambodia by HS chapter (fixture).
pub fn comtrade_hs2_2022() -> Vec<u8> {
    fixture("comtrade/KOR_KHM_X_2022_HS2.json")
}

/// The recorded empty Comtrade answer (`count` 0).
pub fn comtrade_empty() -> Vec<u8> {
    sample("comtrade/data_v1_get_S_A_EB__empty_result.json")
}

/// A Comtrade envelope around `records`.
pub fn comtrade_envelope(records: Vec<serde_json::Value>) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "elapsedTime": "0.1 secs",
        "count": records.len(),
        "data": records,
        "error": "",
    }))
    .expect("serialises")
}

/// The `data` records of a Comtrade answer.
pub fn records_of(answer: &serde_json::Value) -> Vec<serde_json::Value> {
    answer["data"].as_array().cloned().unwrap_or_default()
}

pub fn json_value(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).expect("valid JSON")
}

/// The IMF fixture: Cambodia's trade with Korea, 2019–2023.
pub fn imf_fixture() -> Vec<u8> {
    fixture("imf/IMTS_KHM_XG_FOB_USD+MG_CIF_USD_KOR_A_2019-2023.json")
}

/// An IMF data message without series (nothing published for the query).
pub fn imf_no_series() -> Vec<u8> {
    fixture("imf/IMTS_all_XG_FOB_USD+MG_CIF_USD_all_A__no_series.json")
}

/// Korea Customs, Korea–Cambodia 2023 (12 months).
pub fn customs_2023() -> Vec<u8> {
    fixture("korea-customs/nationtrade_KH_202301-202312.xml")
}

/// The revised Korea Customs fixture (published for 2024) with its months
/// relabelled as `year`'s, to stand for a revision of that year.
pub fn customs_revised_as(year: i32) -> Vec<u8> {
    relabel_customs(
        &fixture("korea-customs/nationtrade_KH_202401-202412_revised.xml"),
        2024,
        year,
    )
}

/// A Korea Customs answer with its `<year>YYYY.MM</year>` months moved from
/// `from` to `to`.
pub fn relabel_customs(body: &[u8], from: i32, to: i32) -> Vec<u8> {
    String::from_utf8(body.to_vec())
        .expect("UTF-8 XML")
        .replace(&format!("<year>{from}."), &format!("<year>{to}."))
        .into_bytes()
}

/// The WTO RTA-IS export as an .xlsx workbook, built from the recorded
/// Korea rows (sheet `AllRTAs`, the same header row). Like the live export,
/// dates are Excel date cells (`dd-mmm-yy`) and the RTA ID is a number.
pub fn wto_xlsx() -> Vec<u8> {
    wto_xlsx_of(&wto_records())
}

/// The recorded Korea rows of the WTO export, header first, as text.
pub fn wto_records() -> Vec<Vec<String>> {
    let csv = sample("wto/rtais_ExportAllRTAList__AllRTAs_sheet__Korea_rows_only.csv");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&csv))
        .records()
        .map(|record| {
            record
                .expect("a CSV record")
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

/// An export workbook of `records` (header first), typed as the live
/// export types its cells.
pub fn wto_xlsx_of(records: &[Vec<String>]) -> Vec<u8> {
    use rust_xlsxwriter::{Format, Workbook};

    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("AllRTAs").expect("sheet name");
    let plain = Format::new();
    let date = Format::new().set_num_format("dd-mmm-yy");
    let header = records.first().cloned().unwrap_or_default();
    for (row, record) in records.iter().enumerate() {
        let row = u32::try_from(row).expect("few rows");
        for (column, text) in record.iter().enumerate() {
            let name = header.get(column).map(String::as_str).unwrap_or_default();
            let column = u16::try_from(column).expect("few columns");
            let is_date = name.starts_with("Date of")
                || name.ends_with("Date")
                || name.starts_with("Consideration Date");
            if text.is_empty() {
                continue;
            } else if row > 0 && is_date {
                let day = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .unwrap_or_else(|e| panic!("{name} {text:?}: {e}"));
                sheet
                    .write_date(row, column, day, &date)
                    .expect("date cell");
            } else if row > 0 && name == "RTA ID" {
                let id: f64 = text.parse().expect("numeric RTA ID");
                sheet
                    .write_number(row, column, id, &plain)
                    .expect("number cell");
            } else {
                sheet
                    .write_string(row, column, text, &plain)
                    .expect("text cell");
            }
        }
    }
    workbook.save_to_buffer().expect("xlsx in memory")
}
