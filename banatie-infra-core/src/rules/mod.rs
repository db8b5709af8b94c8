//! The rules registry: every diagnostic code this crate can report, exactly once, with its
//! severity, a one-line summary and a long explanation (why it matters, a failing example,
//! a passing one), as `ruff rule` documents each rule.
//!
//! `banatie-infra rules` lists [`all`]; `banatie-infra rules BI301` prints [`get`]'s
//! explanation. Codes never change meaning once released.
//!
//! Each family has its own file, which declares its codes (a `CODE_*` const each) and its
//! rows, and holds the typed message constructors of the rules that both `validate` (over a
//! spec) and `audit` (over hand-written files) report, so the same mistake reads the same
//! from both sides:
//!
//! | family | codes | file |
//! |---|---|---|
//! | `spec` | BI100-BI149 | [`spec`] (BI100-BI109 are the loader's, in [`crate::load`]) |
//! | `limits` | BI150-BI199 | [`limits`] |
//! | `secrets` | BI2xx | [`secrets`] |
//! | `health` | BI3xx | [`health`] |
//! | `sites` | BI4xx | [`sites`] |
//! | `storage` | BI5xx | [`storage`] |
//! | `live` | BI6xx | [`live`] |
//! | `files` | BI7xx | [`files`] |
//!
//! No code is declared anywhere else, and no other module re-exports one: a check names
//! the const of its family (`crate::rules::sites::CODE_CORS`). A rule that both front
//! ends report is named by neither: they get its [`Finding`] from its constructor here.

use std::sync::OnceLock;

use serde::Serialize;

use crate::diagnostic::{Code, Severity};

mod docs;
pub mod files;
pub mod health;
pub mod limits;
pub mod live;
pub mod secrets;
pub mod sites;
pub mod spec;
pub mod storage;

/// One rule of the registry.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    /// The stable code, `BI` and three digits (`BI301`).
    pub code: Code,
    /// A short kebab-case name (`healthcheck-binary-missing`), stable like the code.
    pub name: &'static str,
    /// The severity the rule reports at (a few rules report a warning in some cases and
    /// say so in their summary).
    pub severity: Severity,
    /// The family: the hundreds of the code (`spec`, `limits`, `secrets`, `health`,
    /// `sites`, `storage`, `live`, `files`).
    pub family: &'static str,
    /// One line: what the rule finds.
    pub summary: &'static str,
    /// Markdown: why it matters, an example that fails, one that passes.
    pub explanation: &'static str,
}

impl Rule {
    /// A family file's row; the explanation is filled in by [`all`].
    pub(crate) const fn declare(
        code: Code,
        name: &'static str,
        severity: Severity,
        family: &'static str,
        summary: &'static str,
    ) -> Self {
        Self {
            code,
            name,
            severity,
            family,
            summary,
            explanation: "",
        }
    }
}

/// A finding of a rule that both `validate` (over a spec) and `audit` (over hand-written
/// files) report, before it is placed: the code, the severity, the message (what is wrong)
/// and the help line (how to fix it). Only the family files build one, with the rule's
/// typed constructor; `validate` places it at a JSON pointer into the spec
/// (`Finding::at`), `audit` at a span in a hand-written file, so the same mistake reads
/// the same, word for word, from both. A test fails if a shared rule's code is named
/// anywhere outside `rules/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule's code.
    pub code: Code,
    /// Its severity: the registry's, unless the constructor says otherwise.
    pub severity: Severity,
    /// What is wrong, written for both front ends (it names services, files and values,
    /// never where in the input they stand).
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl Finding {
    /// A finding of `code` at the severity the registry declares for it.
    pub(crate) fn new(code: Code, message: impl Into<String>, help: impl Into<String>) -> Self {
        let severity = FAMILIES
            .iter()
            .flat_map(|f| f.iter())
            .find(|r| r.code == code)
            .map_or(Severity::Error, |r| r.severity);
        Self {
            code,
            severity,
            message: message.into(),
            help: help.into(),
        }
    }

    /// The same finding, reported as a warning.
    pub(crate) fn warning(self) -> Self {
        Self {
            severity: Severity::Warning,
            ..self
        }
    }

    /// The diagnostic at `pointer` (a JSON pointer into the spec), with no span.
    pub(crate) fn at(self, pointer: impl Into<String>) -> crate::diagnostic::Diagnostic {
        crate::diagnostic::Diagnostic {
            code: self.code,
            severity: self.severity,
            pointer: pointer.into(),
            message: self.message,
            help: Some(self.help),
            span: None,
        }
    }
}

