//! The long explanation of every rule (`src/rules/docs/BIxxx.md`, printed by
//! `banatie-infra rules BI301`) is checked and its examples are run:
//!
//! - every rule of [`rules::all`] has a doc, titled `# BIxxx: <kebab-case-name>` with its
//!   own code, and with the four sections `## What it finds`, `## Why it matters`,
//!   `## Example` and `## Use instead`, each non-empty, and the registry's explanation is
//!   that file;
//! - the fenced blocks of `## Example` form one deployment directory, those of
//!   `## Use instead` another: each block's info string names its file (```` ```yaml
//!   file=spec.yaml ````). A directory with a `spec.yaml` is loaded and validated as
//!   `banatie-infra validate` does (a load error counts: BI1xx); any other is audited as
//!   `banatie-infra audit` does. The rule's code must be reported for the example and
//!   must not be for the fix;
//! - a block may say `mode=0600` (the file's mode; default 0644), `dir` (create a
//!   directory at its path instead of a file: the block's text is ignored) or
//!   `pad=17MiB` (append `#` comment lines until the file has that many bytes: the
//!   input limits are measured on big files, generated here rather than written out);
//! - a section whose blocks say `no-run` is not run: the live rules (BI6xx) need a
//!   running Docker engine and the output-root rules (BI7xx) a render into a root, so
//!   their families may be `no-run`; any other doc that is must give a line starting
//!   with `No-run:` saying why. The test prints how many sections it ran and skipped.
//!
//! The Markdown is read by `pulldown-cmark`, as a CommonMark viewer reads it, so a fence
//! the test sees is one a reader sees.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use banatie_infra_core::audit::{audit, AuditInput};
use banatie_infra_core::diagnostic::Diagnostic;
use banatie_infra_core::load::{load_path, LoadError};
use banatie_infra_core::rules;
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Parser, Tag, TagEnd};

const DOCS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/rules/docs");

/// The four sections every doc has, in order.
const SECTIONS: [&str; 4] = ["What it finds", "Why it matters", "Example", "Use instead"];

/// One fenced block: the file it stands for and how to create it.
#[derive(Debug, Default)]
struct Block {
    file: String,
    text: String,
    mode: u32,
    dir: bool,
    pad: Option<u64>,
    no_run: bool,
}

/// One `##` section: its prose and its blocks.
#[derive(Debug, Default)]
struct Section {
    heading: String,
    prose: String,
    blocks: Vec<Block>,
}

/// A doc read as CommonMark: its `#` title and its `##` sections, in order.
#[derive(Debug, Default)]
struct Doc {
    title: String,
    sections: Vec<Section>,
}

impl Doc {
    fn section(&self, heading: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.heading == heading)
    }
}

/// `17MiB`, `512KiB`, `100` (bytes).
fn size(s: &str) -> Result<u64, String> {
    let (n, mult) = if let Some(n) = s.strip_suffix("MiB") {
        (n, 1 << 20)
    } else if let Some(n) = s.strip_suffix("KiB") {
        (n, 1 << 10)
    } else {
        (s, 1)
    };
    n.parse::<u64>()
        .map(|n| n * mult)
        .map_err(|e| format!("size {s:?}: {e}"))
}

/// The block an info string (`yaml file=spec.yaml mode=0600`) describes.
fn block(info: &str) -> Result<Block, String> {
    let mut b = Block {
        mode: 0o644,
        ..Default::default()
    };
    for word in info.split_whitespace().skip(1) {
        match word.split_once('=') {
            Some(("file", f)) => b.file = f.to_owned(),
            Some(("mode", m)) => {
                b.mode = u32::from_str_radix(m, 8).map_err(|e| format!("mode {m:?}: {e}"))?
            }
            Some(("pad", p)) => b.pad = Some(size(p)?),
            None if word == "no-run" => b.no_run = true,
            None if word == "dir" => b.dir = true,
            _ => return Err(format!("unknown word {word:?} in info string {info:?}")),
        }
    }
    if b.file.is_empty() {
        return Err(format!("info string {info:?} names no file= "));
    }
    let p = Path::new(&b.file);
    if p.is_absolute() || p.components().any(|c| c.as_os_str() == "..") {
        return Err(format!("file={} must be relative and stay inside", b.file));
    }
    Ok(b)
}

