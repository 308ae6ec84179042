#![no_main]
// The body lives in porchlight-fuzzing so that `cargo test` runs the same code on stable.

libfuzzer_sys::fuzz_target!(|data: &[u8]| porchlight_fuzzing::open_envelope(data));
