//! A Compose file as the audit reads it (YAML tree, interpolation, services): every node,
//! key, service and finding within the input.
//! The entry point and its properties: `banatie_infra_core::fuzzing::compose`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| banatie_infra_core::fuzzing::compose(data));