/// `did you mean `x`?` for the candidate closest to `word` (Jaro-Winkler at least 0.8, among
/// the first 1000), or `fallback` when none is close.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str>,
    fallback: String,
) -> String {
    candidates
        .take(1000)
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(s, _)| *s >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map_or(fallback, |(_, c)| format!("did you mean `{c}`?"))
}

/// The families' rows, in family order.
const FAMILIES: &[&[Rule]] = &[
    spec::RULES,
    limits::RULES,
    secrets::RULES,
    health::RULES,
    sites::RULES,
    storage::RULES,
    live::RULES,
    files::RULES,
];

/// Every rule, in code order, each with its explanation.
pub fn all() -> &'static [Rule] {
    static ALL: OnceLock<Vec<Rule>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut all: Vec<Rule> = FAMILIES
            .iter()
            .flat_map(|f| f.iter())
            .map(|r| Rule {
                explanation: docs::explanation(r.code.0),
                ..r.clone()
            })
            .collect();
        all.sort_by_key(|r| r.code);
        all
    })
}

/// The rule of `code` (`BI301`; case-insensitive), or `None` for a code no rule has.
pub fn get(code: &str) -> Option<&'static Rule> {
    all().iter().find(|r| r.code.0.eq_ignore_ascii_case(code))
}

/// The rule of `code` (`BI301`; case-insensitive, surrounding blanks ignored), or an
/// [`UnknownRule`] that names the closest code: what `banatie-infra rules CODE` and
/// Python's `banatie_infra.rule(code)` report for a code no rule has.
pub fn lookup(code: &str) -> Result<&'static Rule, UnknownRule> {
    get(code.trim()).ok_or_else(|| {
        let wanted = code.trim().to_ascii_uppercase();
        let closest = all()
            .iter()
            .map(|r| (strsim::damerau_levenshtein(&wanted, r.code.0), r))
            .min_by_key(|(d, _)| *d)
            .map(|(_, r)| r);
        UnknownRule {
            code: code.to_owned(),
            closest,
        }
    })
}

/// A code no rule has (from [`lookup`]). Displays as `no rule has the code `BI31`; did you
/// mean `BI301` (summary)?`.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "no rule has the code `{code}`{}",
    closest.map_or(String::new(), |r| format!("; did you mean `{}` ({})?", r.code, r.summary))
)]
pub struct UnknownRule {
    /// The code as given.
    pub code: String,
    /// The rule whose code is closest by Damerau-Levenshtein distance (case-insensitive).
    pub closest: Option<&'static Rule>,
}

impl Rule {
    /// The rule as one Markdown document, what `banatie-infra rules CODE` prints: the
    /// heading `# BIxxx: name` (the explanation's own title when it has one), the
    /// severity and family, the summary, then the explanation's body.
    pub fn to_markdown(&self) -> String {
        let explanation = self.explanation.trim();
        let (title, body) = match explanation.split_once('\n') {
            Some((t, b)) if t.starts_with(&format!("# {}", self.code)) => (t.to_owned(), b.trim()),
            _ if self.name.is_empty() => (format!("# {}", self.code), explanation),
            _ => (format!("# {}: {}", self.code, self.name), explanation),
        };
        let mut text = format!(
            "{title}\n\nSeverity: {}\nFamily: {}\n\n{}\n",
            self.severity, self.family, self.summary
        );
        if !body.is_empty() {
            text.push('\n');
            text.push_str(body);
            text.push('\n');
        }
        text
    }
}

