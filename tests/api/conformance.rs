//! Every recorded upstream body (`tests/fixtures/upstream`) and every
//! fixture of ours (the other folders of `tests/fixtures`) parses into the
//! outcome listed here: so many records, an empty answer, or a specific
//! error. Each file must be listed, so a new sample cannot be silently
//! ignored, and each listed file must exist: a missing folder or file fails
//! the test, it never shrinks it.

use std::path::{Path, PathBuf};

use tradepact::refresh::parse::{ParseError, comtrade, customs, imf, worldbank, wto};

use Outcome::{Data, Empty, Html, Malformed, Schema, Upstream};
use Parser::*;

/// Which parser a file is fed to (the one its adapter uses).
#[derive(Debug, Clone, Copy)]
enum Parser {
    WbPage,
    CtData,
    CtReporters,
    ImfSdmxJson,
    /// What the IMF adapter reads a non-2xx body with: always an error.
    ImfError,
    Customs,
    Wto,
}

/// What parsing must give.
#[derive(Debug, Clone, Copy)]
enum Outcome {
    /// `Ok` with this many records/rows/series (> 0).
    Data(usize),
    /// `Ok` with nothing in it.
    Empty,
    /// `ParseError::Upstream` with this code.
    Upstream(&'static str),
    Html,
    Schema,
    Malformed,
}

/// Every recorded sample, by `source/file`.
const SAMPLES: &[(&str, Parser, Outcome)] = &[
    // Comtrade
    // Bulk availability records are not trade records; no adapter reads bulk files.
    (
        "comtrade/bulk_v1_get_C_A_HS__availability.json",
        CtData,
        Schema,
    ),
    ("comtrade/bulk_v1_get_C_A_HS__empty.json", CtData, Empty),
    (
        "comtrade/data_v1_get_C_A_HS__CHN_ARG-DEU_2010_TOTAL.json",
        CtData,
        Data(4),
    ),
    (
        "comtrade/data_v1_get_C_A_HS__CHN_ARG-DEU_2010_TOTAL_pretty.json",
        CtData,
        Data(4),
    ),
    (
        "comtrade/data_v1_get_S_A_EB__empty_result.json",
        CtData,
        Empty,
    ),
    (
        "comtrade/error_401_missing_subscription_key.json",
        CtData,
        Upstream("401"),
    ),
    // No adapter reads the HS, transport-mode or field-dictionary lists:
    // where the reporter list is expected, they are refused.
    ("comtrade/reference_HS_trimmed.json", CtReporters, Schema),
    (
        "comtrade/reference_ModeOfTransportCodes.json",
        CtReporters,
        Schema,
    ),
    ("comtrade/reference_Reporters.json", CtReporters, Data(255)),
    (
        "comtrade/reference_TradeDataItems.json",
        CtReporters,
        Schema,
    ),
    // The capture kept `count: 224` but only 11 records.
    (
        "comtrade/wrapped_public_v1_preview_C_A_HS__IND_X_2022_allpartners_TRIMMED.json",
        CtData,
        Data(11),
    ),
    (
        "comtrade/wrapped_public_v1_preview_C_A_HS__IND_X_2022_partner842.json",
        CtData,
        Data(1),
    ),
    (
        "comtrade/wrapped_public_v1_preview_C_A_HS__IND_X_2022_world.json",
        CtData,
        Data(1),
    ),
    // IMF, new api.imf.org. The adapter asks for SDMX-JSON data: the XML
    // format and the structure messages (code lists, dataflows) are refused.
    (
        "imf/api.imf.org_sdmx2.1_data_IMF.RES_WEO_SVK.NGDP_R.A__structurespecific.xml",
        ImfSdmxJson,
        Schema,
    ),
    (
        "imf/api.imf.org_sdmx3_data_IMF.STA_GFS_SOO_ABW...A_1972-1976__sdmx-json2.json",
        ImfSdmxJson,
        Data(1),
    ),
    (
        "imf/api.imf.org_sdmx3_data_IMF.WHD_WHDREO_GX1213.BCA_GDP_BP6.A__sdmx-json2.json",
        ImfSdmxJson,
        Data(1),
    ),
    (
        "imf/api.imf.org_sdmx3_structure_codelist_IMF_CL_COUNTRY.json",
        ImfSdmxJson,
        Schema,
    ),
    (
        "imf/api.imf.org_sdmx3_structure_dataflow_all__list_includes_IMTS.json",
        ImfSdmxJson,
        Schema,
    ),
    // HTTP 204, empty: no series.
    (
        "imf/api.imf.org_sdmx3_structure_dataflow_not_a_real_database__204.json",
        ImfSdmxJson,
        Empty,
    ),
    // IMF, the retired dataservices: its answers are not SDMX-JSON data.
    (
        "imf/dataservices_CodeList_CL_AREA_BOP.json",
        ImfSdmxJson,
        Schema,
    ),
    (
        "imf/dataservices_CompactData_AFRREO_.7A.TTT_IX+GGX_G01_GDP_PT_from2021.json",
        ImfSdmxJson,
        Schema,
    ),
    (
        "imf/dataservices_CompactData_BOP_2017M06_A.AF._2016-2018__series_without_Obs.json",
        ImfSdmxJson,
        Schema,
    ),
    (
        "imf/dataservices_CompactData_BOP_A.US.BXSTVPO_BP6_USD.json",
        ImfSdmxJson,
        Schema,
    ),
    (
        "imf/dataservices_CompactData_WHDREO201910_A.US.NGDPD+PPPSH_2010-2011__Obs_is_object.json",
        ImfSdmxJson,
        Schema,
    ),
    (
        "imf/dataservices_CompactData_WHDREO201910_A.US.NGDPD+PPPSH_2010-2012.json",
        ImfSdmxJson,
        Schema,
    ),
    (
        "imf/dataservices_CompactData_WHDREO201910_A.US.NGDPD_2011-2012__Series_is_object.json",
        ImfSdmxJson,
        Schema,
    ),
    (
        "imf/dataservices_CompactData_WHDREO201910_M.US.NGDPD+PPPSH_2010-2011__empty_no_Series.json",
        ImfSdmxJson,
        Schema,
    ),
    (
        "imf/dataservices_DataStructure_WHDREO201910.json",
        ImfSdmxJson,
        Schema,
    ),
    (
        "imf/dataservices_Dataflow__list_includes_DOT.json",
        ImfSdmxJson,
        Schema,
    ),
    // Error pages, read as the adapter reads a non-2xx body.
    (
        "imf/dataservices_error_400_CompactData_not_a_real_database.xml",
        ImfError,
        Html,
    ),
    (
        "imf/dataservices_error_404_CompactData_BOP_2017M06_all_dims_too_large.xml",
        ImfError,
        Html,
    ),
    (
        "imf/dataservices_error_500_DataStructure_not_a_real_database.xml",
        ImfError,
        Upstream("500"),
    ),
    // Korea Customs
    (
        "korea-customs/error_api_99_bad_hs_code_length_empty_body.xml",
        Customs,
        Upstream("99"),
    ),
    (
        "korea-customs/error_api_99_period_over_12_months_no_body.xml",
        Customs,
        Upstream("99"),
    ),
    (
        "korea-customs/error_gateway_12_no_openapi_service_http400.xml",
        Customs,
        Upstream("12"),
    ),
    // 3 rows + the 총계 row, which is dropped.
    (
        "korea-customs/itemtrade_getItemtradeList__HS854231xxxx_202601_TRIMMED_with_total_row.xml",
        Customs,
        Data(3),
    ),
    ("korea-customs/nationtrade__empty_items.xml", Customs, Empty),
    (
        "korea-customs/nationtrade_getNationtradeList__US_202601-202603_TRIMMED.xml",
        Customs,
        Data(3),
    ),
    (
        "korea-customs/nitemtrade_getNitemtradeList__CN_HS8542xx_202601_TRIMMED_with_total_row.xml",
        Customs,
        Data(3),
    ),
    // World Bank
    (
        "worldbank/error_120_invalid_country_ids.json",
        WbPage,
        Upstream("120"),
    ),
    // Three identical messages: the code is given once.
    (
        "worldbank/error_120_multi_indicator_one_invalid.json",
        WbPage,
        Upstream("120"),
    ),
    (
        "worldbank/error_150_unsupported_language.json",
        WbPage,
        Upstream("150"),
    ),
    ("worldbank/error_400_invalid_source_html.xml", WbPage, Html),
    (
        "worldbank/v2_countries_JPN-USA_indicators_GDP-POP_source2__date2018-2019_per_page2.json",
        WbPage,
        Data(2),
    ),
    (
        "worldbank/v2_countries_JPN-USA_indicators_NY.GDP.MKTP.CD__date2018-2019_footnote_y.json",
        WbPage,
        Data(2),
    ),
    (
        "worldbank/v2_countries_JPN-USA_indicators_NY.GDP.MKTP.CD__date2018-2019_per_page2.json",
        WbPage,
        Data(2),
    ),
    (
        "worldbank/v2_countries_JPN-USA_indicators_NY.GDP.MKTP.CD__page1of3.json",
        WbPage,
        Data(50),
    ),
    // No adapter reads the country list: its rows are not indicator values.
    (
        "worldbank/v2_countries_JPN__country_metadata.json",
        WbPage,
        Schema,
    ),
    (
        "worldbank/v2_countries__region_EAS_per_page2.json",
        WbPage,
        Schema,
    ),
    (
        "worldbank/v2_countries_all_indicators_NY.GDP.MKTP.CD__mrv1_per_page2.json",
        WbPage,
        Data(2),
    ),
    (
        "worldbank/v2_countries_all_indicators_NY.GDP.MKTP.CD__page1of323.json",
        WbPage,
        Data(50),
    ),
    // No adapter reads income levels or indicator metadata: their rows are
    // not indicator values. (String paging is covered by a unit test.)
    (
        "worldbank/v2_incomeLevels__per_page2_string_paging.json",
        WbPage,
        Schema,
    ),
    (
        "worldbank/v2_indicators_1.0.hcount.1.90usd__indicator_metadata.json",
        WbPage,
        Schema,
    ),
    // WTO
    (
        "wto/rtais_ExportAllRTAList__AllRTAs_sheet__2026-02-01.csv",
        Wto,
        Data(655),
    ),
    (
        "wto/rtais_ExportAllRTAList__AllRTAs_sheet__Korea_rows_only.csv",
        Wto,
        Data(26),
    ),
];

/// Our own Korea↔Cambodia fixtures, by `source/file` (READMEs skipped).
const FIXTURES: &[(&str, Parser, Outcome)] = &[
    ("comtrade/KOR_KHM_X_2022_HS2.json", CtData, Data(8)),
    ("comtrade/KOR_M_2022_allpartners.json", CtData, Data(13)),
    ("comtrade/KOR_X_2022_allpartners.json", CtData, Data(14)),
    ("comtrade/error_403_quota.json", CtData, Upstream("403")),
    (
        "comtrade/error_429_rate_limit.json",
        CtData,
        Upstream("429"),
    ),
    (
        "imf/IMTS_KHM_XG_FOB_USD+MG_CIF_USD_KOR_A_2019-2023.json",
        ImfSdmxJson,
        Data(2),
    ),
    (
        "imf/IMTS_KOR_XG_FOB_USD+MG_CIF_USD_all-partners_A_2019-2023.json",
        ImfSdmxJson,
        Data(18),
    ),
    (
        "imf/IMTS_all-reporters_XG_FOB_USD+MG_CIF_USD_KOR_A_2019-2023.json",
        ImfSdmxJson,
        Data(12),
    ),
    (
        "imf/IMTS_all_XG_FOB_USD+MG_CIF_USD_all_A_2022.json",
        ImfSdmxJson,
        Data(36),
    ),
    (
        "imf/IMTS_all_XG_FOB_USD+MG_CIF_USD_all_A__no_series.json",
        ImfSdmxJson,
        Empty,
    ),
    (
        "korea-customs/nationtrade_KH_202301-202312.xml",
        Customs,
        Data(12),
    ),
    (
        "korea-customs/nationtrade_KH_202401-202412_revised.xml",
        Customs,
        Data(12),
    ),
    (
        "worldbank/KHM_KOR_NY.GDP.MKTP.KD.ZG_2023_null_latest.json",
        WbPage,
        Data(4),
    ),
    // Workbooks that crashed calamine under the wto_sheet fuzz target.
    ("wto/fuzz-cell-ref-overflow.xlsx", Wto, Malformed),
    ("wto/fuzz-huge-range.xlsx", Wto, Schema),
    ("wto/fuzz-shared-string-index.xlsx", Wto, Malformed),
    (
        "worldbank/KHM_NY.GDP.MKTP.KD.ZG_2011-2023_page1of2.json",
        WbPage,
        Data(10),
    ),
    (
        "worldbank/KHM_NY.GDP.MKTP.KD.ZG_2011-2023_page2of2.json",
        WbPage,
        Data(3),
    ),
];

/// The recorded upstream responses, one folder per source; where each comes
/// from is in its `PROVENANCE.md`.
fn samples_dir() -> PathBuf {
    fixtures_dir().join("upstream")
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()))
}

