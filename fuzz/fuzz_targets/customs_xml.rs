//! Korea Customs Service open API: trade-statistics XML, result-code
//! errors and gateway error documents. The parser may not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tradepact::refresh::parse::customs;
use tradepact_fuzz::show;

fuzz_target!(|body: &[u8]| {
    show("parse", &customs::parse(body));
});
