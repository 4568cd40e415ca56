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
use chrono::{Datelike, Days, NaiveDate};

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
    /// True for an accession to an existing agreement.
    pub accession: bool,
    /// "Bilateral", "Plurilateral; One Party is an RTA"... ("" when not given).
    pub composition: String,
    /// The WTO's regions: ["Central America", "East Asia"].
    pub regions: Vec<String>,
    /// Parties whose own entry or exit differs from the agreement's.
    pub party_dates: Vec<PartyDates>,
}

/// One party's own dates from "Specific Entry/Exit dates":
/// `Panama(01-Mar-2021 - )`, `United Kingdom( - 31-Dec-2020)`.
#[derive(Debug, Clone, PartialEq)]
pub struct PartyDates {
    /// The party as the WTO names it.
    pub party: String,
    /// Its own entry into force; `None` when not given or not yet (the WTO
    /// writes 01-Jan-9999 for a party the agreement is not in force for).
    pub entry: Option<NaiveDate>,
    /// The last day the agreement applied to it.
    pub exit: Option<NaiveDate>,
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
    accession: Option<usize>,
    composition: Option<usize>,
    region: Option<usize>,
    party_dates: Option<usize>,
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
            accession: optional("Accession?"),
            composition: optional("RTA Composition"),
            region: optional("Region"),
            party_dates: optional("Specific Entry/Exit dates"),
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
        accession: cell_text(optional_cell(columns.accession)).eq_ignore_ascii_case("yes"),
        composition: cell_text(optional_cell(columns.composition)),
        regions: signatories(optional_cell(columns.region)),
        party_dates: party_dates(&cell_text(optional_cell(columns.party_dates)))
            .map_err(|entry| {
                schema(format!(
                    "row {line}: Specific Entry/Exit dates entry {entry:?} is not Party(entry - exit)"
                ))
            })?,
    })
}

/// "Costa Rica(01-Nov-2019 - ); United Kingdom( - 31-Dec-2020)". A party's
/// own name may hold parentheses ("... (EFTA)(01-Jan-2020 - )"), so its
/// dates are the last parenthesised part. `Err` carries the entry that
/// does not read.
fn party_dates(text: &str) -> Result<Vec<PartyDates>, String> {
    text.split(';')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let bad = || entry.to_owned();
            let inner = entry.strip_suffix(')').ok_or_else(bad)?;
            let open = inner.rfind('(').ok_or_else(bad)?;
            let (party, dates) = (inner[..open].trim(), &inner[open + 1..]);
            let (entry_text, exit_text) = dates
                .split_once(" - ")
                .or_else(|| {
                    dates
                        .strip_suffix(" -")
                        .map(|entry| (entry, ""))
                        .or_else(|| dates.strip_prefix("- ").map(|exit| ("", exit)))
                })
                .ok_or_else(bad)?;
            let date = |text: &str| -> Result<Option<NaiveDate>, String> {
                match text.trim() {
                    "" => Ok(None),
                    text => text_date(text).map(Some).ok_or_else(bad),
                }
            };
            if party.is_empty() {
                return Err(bad());
            }
            Ok(PartyDates {
                party: party.to_owned(),
                // 9999: not (yet) in force for this party.
                entry: date(entry_text)?.filter(|d| d.year() < 9999),
                exit: date(exit_text)?,
            })
        })
        .collect()
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
mod tests;
