//! A shell script: words, redirects and every shell rule's finding within the input.
//! The entry point and its properties: `banatie_infra_core::fuzzing::shell`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| banatie_infra_core::fuzzing::shell(data));
