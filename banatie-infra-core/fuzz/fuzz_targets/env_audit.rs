//! An env file as the audit reads it (`.env` and `secrets.env`) with the env-file rules:
//! every finding within the input.
//! The entry point and its properties: `banatie_infra_core::fuzzing::env_audit`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| banatie_infra_core::fuzzing::env_audit(data));
