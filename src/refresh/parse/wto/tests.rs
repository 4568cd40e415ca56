/// Workbooks the `wto_sheet` fuzz target found crashing calamine.
#[test]
fn workbooks_that_crashed_the_reader_are_refused() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wto");
    for name in [
        "fuzz-shared-string-index.xlsx",
        "fuzz-huge-range.xlsx",
        "fuzz-cell-ref-overflow.xlsx",
    ] {
        let body = std::fs::read(dir.join(name)).expect("fixture");
        let result = super::parse(&body);
        assert!(
            matches!(
                result,
                Err(ParseError::Malformed { .. } | ParseError::Schema(_))
            ),
            "{name}: {result:?}"
        );
    }
}

use super::*;

const HEADER: &str = "RTA ID,RTA Name,Coverage,Type,Notification,Status,Date of Signature (G),Date of Signature (S),Date of Notification (G),Date of Notification (S),Date of Entry into Force (G),Date of Entry into Force (S),Inactive Date,Accession?,RTA Composition,Region,Cross-regional,All Parties WTO members?,Current signatories,Original signatories,Specific Entry/Exit dates,WTO Consideration Process (G),Consideration Date (G),WTO Consideration Process (S),Consideration Date (S),End of implementation period (G),End of implementation period (S),Remarks";

/// Rows copied from the recorded Korea-only CSV.
const KOREA_ROWS: &str = r#"1168,"Korea, Republic of - Cambodia",Goods,FTA,GATT Art. XXIV,In Force,2021-10-26,,2023-06-21,,2022-12-01,,,No,Bilateral,East Asia, No,Yes,"Cambodia; Korea, Republic of","Cambodia; Korea, Republic of",,Factual Presentation issued,2024-07-02,,,2041,,
1142,"Korea, Republic of - Indonesia",Goods & Services,FTA & EIA,"GATT Art. XXIV & GATS Art. V",In Force,2020-12-18,2020-12-18,2024-05-10,2024-05-10,2023-01-01,2023-01-01,,No,Bilateral,East Asia, No,Yes,"Indonesia; Korea, Republic of","Indonesia; Korea, Republic of",,,,,,,,
"#;

fn csv_body(rows: &str) -> String {
    format!("{HEADER}\n{rows}")
}

#[test]
fn csv_rows_parse_by_header_name() {
    let rows = parse(csv_body(KOREA_ROWS).as_bytes()).expect("parses");
    assert_eq!(rows.len(), 2);
    let kh = &rows[0];
    assert_eq!(kh.rta_id, 1168);
    assert_eq!(kh.name, "Korea, Republic of - Cambodia");
    assert_eq!(
        (kh.coverage.as_str(), kh.rta_type.as_str()),
        ("Goods", "FTA")
    );
    assert_eq!(kh.status, "In Force");
    assert_eq!(kh.signature_goods, NaiveDate::from_ymd_opt(2021, 10, 26));
    assert_eq!(
        kh.entry_into_force_goods,
        NaiveDate::from_ymd_opt(2022, 12, 1)
    );
    assert_eq!(kh.notification_goods, NaiveDate::from_ymd_opt(2023, 6, 21));
    assert_eq!(
        kh.consideration_date_goods,
        NaiveDate::from_ymd_opt(2024, 7, 2)
    );
    assert_eq!(kh.signature_services, None);
    assert_eq!(kh.current_signatories, ["Cambodia", "Korea, Republic of"]);
    assert_eq!(
        rows[1].entry_into_force_services,
        NaiveDate::from_ymd_opt(2023, 1, 1)
    );
}

#[test]
fn columns_are_found_by_name_in_any_order() {
    let body = "Status,RTA Name,Type,Coverage,RTA ID,Current signatories,Date of Entry into Force (G),Date of Signature (G)\n\
                Early announcement-Signed ,X - Y,FTA,Goods,7,X; Y;,,26-Oct-21\n";
    let rows = parse(body.as_bytes()).expect("parses");
    assert_eq!(rows[0].rta_id, 7);
    assert_eq!(rows[0].status, "Early announcement-Signed");
    assert_eq!(
        rows[0].signature_goods,
        NaiveDate::from_ymd_opt(2021, 10, 26)
    );
    assert_eq!(rows[0].current_signatories, ["X", "Y"]);
    assert!(rows[0].original_signatories.is_empty());
    assert_eq!(rows[0].remarks, "");
}

#[test]
fn a_missing_required_column_is_a_schema_error() {
    let body = csv_body(KOREA_ROWS).replacen("Status", "State", 1);
    assert_eq!(
        parse(body.as_bytes()),
        Err(ParseError::Schema("no column \"Status\"".into()))
    );
    assert!(matches!(parse(b"a,b\n1,2\n"), Err(ParseError::Schema(_))));
}

#[test]
fn bad_cells_name_their_row() {
    for (from, to) in [("1168,", "x1168,"), ("2021-10-26", "26/10/2021")] {
        let body = csv_body(KOREA_ROWS).replacen(from, to, 1);
        assert!(
            matches!(parse(body.as_bytes()), Err(ParseError::Schema(d)) if d.starts_with("row 2")),
            "{to}"
        );
    }
}

