//! IMF: the SDMX-JSON data parser and the error-body classifier on the
//! same body. Neither may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tradepact::refresh::parse::imf;
use tradepact_fuzz::show;

fuzz_target!(|body: &[u8]| {
    show("parse_sdmx_json", &imf::parse_sdmx_json(body));
    show("parse_error", &Ok::<_, ()>(imf::parse_error(body)));
});