fn parse(text: &str) -> Result<Doc, String> {
    let mut doc = Doc::default();
    let mut heading: Option<(HeadingLevel, String)> = None;
    let mut code: Option<Block> = None;
    for event in Parser::new(text) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => heading = Some((level, String::new())),
            Event::End(TagEnd::Heading(_)) => {
                let (level, h) = heading.take().expect("a heading was started");
                match level {
                    HeadingLevel::H1 if doc.title.is_empty() && doc.sections.is_empty() => {
                        doc.title = h
                    }
                    HeadingLevel::H2 => doc.sections.push(Section {
                        heading: h,
                        ..Default::default()
                    }),
                    _ => return Err(format!("unexpected heading {level:?} {h:?}")),
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let CodeBlockKind::Fenced(info) = kind else {
                    return Err("an indented code block: fence it and name its file".into());
                };
                code = Some(block(&info)?);
            }
            Event::End(TagEnd::CodeBlock) => {
                let b = code.take().expect("a code block was started");
                let section = doc
                    .sections
                    .last_mut()
                    .ok_or("a code block before any section")?;
                section.blocks.push(b);
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, h)) = heading.as_mut() {
                    h.push_str(&t);
                } else if let Some(b) = code.as_mut() {
                    b.text.push_str(&t);
                } else if let Some(s) = doc.sections.last_mut() {
                    s.prose.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(s) = doc.sections.last_mut().filter(|_| code.is_none()) {
                    s.prose.push('\n');
                }
            }
            Event::End(TagEnd::Paragraph | TagEnd::Item) => {
                if let Some(s) = doc.sections.last_mut() {
                    s.prose.push('\n');
                }
            }
            _ => {}
        }
    }
    Ok(doc)
}

/// Writes the section's blocks under `dir`.
fn write(section: &Section, dir: &Path) {
    for b in &section.blocks {
        let path = dir.join(&b.file);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        if b.dir {
            fs::create_dir_all(&path).unwrap();
            continue;
        }
        let mut text = b.text.clone();
        if let Some(pad) = b.pad {
            let line = format!("# {}\n", "x".repeat(1000));
            while (text.len() as u64) < pad {
                text.push_str(&line);
            }
        }
        fs::write(&path, text).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(b.mode)).unwrap();
    }
}

/// What `validate` (a `spec.yaml`) or `audit` (anything else) reports for `dir`.
fn check(dir: &Path) -> Vec<Diagnostic> {
    let spec = dir.join("spec.yaml");
    if spec.exists() {
        return match load_path(&spec) {
            Err(LoadError::Invalid(d)) => vec![*d],
            Err(e) => vec![e.to_diagnostic()],
            Ok(loaded) => {
                let mut d = banatie_infra_core::validate::validate(&loaded.spec);
                loaded.source.annotate(&mut d);
                d
            }
        };
    }
    let input = AuditInput {
        dir: Some(dir.to_path_buf()),
        ..Default::default()
    };
    match audit(&input) {
        Ok(a) => a.diagnostics,
        Err(e) => panic!("audit of {}: {e}", dir.display()),
    }
}

/// The codes (and messages, for the failure report) reported for `section`.
fn run(section: &Section) -> (BTreeSet<String>, Vec<String>) {
    let tmp = tempfile::Builder::new()
        .prefix("banatie-rule-doc-")
        .tempdir()
        .unwrap();
    write(section, tmp.path());
    let d = check(tmp.path());
    let codes = d.iter().map(|d| d.code.0.to_owned()).collect();
    let lines = d
        .iter()
        .map(|d| format!("  {} {}", d.code.0, d.message))
        .collect();
    (codes, lines)
}

/// May this code's doc be `no-run` without a `No-run:` line? The live rules need an
/// engine, the output-root rules a render into a root.
fn no_run_family(code: &str) -> bool {
    code.starts_with("BI6") || code.starts_with("BI7")
}

