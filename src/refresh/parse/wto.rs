//! WTO Regional Trade Agreements database (RTA-IS) bulk export
//! (`rtais.wto.org/UI/ExportAllRTAList.aspx`): one row per agreement.
//!
//! The live endpoint returns an .xlsx workbook whose sheet `AllRTAs` holds
//! the list (dates are Excel date cells or bare serials); the recorded
//! sample is that sheet converted to CSV with ISO dates. Both are accepted:
//! a body starting with the zip magic is read as xlsx, anything else as CSV.
//! Columns are found by header name, never by position, and strings are
//! trimmed because the export carries stray spaces ("Early
//! announcement-Signed ", " No").

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::{Days, NaiveDate};

use super::{ParseError, html_error, looks_like_html, malformed, strip_bom};

/// The sheet of the export that lists the agreements.
const SHEET: &str = "AllRTAs";

/// The header of the identifier column, used to find the header row.
const ID_HEADER: &str = "RTA ID";

/// How many leading rows may precede the header row (titles, notes).
const MAX_HEADER_ROW: usize = 10;

/// One agreement as RTA-IS lists it; (G) = goods, (S) = services.
#[derive(Debug, Clone, PartialEq)]
pub struct RtaRow {
    /// RTA-IS identifier (Korea–Cambodia = 1168).
    pub rta_id: u32,
    /// "Korea, Republic of - Cambodia".
    pub name: String,
    /// "Goods", "Goods & Services", "Services" or "".
    pub coverage: String,
    /// "FTA", "FTA & EIA", "CU", "PSA", … or "".
    pub rta_type: String,
    /// Legal basis notified: "GATT Art. XXIV", "Enabling Clause", … or "".
    pub notification: String,
    /// "In Force", "Inactive", "Early announcement-Signed", … (trimmed).
    pub status: String,
    /// Date of signature (goods).
    pub signature_goods: Option<NaiveDate>,
    /// Date of signature (services).
    pub signature_services: Option<NaiveDate>,
    /// Date of notification to the WTO (goods).
    pub notification_goods: Option<NaiveDate>,
    /// Date of notification to the WTO (services).
    pub notification_services: Option<NaiveDate>,
    /// Date of entry into force (goods).
    pub entry_into_force_goods: Option<NaiveDate>,
    /// Date of entry into force (services).
    pub entry_into_force_services: Option<NaiveDate>,
    /// Date the agreement became inactive.
    pub inactive_date: Option<NaiveDate>,
    /// Current parties, e.g. ["Cambodia", "Korea, Republic of"].
    pub current_signatories: Vec<String>,
    /// Original parties.
    pub original_signatories: Vec<String>,
    /// Date of the WTO consideration step (goods), e.g. factual presentation.
    pub consideration_date_goods: Option<NaiveDate>,
    /// Free-text remarks ("" when none).
    pub remarks: String,
}

/// Parses the export: xlsx (zip magic) or CSV with a header row.
pub fn parse(body: &[u8]) -> Result<Vec<RtaRow>, ParseError> {
    let table = if body.starts_with(b"PK\x03\x04") {
        xlsx_table(body)?
    } else if looks_like_html(body) {
        return Err(html_error(body));
    } else {
        csv_table(body)?
    };
    rows_from_table(&table)
}

/// One cell, whichever format it came from.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
}

/// Every record of a CSV body as text cells. A row whose width differs
/// from the first row's is a truncated or broken body.
fn csv_table(body: &[u8]) -> Result<Vec<Vec<Cell>>, ParseError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(strip_bom(body));
    let mut table = Vec::new();
    let mut width = None;
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|err| malformed("CSV", err))?;
        let expected = *width.get_or_insert(record.len());
        if record.len() != expected {
            return Err(malformed(
                "CSV",
                format!(
                    "line {} has {} fields, the first has {expected}",
                    index + 1,
                    record.len()
                ),
            ));
        }
        table.push(
            record
                .iter()
                .map(|field| Cell::Text(field.to_owned()))
                .collect(),
        );
    }
    Ok(table)
}

/// Bounds on the sheet: the real export has about 30 columns and under a
/// thousand rows. A cell far outside them is a broken or hostile file, and
/// refusing it keeps a tiny body from asking for gigabytes of cells.
const MAX_ROWS: u32 = 20_000;
const MAX_COLUMNS: u32 = 64;

/// The `AllRTAs` sheet of an xlsx body as cells.
///
/// calamine 0.31 can panic on a malformed sheet (a shared-string index past
/// the table, an overflowing cell reference; found by the `wto_sheet` fuzz
/// target): a broken upstream file must fail the run, not the process.
fn xlsx_table(body: &[u8]) -> Result<Vec<Vec<Cell>>, ParseError> {
    std::panic::catch_unwind(|| read_sheet(body)).unwrap_or_else(|_| {
        Err(malformed(
            "xlsx",
            "the workbook is damaged (the xlsx reader could not make sense of it)",
        ))
    })
}

