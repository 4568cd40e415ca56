//! WTO RTA-IS export through `wto::parse`, both ways it reads a body:
//!
//! 1. The raw input: CSV (or HTML), or xlsx when it starts with the zip
//!    magic (real workbooks from the seed corpus).
//! 2. Unless the input already is a zip, the input wrapped into a minimal
//!    xlsx (stored, uncompressed entries) so that mutations reach
//!    calamine's sheet, shared-string and style readers and the parser's
//!    cell mapping instead of dying in a deflate stream. The input is split
//!    at NUL bytes into `xl/worksheets/sheet1.xml`, `xl/sharedStrings.xml`
//!    and `xl/styles.xml`; missing parts get a small valid default. The
//!    sheet is named `AllRTAs`, the one the parser reads.
//!
//! Neither may panic.
#![no_main]

use std::io::{Cursor, Write};

use libfuzzer_sys::fuzz_target;
use tradepact::refresh::parse::wto;
use tradepact_fuzz::show;
use zip::write::SimpleFileOptions;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="AllRTAs" sheetId="1" r:id="rId1"/></sheets></workbook>"#;

const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

const SHEET: &[u8] = br#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>"#;

const SHARED_STRINGS: &[u8] =
    br#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"/>"#;

/// Style 0 general, style 1 a date (built-in format 14), so numeric cells
/// with s="1" come back as dates.
const STYLES: &[u8] = br#"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>"#;

/// A workbook around the parts the input supplies.
fn wrap(input: &[u8]) -> Vec<u8> {
    let mut parts = input.splitn(3, |byte| *byte == 0);
    let sheet = parts.next().filter(|p| !p.is_empty()).unwrap_or(SHEET);
    let strings = parts.next().unwrap_or(SHARED_STRINGS);
    let styles = parts.next().unwrap_or(STYLES);
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(input.len() + 4096)));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let files: [(&str, &[u8]); 7] = [
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", ROOT_RELS.as_bytes()),
        ("xl/workbook.xml", WORKBOOK.as_bytes()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet),
        ("xl/sharedStrings.xml", strings),
        ("xl/styles.xml", styles),
    ];
    for (name, content) in files {
        zip.start_file(name, options).expect("in-memory zip entry");
        zip.write_all(content).expect("in-memory zip write");
    }
    zip.finish().expect("in-memory zip").into_inner()
}

fuzz_target!(
    init: {
        // `wto::parse` catches the panics calamine 0.31 raises on broken
        // workbooks (the contract is that none escapes). libfuzzer-sys's hook
        // would abort on the caught ones too; a quiet hook leaves reporting to
        // libfuzzer-sys's own check, which aborts on any panic that escapes.
        std::panic::set_hook(Box::new(|_| {}));
    },
    |body: &[u8]| {
    show("parse", &wto::parse(body));
    if !body.starts_with(b"PK") {
        let workbook = wrap(body);
        show("parse (wrapped in an xlsx)", &wto::parse(&workbook));
    }
});
