//! `banatie_infra_core::fuzzing::s3json`: see its docs for the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| banatie_infra_core::fuzzing::s3json(data));
