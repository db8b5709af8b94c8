//! An env file by `envfile::parse`: entries and errors within the input, in order, a
//! single-quoted value its text between the quotes.
//! The entry point and its properties: `banatie_infra_core::fuzzing::envfile`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| banatie_infra_core::fuzzing::envfile(data));
