//! Init SQL: statements, tokens, effects and BI510 positions within the input.
//! The entry point and its properties: `banatie_infra_core::fuzzing::sql`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| banatie_infra_core::fuzzing::sql(data));