#[test]
fn a_truncated_csv_is_malformed() {
    let body = csv_body(KOREA_ROWS);
    let cut = body.find("Indonesia\",").unwrap_or(body.len());
    assert!(matches!(
        parse(&body.as_bytes()[..cut + 11]),
        Err(ParseError::Malformed { format: "CSV", .. })
    ));
    assert!(matches!(
        parse(b"RTA ID,RTA Name\n\xFF\xFE,x\n"),
        Err(ParseError::Malformed { format: "CSV", .. })
    ));
}

#[test]
fn a_bom_and_blank_lines_are_ignored_and_html_is_html() {
    let body = format!(
        "\u{feff}{}\n,,,,,,,,,,,,,,,,,,,,,,,,,,,\n",
        csv_body(KOREA_ROWS)
    );
    assert_eq!(parse(body.as_bytes()).expect("parses").len(), 2);
    assert!(matches!(
        parse(b"<!DOCTYPE html><html><head><title>Runtime Error</title></head></html>"),
        Err(ParseError::Html { title }) if title == "Runtime Error"
    ));
}

/// Builds a small export like the live one: a title row, the header,
/// date cells with the sheet's display format, and one bare serial.
fn xlsx_body(sheet: &str) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut workbook = Workbook::new();
    let worksheet = workbook.add_worksheet();
    worksheet.set_name(sheet)?;
    let date_format = Format::new().set_num_format("dd-mmm-yy");
    worksheet.write_string_only(0, 0, "Regional Trade Agreements")?;
    for (column, name) in (0..).zip(HEADER.split(',')) {
        worksheet.write_string_only(1, column, name)?;
    }
    let date = |y, m, d| {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|date| date.and_hms_opt(0, 0, 0))
            .unwrap_or_default()
    };
    worksheet.write_number_only(2, 0, 1168)?;
    worksheet.write_string_only(2, 1, "Korea, Republic of - Cambodia")?;
    worksheet.write_string_only(2, 2, "Goods")?;
    worksheet.write_string_only(2, 3, "FTA")?;
    worksheet.write_string_only(2, 4, "GATT Art. XXIV")?;
    worksheet.write_string_only(2, 5, "In Force")?;
    worksheet.write_datetime(2, 6, date(2021, 10, 26), &date_format)?;
    worksheet.write_datetime(2, 8, date(2023, 6, 21), &date_format)?;
    // 44896 = 2022-12-01 written as a plain number, as when the
    // export loses a cell's date format.
    worksheet.write_number_only(2, 10, 44896)?;
    worksheet.write_string_only(2, 18, "Cambodia; Korea, Republic of")?;
    worksheet.write_string_only(2, 19, "Cambodia; Korea, Republic of")?;
    worksheet.write_datetime(2, 22, date(2024, 7, 2), &date_format)?;
    worksheet.write_number_only(2, 25, 2041)?;
    worksheet.write_number_only(3, 0, 1142)?;
    worksheet.write_string_only(3, 1, "Korea, Republic of - Indonesia")?;
    worksheet.write_string_only(3, 5, "In Force")?;
    workbook.save_to_buffer()
}

#[test]
fn xlsx_dates_and_serials_become_dates() {
    let body = xlsx_body(SHEET).expect("workbook builds");
    let rows = parse(&body).expect("parses");
    assert_eq!(rows.len(), 2);
    let kh = &rows[0];
    assert_eq!(kh.rta_id, 1168);
    assert_eq!(kh.status, "In Force");
    assert_eq!(kh.signature_goods, NaiveDate::from_ymd_opt(2021, 10, 26));
    assert_eq!(kh.notification_goods, NaiveDate::from_ymd_opt(2023, 6, 21));
    assert_eq!(
        kh.entry_into_force_goods,
        NaiveDate::from_ymd_opt(2022, 12, 1)
    );
    assert_eq!(
        kh.consideration_date_goods,
        NaiveDate::from_ymd_opt(2024, 7, 2)
    );
    assert_eq!(kh.current_signatories, ["Cambodia", "Korea, Republic of"]);
    assert_eq!(rows[1].rta_id, 1142);
    assert_eq!(rows[1].coverage, "");
}

#[test]
fn xlsx_without_the_sheet_is_a_schema_error_and_a_broken_zip_is_malformed() {
    let body = xlsx_body("Sheet1").expect("workbook builds");
    assert!(matches!(parse(&body), Err(ParseError::Schema(d)) if d.contains("AllRTAs")));
    let body = xlsx_body(SHEET).expect("workbook builds");
    assert!(matches!(
        parse(&body[..body.len() / 2]),
        Err(ParseError::Malformed { format: "xlsx", .. })
    ));
    assert!(matches!(
        parse(b"PK\x03\x04garbage"),
        Err(ParseError::Malformed { format: "xlsx", .. })
    ));
}

#[test]
fn serials_map_to_the_1900_date_system() {
    assert_eq!(
        excel_serial_date(44495.0),
        NaiveDate::from_ymd_opt(2021, 10, 26)
    );
    assert_eq!(
        excel_serial_date(44896.75),
        NaiveDate::from_ymd_opt(2022, 12, 1)
    );
    assert_eq!(excel_serial_date(-1.0), None);
    assert_eq!(excel_serial_date(f64::NAN), None);
    assert_eq!(excel_serial_date(1e12), None);
}