/// Reads the sheet cell by cell (never as one dense range, whose size a
/// single far-away cell would decide), within [`MAX_ROWS`] × [`MAX_COLUMNS`].
fn read_sheet(body: &[u8]) -> Result<Vec<Vec<Cell>>, ParseError> {
    let mut workbook: Xlsx<_> =
        open_workbook_from_rs(Cursor::new(body)).map_err(|err| malformed("xlsx", err))?;
    if !workbook.sheet_names().iter().any(|name| name == SHEET) {
        return Err(schema(format!(
            "no sheet {SHEET:?} (sheets: {:?})",
            workbook.sheet_names()
        )));
    }
    let mut cells = workbook
        .worksheet_cells_reader(SHEET)
        .map_err(|err| malformed("xlsx", err))?;
    let mut table: Vec<Vec<Cell>> = Vec::new();
    while let Some(cell) = cells.next_cell().map_err(|err| malformed("xlsx", err))? {
        let (row, column) = cell.get_position();
        if row >= MAX_ROWS || column >= MAX_COLUMNS {
            return Err(schema(format!(
                "a cell at row {row}, column {column} lies outside a plausible sheet ({MAX_ROWS} rows, {MAX_COLUMNS} columns)"
            )));
        }
        let (row, column) = (row as usize, column as usize);
        if table.len() <= row {
            table.resize(row + 1, Vec::new());
        }
        let line = &mut table[row];
        if line.len() <= column {
            line.resize(column + 1, Cell::Empty);
        }
        line[column] = cell_from_excel(&Data::from(cell.get_value().clone()));
    }
    Ok(table)
}

/// Maps a calamine cell. Error cells (#N/A…) count as empty: RTA-IS has
/// no formulas, so one would only be an export glitch in a free-text column.
fn cell_from_excel(data: &Data) -> Cell {
    match data {
        Data::Empty | Data::Error(_) => Cell::Empty,
        Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) => {
            Cell::Text(text.clone())
        }
        Data::Bool(flag) => Cell::Text(flag.to_string()),
        Data::Int(number) => Cell::Number(*number as f64),
        Data::Float(number) => Cell::Number(*number),
        Data::DateTime(datetime) => match excel_serial_date(datetime.as_f64()) {
            Some(date) => Cell::Date(date),
            None => Cell::Number(datetime.as_f64()),
        },
    }
}

/// An Excel serial day number (1900 date system) as a date. Day 0 is
/// 1899-12-30 for every serial after Excel's phantom 1900-02-29, which is
/// all that matters here.
fn excel_serial_date(serial: f64) -> Option<NaiveDate> {
    // 2_958_465 = 9999-12-31, Excel's last date.
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as u64;
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(Days::new(days))
}

/// Where each field's column is; optional columns may be missing.
struct Columns {
    rta_id: usize,
    name: usize,
    coverage: usize,
    rta_type: usize,
    status: usize,
    signature_goods: usize,
    entry_into_force_goods: usize,
    current_signatories: usize,
    notification: Option<usize>,
    signature_services: Option<usize>,
    notification_goods: Option<usize>,
    notification_services: Option<usize>,
    entry_into_force_services: Option<usize>,
    inactive_date: Option<usize>,
    original_signatories: Option<usize>,
    consideration_date_goods: Option<usize>,
    remarks: Option<usize>,
}

impl Columns {
    /// Finds the columns by (trimmed, case-insensitive) header. The ones
    /// the status mapping cannot do without are required.
    fn find(header: &[Cell]) -> Result<Self, ParseError> {
        let names: Vec<String> = header.iter().map(cell_text).collect();
        let optional = |wanted: &str| {
            names
                .iter()
                .position(|name| name.eq_ignore_ascii_case(wanted))
        };
        let required =
            |wanted: &str| optional(wanted).ok_or_else(|| schema(format!("no column {wanted:?}")));
        Ok(Self {
            rta_id: required(ID_HEADER)?,
            name: required("RTA Name")?,
            coverage: required("Coverage")?,
            rta_type: required("Type")?,
            status: required("Status")?,
            signature_goods: required("Date of Signature (G)")?,
            entry_into_force_goods: required("Date of Entry into Force (G)")?,
            current_signatories: required("Current signatories")?,
            notification: optional("Notification"),
            signature_services: optional("Date of Signature (S)"),
            notification_goods: optional("Date of Notification (G)"),
            notification_services: optional("Date of Notification (S)"),
            entry_into_force_services: optional("Date of Entry into Force (S)"),
            inactive_date: optional("Inactive Date"),
            original_signatories: optional("Original signatories"),
            consideration_date_goods: optional("Consideration Date (G)"),
            remarks: optional("Remarks"),
        })
    }
}