/// The family of a code: its hundreds (and `limits` for BI15x).
#[cfg(test)]
fn family(code: Code) -> &'static str {
    match code.0.get(2..4).unwrap_or("") {
        "15" => "limits",
        d if d.starts_with('1') => "spec",
        d if d.starts_with('2') => "secrets",
        d if d.starts_with('3') => "health",
        d if d.starts_with('4') => "sites",
        d if d.starts_with('5') => "storage",
        d if d.starts_with('6') => "live",
        _ => "files",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::path::Path;

    use super::*;

    #[test]
    fn every_rule_is_unique_well_formed_and_in_its_family() {
        let all = all();
        assert!(all.windows(2).all(|w| w[0].code < w[1].code), "code order");
        let mut names = HashSet::new();
        for r in all {
            let c = r.code.0;
            assert!(
                c.len() == 5 && c.starts_with("BI") && c[2..].bytes().all(|b| b.is_ascii_digit()),
                "{c}"
            );
            assert_eq!(
                r.family,
                family(r.code),
                "{c} is declared in the wrong family"
            );
            assert!(names.insert(r.name), "{c}: name {} used twice", r.name);
            assert!(
                !r.name.is_empty()
                    && r.name.split('-').all(|w| !w.is_empty()
                        && w.bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())),
                "{c}: {} is not kebab-case",
                r.name
            );
            assert!(
                r.summary.len() > 20 && !r.summary.contains('\n') && !r.summary.ends_with('.'),
                "{c}: {}",
                r.summary
            );
            assert_eq!(
                docs::name(c),
                r.name,
                "{c}: the title of docs/{c}.md names another rule"
            );
            assert!(!r.explanation.is_empty(), "{c}: no docs/{c}.md");
            assert_eq!(get(c).map(|g| g.code), Some(r.code));
            assert_eq!(get(&c.to_ascii_lowercase()).map(|g| g.code), Some(r.code));
        }
        assert!(get("BI999").is_none() && get("").is_none());
        assert_eq!(crate::rules().len(), all.len());
    }

    /// Every `.rs` file under `dir`, recursively.
    fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                sources(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    /// A code is declared (`Code("BI...")`) only in the family files (and the loader's
    /// BI100-BI109 in `load`), so no module can keep a private table or a second const.
    #[test]
    fn codes_are_declared_only_in_the_registry() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&src, &mut files);
        let mut declared = HashSet::new();
        for f in files {
            let rel = f
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&f).unwrap();
            for (i, _) in text.match_indices("Code(\"BI") {
                let code = text.get(i + 6..i + 11).unwrap_or("");
                if code.len() < 5 || !code[2..].bytes().all(|b| b.is_ascii_digit()) {
                    continue; // this test's own needle
                }
                let home = rel.starts_with("rules/") || (rel.starts_with("load") && code < "BI110");
                assert!(home, "{code} declared in {rel}, outside the registry");
                assert!(declared.insert(code.to_string()), "{code} declared twice");
                assert!(get(code).is_some(), "{code} declared but not registered");
            }
        }
        assert_eq!(
            declared.len(),
            all().len(),
            "a registered code with no const"
        );
    }

    /// The text of `path` without its tests (`tests.rs` files and whatever follows a
    /// `#[cfg(test)]`), which name codes to assert on them.
    fn non_test_text(path: &Path) -> String {
        if path.file_name().is_some_and(|n| n == "tests.rs") {
            return String::new();
        }
        let text = std::fs::read_to_string(path).unwrap();
        match text.find("#[cfg(test)]") {
            Some(i) => text[..i].to_owned(),
            None => text,
        }
    }

    /// The `CODE_*` identifiers named in `text`.
    fn code_idents(text: &str) -> HashSet<String> {
        let mut out = HashSet::new();
        for (i, _) in text.match_indices("CODE_") {
            let before = text[..i].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let ident: String = text[i..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            out.insert(ident);
        }
        out
    }

    /// One home per shared rule: a rule that both `validate` and `audit` report builds its
    /// findings in its family file (a constructor returning [`Finding`]), so neither side
    /// names its code; every such rule has a same-mistake case in
    /// `tests/fixtures/same/<CODE>` (run by `tests/same_mistake.rs`).
    #[test]
    fn shared_rules_are_built_once_and_have_a_same_mistake_case() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let named_in = |dir: &str| {
            let mut files = Vec::new();
            sources(&src.join(dir), &mut files);
            files
                .iter()
                .flat_map(|f| code_idents(&non_test_text(f)))
                .collect::<HashSet<_>>()
        };
        let (validate, audit) = (named_in("validate"), named_in("audit"));
        let mut both: Vec<&String> = validate.intersection(&audit).collect();
        both.sort();
        assert!(
            both.is_empty(),
            "validate and audit both name {both:?}: build the finding once, in its family file, with a constructor returning `rules::Finding`"
        );
        let mut family_files = Vec::new();
        sources(&src.join("rules"), &mut family_files);
        let mut shared = HashSet::new();
        for f in &family_files {
            let text = std::fs::read_to_string(f).unwrap();
            for (i, _) in text.match_indices("Finding::new(") {
                let ident: String = text[i + 13..]
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                if ident.starts_with("CODE_") {
                    shared.insert(ident);
                }
            }
        }
        let named_outside = validate.union(&audit).cloned().collect::<HashSet<_>>();
        let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/same");
        for ident in &shared {
            assert!(
                !named_outside.contains(ident),
                "{ident} has a shared constructor, but validate or audit also builds it by hand"
            );
            let code = all()
                .iter()
                .find(|r| {
                    family_files.iter().any(|f| {
                        std::fs::read_to_string(f)
                            .unwrap()
                            .contains(&format!("pub const {ident}: Code = Code(\"{}\")", r.code))
                    })
                })
                .map(|r| r.code.0)
                .unwrap_or_else(|| panic!("{ident} is not a registered code"));
            assert!(
                cases.join(code).join("spec.yaml").is_file() && cases.join(code).join("files").is_dir(),
                "{code} ({ident}) is reported by both front ends but has no case in tests/fixtures/same/{code}"
            );
        }
    }
}
