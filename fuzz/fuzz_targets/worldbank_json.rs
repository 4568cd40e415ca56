//! World Bank Indicators API: an indicator page and a country page from
//! the same body (JSON, or an XML/HTML error document). Neither may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tradepact::refresh::parse::worldbank;
use tradepact_fuzz::show;

fuzz_target!(|body: &[u8]| {
    show("parse_page", &worldbank::parse_page(body));
    show("parse_countries", &worldbank::parse_countries(body));
});
