//! Template files: any text given to the catalog is accepted or refused
//! with an error, never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use voice_ledger::ledger::Catalog;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut catalog = Catalog::builtin();
    let _ = catalog.add_text("fuzz.toml", text);
});
