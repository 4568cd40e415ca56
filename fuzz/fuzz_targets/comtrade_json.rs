//! UN Comtrade: the data envelope, the reporter list and the HS reference
//! all read the same JSON body. None may panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tradepact::refresh::parse::comtrade;
use tradepact_fuzz::show;

fuzz_target!(|body: &[u8]| {
    show("parse_data", &comtrade::parse_data(body));
    show("parse_reporters", &comtrade::parse_reporters(body));
    show("parse_hs_reference", &comtrade::parse_hs_reference(body));
});
