//! The round-2 cases (`tests/fixtures/cases/round2-*`, from `shared/cases/round2.md`:
//! failures reported publicly, each folder's `EXPECT.md` says what and where): the audit
//! reports exactly the errors and warnings listed here, as (code, file, line), every
//! finding with a position and a help; and `round2-00-clean`, a deployment that does
//! everything these rules ask, reports nothing.

#[path = "common_audit.rs"]
mod common;

use std::fs;
use std::path::Path;

use banatie_infra_core::diagnostic::Severity;
use common::{expected, found, fixture, report, run, FIXTURES};

type Finding = (&'static str, &'static str, usize);

struct Case {
    name: &'static str,
    errors: &'static [Finding],
    warnings: &'static [Finding],
}

const C: &str = "compose.yaml";

const CASES: &[Case] = &[
    Case {
        name: "round2-00-clean",
        errors: &[],
        warnings: &[],
    },
    Case {
        name: "round2-01-published-ports-bypass-ufw",
        errors: &[("BI203", C, 6)],
        warnings: &[("BI203", C, 12)],
    },
];

#[track_caller]
fn check(name: &str) {
    let case = CASES
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("case {name} has no expectations"));
    let (_tmp, dir) = fixture(&format!("cases/{name}"));
    let a = run(&dir);
    assert_eq!(
        found(&a, &dir, Severity::Error),
        expected(case.errors),
        "{name}: errors differ:\n{}",
        report(&a)
    );
    assert_eq!(
        found(&a, &dir, Severity::Warning),
        expected(case.warnings),
        "{name}: warnings differ:\n{}",
        report(&a)
    );
    for d in &a.diagnostics {
        assert!(d.help.as_deref().is_some_and(|h| !h.is_empty()), "no help: {d:?}");
        assert!(d.span.as_ref().and_then(|s| s.location).is_some(), "no position: {d:?}");
    }
}

macro_rules! cases {
    ($($test:ident => $name:literal,)*) => {
        $( #[test] fn $test() { check($name); } )*

        /// Every `round2-*` folder is a test above, and has an EXPECT.md.
        #[test]
        fn every_round2_folder_is_tested() {
            let tested = [$($name),*];
            let mut dirs: Vec<String> = fs::read_dir(Path::new(FIXTURES).join("cases"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("round2-"))
                .collect();
            dirs.sort();
            assert_eq!(dirs, tested);
            assert_eq!(CASES.len(), tested.len());
            for d in dirs {
                assert!(Path::new(FIXTURES).join("cases").join(&d).join("EXPECT.md").exists(), "{d}");
            }
        }
    };
}

cases! {
    round2_00_clean => "round2-00-clean",
    round2_01_published_ports_bypass_ufw => "round2-01-published-ports-bypass-ufw",
}