/// How many items the parser found, or its error.
fn run(parser: Parser, body: &[u8]) -> Result<usize, ParseError> {
    Ok(match parser {
        WbPage => worldbank::parse_page(body)?.rows.len(),
        CtData => comtrade::parse_data(body)?.records.len(),
        CtReporters => comtrade::parse_reporters(body)?.len(),
        ImfSdmxJson => imf::parse_sdmx_json(body)?.len(),
        ImfError => return Err(imf::parse_error(body)),
        Customs => customs::parse(body)?.len(),
        Wto => wto::parse(body)?.len(),
    })
}

fn matches(expected: Outcome, actual: &Result<usize, ParseError>) -> bool {
    match (expected, actual) {
        (Data(n), Ok(count)) => n > 0 && *count == n,
        (Empty, Ok(count)) => *count == 0,
        (Upstream(code), Err(ParseError::Upstream { code: got, .. })) => got == code,
        (Html, Err(ParseError::Html { .. }))
        | (Schema, Err(ParseError::Schema(_)))
        | (Malformed, Err(ParseError::Malformed { .. })) => true,
        _ => false,
    }
}

/// `source/file` for every file one level under each source folder of `root`,
/// leaving out folders and files named in `skip`.
fn files_on_disk(root: &Path, skip: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    let sources = std::fs::read_dir(root).unwrap_or_else(|err| panic!("{}: {err}", root.display()));
    for source in sources {
        let source = source.expect("dir entry").path();
        let folder = source
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !source.is_dir() || skip.contains(&folder) {
            continue;
        }
        let files =
            std::fs::read_dir(&source).unwrap_or_else(|err| panic!("{}: {err}", source.display()));
        for file in files {
            let file = file.expect("dir entry").path();
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            if file.is_file() && !skip.contains(&name.as_str()) {
                found.push(format!("{folder}/{name}"));
            }
        }
    }
    found.sort();
    found
}

