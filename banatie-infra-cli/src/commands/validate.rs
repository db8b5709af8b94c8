//! `banatie-infra validate SPEC`: every finding of the spec. Exit 1 when there are errors.
//!
//! JSON: the array of diagnostics (`[{code, severity, pointer, message, help?, file?,
//! line?, column?}]`, [`banatie_infra_core::diagnostic::render_json`]), empty when clean.

use banatie_infra_core::diagnostic::has_errors;
use banatie_infra_core::validate;

use crate::failure::Failure;
use crate::printer::{print_diagnostics, summary, FormatArg};
use crate::spec_arg::SpecArg;

/// `validate`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    spec: SpecArg,
    #[command(flatten)]
    format: FormatArg,
}

/// Validates the spec; its diagnostics on stdout, the verdict on stderr.
pub(crate) fn run(args: Args) -> Result<(), Failure> {
    let format = args.format.format;
    let loaded = match args.spec.try_load(format) {
        Ok(l) => l,
        Err(Err(f)) => return Err(f),
        Err(Ok(invalid)) => {
            // Text that does not load as a spec is a finding like any other (exit 1);
            // only a file that cannot be read at all is exit 2.
            print_diagnostics(
                &[invalid.diagnostic],
                &[(&invalid.name, &invalid.text)],
                format,
                false,
            );
            if !format.is_json() {
                say!("{}: invalid, 1 error(s), 0 warning(s)", invalid.name);
            }
            return Err(Failure::Findings);
        }
    };
    let mut diags = validate::validate(&loaded.spec);
    loaded.source.annotate(&mut diags);
    if format.is_json() || !diags.is_empty() {
        print_diagnostics(
            &diags,
            &[(&loaded.source.name, &loaded.source.text)],
            format,
            false,
        );
    }
    if !format.is_json() {
        let verdict = if has_errors(&diags) {
            "invalid"
        } else {
            "valid"
        };
        say!("{}: {verdict}, {}", args.spec.name(), summary(&diags));
    }
    if has_errors(&diags) {
        Err(Failure::Findings)
    } else {
        Ok(())
    }
}
