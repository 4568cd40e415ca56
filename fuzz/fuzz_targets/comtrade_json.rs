//! UN Comtrade: the data envelope and the reporter list read the same JSON
//! body, and so does the streaming reader of data answers (cut in two where
//! the first byte says). None may panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tradepact::refresh::parse::comtrade;
use tradepact::refresh::parse::comtrade::stream::{DataStream, RecordRef};
use tradepact_fuzz::show;

fuzz_target!(|body: &[u8]| {
    show("parse_data", &comtrade::parse_data(body));
    show("parse_reporters", &comtrade::parse_reporters(body));
    let cut = body.first().map_or(0, |&b| usize::from(b)).min(body.len());
    let mut on_record = |_: u64, _: RecordRef<'_>| Ok(());
    let mut reader = DataStream::new();
    let streamed = reader
        .push(&body[..cut], &mut on_record)
        .and_then(|()| reader.push(&body[cut..], &mut on_record))
        .and_then(|()| reader.finish(&mut on_record));
    show("DataStream", &streamed);
});
