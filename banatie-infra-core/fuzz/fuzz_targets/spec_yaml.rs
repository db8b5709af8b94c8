//! A spec in YAML: load, validate, render; positions within the input, a JSON round trip,
//! rendering deterministic and every rendered file read back by its reader.
//! The entry point and its properties: `banatie_infra_core::fuzzing::spec_yaml`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| banatie_infra_core::fuzzing::spec_yaml(data));