/// Finds the header row, then reads every non-blank row after it.
fn rows_from_table(table: &[Vec<Cell>]) -> Result<Vec<RtaRow>, ParseError> {
    let header_at = table
        .iter()
        .take(MAX_HEADER_ROW)
        .position(|row| {
            row.iter()
                .any(|cell| cell_text(cell).eq_ignore_ascii_case(ID_HEADER))
        })
        .ok_or_else(|| schema(format!("no header row with {ID_HEADER:?}")))?;
    let columns = Columns::find(table.get(header_at).map_or(&[], Vec::as_slice))?;
    table
        .iter()
        .enumerate()
        .skip(header_at + 1)
        .filter(|(_, row)| !row.iter().all(is_blank))
        .map(|(index, row)| parse_row(index + 1, row, &columns))
        .collect()
}

/// One agreement; `line` (1-based, counting the header and any rows above
/// it, so it matches the spreadsheet's row number) names it in errors.
fn parse_row(line: usize, row: &[Cell], columns: &Columns) -> Result<RtaRow, ParseError> {
    let cell = |column: usize| row.get(column).unwrap_or(&Cell::Empty);
    let optional_cell = |column: Option<usize>| column.map_or(&Cell::Empty, cell);
    let date = |column: Option<usize>, what: &str| {
        cell_date(optional_cell(column))
            .map_err(|text| schema(format!("row {line}: {what} {text:?} is not a date")))
    };
    let status = cell_text(cell(columns.status));
    let name = cell_text(cell(columns.name));
    if status.is_empty() || name.is_empty() {
        return Err(schema(format!("row {line}: RTA Name or Status is empty")));
    }
    Ok(RtaRow {
        rta_id: rta_id(cell(columns.rta_id))
            .ok_or_else(|| schema(format!("row {line}: RTA ID is not a number")))?,
        name,
        coverage: cell_text(cell(columns.coverage)),
        rta_type: cell_text(cell(columns.rta_type)),
        notification: cell_text(optional_cell(columns.notification)),
        status,
        signature_goods: date(Some(columns.signature_goods), "Date of Signature (G)")?,
        signature_services: date(columns.signature_services, "Date of Signature (S)")?,
        notification_goods: date(columns.notification_goods, "Date of Notification (G)")?,
        notification_services: date(columns.notification_services, "Date of Notification (S)")?,
        entry_into_force_goods: date(
            Some(columns.entry_into_force_goods),
            "Date of Entry into Force (G)",
        )?,
        entry_into_force_services: date(
            columns.entry_into_force_services,
            "Date of Entry into Force (S)",
        )?,
        inactive_date: date(columns.inactive_date, "Inactive Date")?,
        current_signatories: signatories(cell(columns.current_signatories)),
        original_signatories: signatories(optional_cell(columns.original_signatories)),
        consideration_date_goods: date(columns.consideration_date_goods, "Consideration Date (G)")?,
        remarks: cell_text(optional_cell(columns.remarks)),
    })
}

/// The RTA ID from text ("1168") or a whole number cell (1168.0).
fn rta_id(cell: &Cell) -> Option<u32> {
    match cell {
        Cell::Text(text) => text.trim().parse().ok(),
        Cell::Number(number)
            if number.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(number) =>
        {
            Some(*number as u32)
        }
        _ => None,
    }
}

/// A cell as trimmed text; whole numbers lose their ".0" (e.g. the
/// "End of implementation period" year 2041).
fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(text) => text.trim().to_owned(),
        Cell::Number(number) if number.fract() == 0.0 && number.abs() < 1e15 => {
            format!("{}", *number as i64)
        }
        Cell::Number(number) => number.to_string(),
        Cell::Date(date) => date.to_string(),
    }
}

fn is_blank(cell: &Cell) -> bool {
    match cell {
        Cell::Empty => true,
        Cell::Text(text) => text.trim().is_empty(),
        Cell::Number(_) | Cell::Date(_) => false,
    }
}

/// A date from a date cell, an Excel serial, or text in the formats seen:
/// ISO ("2021-10-26", also with a time) and the sheet's display format
/// ("26-Oct-21"). `Err` carries the text that is not a date.
fn cell_date(cell: &Cell) -> Result<Option<NaiveDate>, String> {
    match cell {
        Cell::Empty => Ok(None),
        Cell::Date(date) => Ok(Some(*date)),
        Cell::Number(serial) => excel_serial_date(*serial)
            .map(Some)
            .ok_or_else(|| serial.to_string()),
        Cell::Text(text) => {
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            text_date(text).map(Some).ok_or_else(|| text.to_owned())
        }
    }
}

fn text_date(text: &str) -> Option<NaiveDate> {
    let iso = text.get(..10).unwrap_or(text);
    NaiveDate::parse_from_str(iso, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d-%b-%y"))
        .or_else(|_| NaiveDate::parse_from_str(text, "%d-%b-%Y"))
        .ok()
}

/// "Cambodia; Korea, Republic of" → two names; a trailing ';' adds nothing.
fn signatories(cell: &Cell) -> Vec<String> {
    cell_text(cell)
        .split(';')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

fn schema(detail: impl Into<String>) -> ParseError {
    ParseError::Schema(detail.into())
}

#[cfg(test)]
mod tests {
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
}
