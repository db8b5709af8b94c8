//! A spec in JSON: load, validate, render; positions within the input, a JSON round trip,
//! rendering deterministic and every rendered file read back by its reader.
//! The entry point and its properties: `banatie_infra_core::fuzzing::spec_json`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| banatie_infra_core::fuzzing::spec_json(data));