/// Checks the table against the folder and every file against its outcome.
fn check(root: &Path, table: &[(&str, Parser, Outcome)], skip: &[&str]) {
    assert!(
        root.is_dir(),
        "{} is missing: the conformance test needs it",
        root.display()
    );
    let on_disk = files_on_disk(root, skip);
    let unlisted: Vec<&String> = on_disk
        .iter()
        .filter(|file| !table.iter().any(|(listed, _, _)| listed == file))
        .collect();
    let absent: Vec<&str> = table
        .iter()
        .map(|(listed, _, _)| *listed)
        .filter(|listed| !on_disk.iter().any(|file| file == listed))
        .collect();
    let wrong: Vec<String> = table
        .iter()
        .filter(|(file, _, _)| on_disk.iter().any(|f| f == file))
        .filter_map(|(file, parser, expected)| {
            let actual = run(*parser, &read(&root.join(file)));
            (!matches(*expected, &actual))
                .then(|| format!("{file}: expected {expected:?}, got {actual:?}"))
        })
        .collect();
    assert!(unlisted.is_empty(), "files not in the table: {unlisted:#?}");
    assert!(absent.is_empty(), "listed but missing: {absent:#?}");
    assert_eq!(
        on_disk.len(),
        table.len(),
        "{}: as many files as the table lists (no file listed twice)",
        root.display()
    );
    assert!(
        wrong.is_empty(),
        "unexpected outcomes:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_recorded_sample_parses_as_listed() {
    check(&samples_dir(), SAMPLES, &[]);
}

#[test]
fn every_fixture_parses_as_listed() {
    // The recorded samples have their own table and test.
    check(&fixtures_dir(), FIXTURES, &["README.md", "upstream"]);
}

#[test]
fn every_recorded_sample_has_its_provenance() {
    let provenance = String::from_utf8(read(&samples_dir().join("PROVENANCE.md")))
        .expect("PROVENANCE.md is UTF-8");
    let named: Vec<&str> = provenance
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`'))
        .map(|(file, _)| file)
        .collect();
    let undocumented: Vec<&str> = SAMPLES
        .iter()
        .map(|(file, _, _)| *file)
        .filter(|file| {
            let name = file.rsplit('/').next().unwrap_or_default();
            !named.contains(&name)
        })
        .collect();
    assert!(
        undocumented.is_empty(),
        "no row in PROVENANCE.md: {undocumented:#?}"
    );
    assert_eq!(named.len(), SAMPLES.len(), "one row per recorded sample");
}

#[test]
fn truncated_samples_are_malformed() {
    // CSV is left out: a cut at a line end is a shorter, valid CSV.
    let json_or_xml = SAMPLES
        .iter()
        .filter(|(file, _, expected)| matches!(expected, Data(_)) && !file.ends_with(".csv"));
    for (file, parser, _) in json_or_xml {
        let body = read(&samples_dir().join(file));
        let actual = run(*parser, &body[..body.len() / 2]);
        assert!(matches(Malformed, &actual), "{file}: {actual:?}");
    }
}

#[test]
fn no_sample_cut_anywhere_panics() {
    for (file, parser, _) in SAMPLES.iter().chain(FIXTURES) {
        let root = if FIXTURES.iter().any(|(f, _, _)| f == file) {
            fixtures_dir()
        } else {
            samples_dir()
        };
        let body = read(&root.join(file));
        let step = (body.len() / 40).max(1);
        for cut in (0..body.len()).step_by(step) {
            let _ = run(*parser, &body[..cut]);
        }
    }
}

#[test]
fn recorded_samples_keep_their_traps() {
    let sample = |file: &str| read(&samples_dir().join(file));

    let wrapped = comtrade::parse_data(&sample(
        "comtrade/wrapped_public_v1_preview_C_A_HS__IND_X_2022_allpartners_TRIMMED.json",
    ))
    .expect("parses");
    assert_eq!(wrapped.count, 224);
    assert_eq!(wrapped.records[0].partner_code, 0);

    // Retired codes share ISO3 with current ones (USA: 841 and 842).
    let reporters =
        comtrade::parse_reporters(&sample("comtrade/reference_Reporters.json")).expect("parses");
    let usa: Vec<u32> = reporters
        .iter()
        .filter(|r| r.iso3 == "USA" && !r.is_group)
        .map(|r| r.code)
        .collect();
    assert_eq!(usa, [842, 841]);
    let current: Vec<u32> = reporters
        .iter()
        .filter(|r| r.iso3 == "USA" && r.is_current())
        .map(|r| r.code)
        .collect();
    assert_eq!(current, [842]);

    let page = worldbank::parse_page(&sample(
        "worldbank/v2_countries_JPN-USA_indicators_NY.GDP.MKTP.CD__page1of3.json",
    ))
    .expect("parses");
    assert_eq!((page.pages, page.total), (3, 122));
    assert_eq!(page.rows[0].value, None, "the newest year is null");

    let rtas = wto::parse(&sample(
        "wto/rtais_ExportAllRTAList__AllRTAs_sheet__Korea_rows_only.csv",
    ))
    .expect("parses");
    let kh = rtas
        .iter()
        .find(|rta| rta.rta_id == 1168)
        .expect("Korea–Cambodia");
    assert_eq!(kh.status, "In Force");
    assert_eq!(
        kh.entry_into_force_goods,
        chrono::NaiveDate::from_ymd_opt(2022, 12, 1)
    );
}

#[test]
fn fixtures_carry_the_korea_cambodia_figures() {
    let fixture = |file: &str| read(&fixtures_dir().join(file));

    let page = worldbank::parse_page(&fixture(
        "worldbank/KHM_NY.GDP.MKTP.KD.ZG_2011-2023_page1of2.json",
    ))
    .expect("parses");
    assert_eq!(
        (page.page, page.pages, page.per_page, page.total),
        (1, 2, 10, 13)
    );
    assert_eq!(page.last_updated.as_deref(), Some("2024-06-28"));
    assert_eq!(
        (page.rows[0].year, page.rows[0].value),
        (Some(2023), Some(5.4))
    );

    let exports =
        comtrade::parse_data(&fixture("comtrade/KOR_X_2022_allpartners.json")).expect("parses");
    let khm = exports
        .records
        .iter()
        .find(|r| r.partner_code == 116)
        .expect("Cambodia row");
    assert_eq!((khm.reporter_code, khm.flow_code.as_str()), (410, "X"));

    let series = imf::parse_sdmx_json(&fixture(
        "imf/IMTS_KHM_XG_FOB_USD+MG_CIF_USD_KOR_A_2019-2023.json",
    ))
    .expect("parses");
    let latest: Vec<(&str, Option<f64>, i32)> = series
        .iter()
        .map(|s| {
            let last = s.observations.last().expect("observations");
            (
                s.dimensions.get("INDICATOR").map_or("", String::as_str),
                last.value,
                s.scale(),
            )
        })
        .collect();
    assert_eq!(
        latest,
        [
            ("XG_FOB_USD", Some(281.14), 6),
            ("MG_CIF_USD", Some(470.25), 6)
        ]
    );

    let rows =
        customs::parse(&fixture("korea-customs/nationtrade_KH_202301-202312.xml")).expect("parses");
    let exported: f64 = rows.iter().map(|row| row.exp_usd).sum();
    let imported: f64 = rows.iter().map(|row| row.imp_usd).sum();
    assert_eq!((exported, imported), (540_000_000.0, 300_000_000.0));
}
