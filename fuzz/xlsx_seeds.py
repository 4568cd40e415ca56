#!/usr/bin/env python3
"""Seeds for the wto_sheet fuzz target, made from an RTA-IS CSV export.

    xlsx_seeds.py CSV OUT_DIR

Writes, for the first rows of the CSV:
  * seed-xlsx-*.xlsx: real workbooks (deflated zip) with the sheet AllRTAs,
    date columns as date-styled serials, text as shared strings;
  * seed-parts-*: the NUL-separated form the target wraps into a workbook
    itself (sheet1.xml, NUL, sharedStrings.xml, NUL, styles.xml), so the
    mutations land in SpreadsheetML rather than in a deflate stream.
The parts mirror the constants in fuzz_targets/wto_sheet.rs.
"""
import csv
import datetime
import os
import re
import sys
import zipfile
from xml.sax.saxutils import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '</Types>')
ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    '</Relationships>')
WORKBOOK = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="AllRTAs" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    '</Relationships>')
STYLES = (f'<styleSheet xmlns="{MAIN}"><cellXfs count="2"><xf numFmtId="0"/>'
    '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>')
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EPOCH = datetime.date(1899, 12, 30)


def column(index):
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def sheet(rows, inline):
    """sheet1.xml and sharedStrings.xml for rows (a title row first)."""
    strings, ids, out = [], {}, []
    def text_cell(ref, value):
        if inline:
            return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
        if value not in ids:
            ids[value] = len(strings)
            strings.append(value)
        return f'<c r="{ref}" t="s"><v>{ids[value]}</v></c>'
    header = rows[1]
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{column(c)}{r}"
            name = header[c] if c < len(header) else ""
            if value == "":
                continue
            if r > 2 and "Date" in name and ISO_DATE.match(value):
                day = datetime.date.fromisoformat(value)
                cells.append(f'<c r="{ref}" s="1"><v>{(day - EPOCH).days}</v></c>')
            elif r > 2 and value.isdigit():
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                cells.append(text_cell(ref, value))
        out.append(f'<row r="{r}">{"".join(cells)}</row>')
    sheet_xml = f'<worksheet xmlns="{MAIN}"><sheetData>{"".join(out)}</sheetData></worksheet>'
    items = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
    sst = f'<sst xmlns="{MAIN}" count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'
    return sheet_xml, sst


def main():
    source, out_dir = sys.argv[1], sys.argv[2]
    with open(source, newline="", encoding="utf-8-sig") as handle:
        table = list(csv.reader(handle))
    for count in (3, 12, 40):
        rows = [["Regional Trade Agreements Database"]] + table[: count + 1]
        for inline in (False, True):
            kind = "inline" if inline else "shared"
            sheet_xml, sst = sheet(rows, inline)
            with zipfile.ZipFile(os.path.join(out_dir, f"seed-xlsx-{kind}-{count}.xlsx"), "w",
                                 zipfile.ZIP_DEFLATED) as book:
                book.writestr("[Content_Types].xml", CONTENT_TYPES)
                book.writestr("_rels/.rels", ROOT_RELS)
                book.writestr("xl/workbook.xml", WORKBOOK)
                book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
                book.writestr("xl/worksheets/sheet1.xml", sheet_xml)
                book.writestr("xl/sharedStrings.xml", sst)
                book.writestr("xl/styles.xml", STYLES)
            with open(os.path.join(out_dir, f"seed-parts-{kind}-{count}"), "wb") as parts:
                parts.write(b"\0".join(p.encode() for p in (sheet_xml, sst, STYLES)))


if __name__ == "__main__":
    main()
