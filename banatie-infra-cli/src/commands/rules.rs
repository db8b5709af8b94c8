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
            printer::json(to_value(&rules::all()));
        } else {
            printer::out(&list_text(rules::all()));
        }
        return Ok(());
    };
    let rule = rules::get(code.trim()).ok_or_else(|| unknown(&code))?;
    if json {
        printer::json(to_value(rule));
    } else {
        printer::out(&rule_text(rule));
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

/// One rule: a heading with its code and name, its severity and family, the summary,
/// then the explanation (whose own `# BIxxx: name` title is the heading) when there is one.
fn rule_text(r: &Rule) -> String {
    let explanation = r.explanation.trim();
    let (title, body) = match explanation.split_once('\n') {
        Some((t, b)) if t.starts_with(&format!("# {}", r.code)) => (t.to_owned(), b.trim()),
        _ if r.name.is_empty() => (format!("# {}", r.code), explanation),
        _ => (format!("# {}: {}", r.code, r.name), explanation),
    };
    let mut text = format!(
        "{title}\n\nSeverity: {}\nFamily: {}\n\n{}\n",
        r.severity, r.family, r.summary
    );
    if !body.is_empty() {
        text.push('\n');
        text.push_str(body);
        text.push('\n');
    }
    text
}

/// A code no rule has, with the closest one (by edit distance, case-insensitive).
fn unknown(code: &str) -> Failure {
    let wanted = code.trim().to_ascii_uppercase();
    let closest = rules::all()
        .iter()
        .map(|r| (strsim::damerau_levenshtein(&wanted, r.code.0), r))
        .min_by_key(|(d, _)| *d);
    let hint = match closest {
        Some((_, r)) => format!("; did you mean `{}` ({})?", r.code, r.summary),
        None => String::new(),
    };
    Failure::Input(format!(
        "no rule has the code `{code}`{hint} (`banatie-infra rules` lists them all)"
    ))
}
