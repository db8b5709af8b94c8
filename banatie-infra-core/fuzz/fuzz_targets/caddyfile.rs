//! A Caddyfile: tokens, blocks, import problems and sites, every position within the input.
//! The entry point and its properties: `banatie_infra_core::fuzzing::caddyfile`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| banatie_infra_core::fuzzing::caddyfile(data));
