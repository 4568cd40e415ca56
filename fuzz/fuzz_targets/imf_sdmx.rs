//! IMF: every parse function (SDMX-JSON 2.0, legacy CompactData JSON,
//! SDMX-ML StructureSpecificData XML, error bodies, dataflow and code
//! lists) on the same body. None may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tradepact::refresh::parse::imf;
use tradepact_fuzz::show;

fuzz_target!(|body: &[u8]| {
    show("parse_sdmx_json", &imf::parse_sdmx_json(body));
    show("parse_compact_json", &imf::parse_compact_json(body));
    show(
        "parse_structure_specific_xml",
        &imf::parse_structure_specific_xml(body),
    );
    show("parse_error", &Ok::<_, ()>(imf::parse_error(body)));
    show("parse_dataflows", &imf::parse_dataflows(body));
    show("parse_codelists", &imf::parse_codelists(body));
});