/// Checks one doc; returns whether its sections ran (`true`) or were skipped.
fn check_doc(code: &str, failures: &mut Vec<String>) -> Option<bool> {
    let path = Path::new(DOCS).join(format!("{code}.md"));
    let Ok(text) = fs::read_to_string(&path) else {
        failures.push(format!("{code}: no doc at {}", path.display()));
        return None;
    };
    // Without the `docker` feature the registry has no live (BI6xx) rules; their docs are
    // still checked for their format.
    if rules::get(code).is_some_and(|rule| rule.explanation != text) {
        failures.push(format!(
            "{code}: the registry's explanation is not {code}.md"
        ));
    }
    let doc = match parse(&text) {
        Ok(d) => d,
        Err(e) => {
            failures.push(format!("{code}: {e}"));
            return None;
        }
    };
    let name = doc.title.strip_prefix(&format!("{code}: ")).unwrap_or("");
    let kebab = !name.is_empty()
        && name.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if !kebab {
        failures.push(format!(
            "{code}: title {:?} is not `{code}: <kebab-case-name>`",
            doc.title
        ));
    }
    let headings: Vec<&str> = doc.sections.iter().map(|s| s.heading.as_str()).collect();
    if headings != SECTIONS {
        failures.push(format!("{code}: sections {headings:?}, not {SECTIONS:?}"));
        return None;
    }
    for s in &doc.sections {
        if s.prose.trim().is_empty() && s.blocks.is_empty() {
            failures.push(format!("{code}: section {:?} is empty", s.heading));
        }
    }
    let example = doc.section("Example").unwrap();
    let fix = doc.section("Use instead").unwrap();
    for s in [example, fix] {
        if s.blocks.is_empty() {
            failures.push(format!("{code}: {:?} has no fenced block", s.heading));
            return None;
        }
    }
    let no_run = [example, fix]
        .iter()
        .flat_map(|s| &s.blocks)
        .any(|b| b.no_run);
    if no_run {
        let reason = doc
            .sections
            .iter()
            .flat_map(|s| s.prose.lines())
            .any(|l| l.trim_start().starts_with("No-run:") && l.len() > "No-run: ".len() + 5);
        if !no_run_family(code) && !reason {
            failures.push(format!(
                "{code}: its examples are no-run, but it is not a live or output-root rule \
                 and gives no `No-run:` line saying why"
            ));
        }
        return Some(false);
    }
    let (codes, lines) = run(example);
    if !codes.contains(code) {
        failures.push(format!(
            "{code}: its Example does not report {code}; it reports:\n{}",
            if lines.is_empty() {
                "  nothing".to_owned()
            } else {
                lines.join("\n")
            }
        ));
    }
    let (codes, lines) = run(fix);
    if codes.contains(code) {
        failures.push(format!(
            "{code}: its Use instead still reports {code}:\n{}",
            lines.join("\n")
        ));
    }
    Some(true)
}

#[test]
fn every_rule_has_a_doc_whose_examples_fail_and_pass() {
    let mut failures = Vec::new();
    let (mut ran, mut skipped) = (Vec::new(), Vec::new());
    let mut codes: Vec<&str> = rules::all().iter().map(|r| r.code.0).collect();
    if !cfg!(feature = "docker") {
        codes.extend(live_docs());
    }
    for code in codes {
        match check_doc(code, &mut failures) {
            Some(true) => ran.push(code),
            Some(false) => skipped.push(code),
            None => {}
        }
    }
    println!(
        "rule docs: {} of {} run (Example and Use instead), {} no-run: {}",
        ran.len(),
        ran.len() + skipped.len(),
        skipped.len(),
        skipped.join(" ")
    );
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The codes of the live rules' docs (`BI6xx.md`), which the registry lists only with the
/// `docker` feature.
fn live_docs() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = doc_codes()
        .into_iter()
        .filter(|c| c.starts_with("BI6"))
        .map(|c| &*String::leak(c))
        .collect();
    v.sort_unstable();
    v
}

/// The code of every `BIxxx.md` in the docs directory.
fn doc_codes() -> Vec<String> {
    fs::read_dir(DOCS)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".md").map(str::to_owned)
        })
        .collect()
}

/// No doc is left over for a code the registry does not have (a renumbered or removed
/// rule keeps no stale page); the live rules' docs need the `docker` feature's registry.
#[test]
fn every_doc_is_a_rule() {
    for code in doc_codes() {
        if code.starts_with("BI6") && !cfg!(feature = "docker") {
            continue;
        }
        assert!(rules::get(&code).is_some(), "{code}.md: no rule {code}");
    }
}

/// The test's own reading of the format: a fence's info string, a misplaced block.
#[test]
fn the_doc_format_is_read_strictly() {
    let b = block("sh file=scripts/backup.sh mode=0755 pad=1KiB").unwrap();
    assert_eq!(
        (b.file.as_str(), b.mode, b.pad),
        ("scripts/backup.sh", 0o755, Some(1024))
    );
    assert!(block("yaml").is_err(), "no file=");
    assert!(block("yaml file=../x").is_err(), "escapes the directory");
    assert!(block("yaml file=/etc/x").is_err(), "absolute");
    assert!(block("yaml file=x sudo").is_err(), "unknown word");
    let d = parse("# BI999: x\n## Example\n```yaml file=a.yaml\nk: v\n```\ntext\n").unwrap();
    assert_eq!(d.title, "BI999: x");
    assert_eq!(d.sections[0].blocks[0].text, "k: v\n");
    assert!(
        parse("```yaml file=a\n```\n").is_err(),
        "block before any section"
    );
}
