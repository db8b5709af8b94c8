//! load → validate → render must never panic, whatever the bytes, in every format; a
//! spec that validates without errors must render.
#![no_main]

use banatie_infra_core::load::{load_str, Format};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for format in [Format::Yaml, Format::Toml, Format::Json] {
        if let Ok(loaded) = load_str(text, format, "fuzz") {
            let diags = banatie_infra_core::validate::validate(&loaded.spec);
            let mut located = diags.clone();
            loaded.source.annotate(&mut located);
            let _ = banatie_infra_core::diagnostic::render_human(&located, &[("fuzz", text)], false);
            let rendered = banatie_infra_core::render::render(&loaded.spec);
            if !banatie_infra_core::diagnostic::has_errors(&diags) {
                let a = rendered.expect("a spec without errors renders");
                let b = banatie_infra_core::render::render(&loaded.spec).unwrap();
                assert_eq!(a, b, "rendering is deterministic");
            }
            let _ = banatie_infra_core::render::render_unchecked(&loaded.spec);
        }
    }
});
