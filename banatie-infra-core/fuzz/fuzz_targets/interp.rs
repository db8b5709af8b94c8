//! Compose interpolation: references within the template, the template written back parses
//! to the same pieces, expansion within its bound.
//! The entry point and its properties: `banatie_infra_core::fuzzing::interp`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| banatie_infra_core::fuzzing::interp(data));
