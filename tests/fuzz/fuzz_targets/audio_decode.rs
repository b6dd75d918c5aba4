//! Audio decoding: any bytes, with or without a format hint, decode to
//! audio or to an `AudioProblem`, never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

const HINTS: [Option<&str>; 7] = [
    None,
    Some("wav"),
    Some("mp3"),
    Some("m4a"),
    Some("ogg"),
    Some("flac"),
    Some("amr"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&choice, bytes)) = data.split_first() else {
        return;
    };
    let hint = HINTS[usize::from(choice) % HINTS.len()];
    let _ = voice_ledger::audio::decode_bytes(bytes, hint);
});
