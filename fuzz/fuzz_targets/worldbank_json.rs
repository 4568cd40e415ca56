//! World Bank Indicators API: an indicator page (JSON, or an XML/HTML
//! error document). It may not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tradepact::refresh::parse::worldbank;
use tradepact_fuzz::show;

fuzz_target!(|body: &[u8]| {
    show("parse_page", &worldbank::parse_page(body));
});
