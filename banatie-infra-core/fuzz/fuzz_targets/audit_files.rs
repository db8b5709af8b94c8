//! The whole audit of a directory (the input split at NUL into a Compose file, `.env`,
//! `secrets.env`, Caddyfile and script): findings within their files, no `secrets.env` value
//! in the human or JSON report.
//! The entry point and its properties: `banatie_infra_core::fuzzing::audit_files`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| banatie_infra_core::fuzzing::audit_files(data));
