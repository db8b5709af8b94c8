//! `banatie-infra rules [CODE]`: every rule of the registry, or one with its long
//! explanation (as `ruff rule`), from [`banatie_infra_core::rules::all`].
//!
//! JSON (list): an array of rules; (one) a rule object. A rule is `{"code": "BI301",
//! "name": kebab-case string (empty until named), "severity": "error" | "warning",
//! "family": "spec" | "limits" | "secrets" | "health" | "sites" | "storage" | "live" |
//! "files", "summary": one line, "explanation": markdown (empty until written)}`.
//! An unknown code: exit 2 with the closest code suggested.

use banatie_infra_core::rules::{self, Rule};

use crate::failure::Failure;
use crate::printer::{self, to_value, FormatArg};

/// `rules`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// One rule's code (`BI301`, case-insensitive): print it with its explanation.
    #[arg(value_name = "CODE")]
    code: Option<String>,
    #[command(flatten)]
    format: FormatArg,
}

/// Lists the rules, or prints one.
pub(crate) fn run(args: Args) -> Result<(), Failure> {
    let json = args.format.format.is_json();
    let Some(code) = args.code else {
        if json {
            printer::json_unredacted(to_value(&rules::all()));
        } else {
            printer::out(&list_text(rules::all()));
        }
        return Ok(());
    };
    let rule = rules::lookup(&code)
        .map_err(|e| Failure::Input(format!("{e} (`banatie-infra rules` lists them all)")))?;
    if json {
        printer::json_unredacted(to_value(rule));
    } else {
        printer::out(&rule.to_markdown());
    }
    Ok(())
}

/// One line a rule: code, severity, name (when any rule has one), summary.
fn list_text(all: &[Rule]) -> String {
    let name_width = all.iter().map(|r| r.name.len()).max().unwrap_or(0);
    let mut text = String::new();
    for r in all {
        let severity = r.severity.to_string();
        if name_width == 0 {
            text.push_str(&format!("{}  {severity:<7}  {}\n", r.code, r.summary));
        } else {
            text.push_str(&format!(
                "{}  {severity:<7}  {:<name_width$}  {}\n",
                r.code, r.name, r.summary
            ));
        }
    }
    text
}
