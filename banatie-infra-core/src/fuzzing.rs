//! Entry points for the fuzz targets (`banatie-infra-core/fuzz/`) and their regression
//! test (`tests/fuzz_regressions.rs`): one function per parser, each taking arbitrary
//! bytes, running that parser the way the audit or the loader runs it, and asserting its
//! properties. A violated property panics with a message naming it, so libFuzzer keeps
//! the input as a crash, and the regression test fails on it.
//!
//! Properties checked, beyond "does not panic":
//!
//! - every position a parser reports (a token, a finding, a parse error) lies within the
//!   input: line 1 to the input's line count, column 1 to one past the line's length
//!   (counted in bytes, so character and byte columns are both accepted);
//! - a spec that loads and validates without errors renders, twice the same, and every
//!   rendered file is read back by the reader that consumes it (the Compose file as YAML,
//!   env files by [`crate::envfile`], the Caddyfile by the audit's Caddyfile parser, JSON
//!   by `serde_json`, scripts without an unclosed quote); a loaded spec survives a JSON
//!   round trip through [`crate::load::from_json_value`];
//! - an interpolation template written back (literals escaped, references as written)
//!   parses to the same pieces;
//! - no value of the audited `secrets.env` (at least [`crate::redact::MIN_REGISTERED`]
//!   characters) appears in the audit's human or JSON report.
//!
//! Not part of the public API: hidden from the docs, and may change with the parsers.

use crate::audit::{caddyfile, compose, env, interp, shell, sql, tree};
use crate::audit::{Deployment, FileKind, SrcFile};
use crate::diagnostic::{Diagnostic, Location};
use crate::load::Format;

/// A fuzz entry point: runs one parser on the bytes and asserts its properties.
pub type Target = fn(&[u8]);

/// Every fuzz entry point by target name (the name of its `fuzz_targets/*.rs` file and of
/// its folder under `tests/fixtures/fuzz/`).
pub const TARGETS: &[(&str, Target)] = &[
    ("spec_yaml", spec_yaml),
    ("spec_toml", spec_toml),
    ("spec_json", spec_json),
    ("compose", compose),
    ("envfile", envfile),
    ("env_audit", env_audit),
    ("caddyfile", caddyfile),
    ("shell", shell),
    ("sql", sql),
    ("interp", interp),
    ("audit_files", audit_files),
    ("s3json", s3json),
    ("dockerfile", dockerfile),
];

/// The line lengths (bytes, without `\n`) of `text`: what a position must lie within.
struct Lines(Vec<usize>);

impl Lines {
    fn of(text: &str) -> Self {
        Self(text.split('\n').map(str::len).collect())
    }

    /// Panics unless `loc` is within the text.
    fn check(&self, loc: Location, what: &str) {
        assert!(
            loc.line >= 1 && loc.line <= self.0.len(),
            "{what}: line {} outside the input's {} lines",
            loc.line,
            self.0.len()
        );
        let len = self.0[loc.line - 1];
        assert!(
            loc.column >= 1 && loc.column <= len + 1,
            "{what}: column {} outside line {} of {len} bytes",
            loc.column,
            loc.line
        );
    }

    fn check_opt(&self, loc: Option<Location>, what: &str) {
        if let Some(l) = loc {
            self.check(l, what);
        }
    }

    /// Every diagnostic located in `file` (or in any file when `file` is `None`).
    fn check_diags(&self, diags: &[Diagnostic], file: Option<&str>) {
        for d in diags {
            if let Some(span) = &d.span {
                if file.is_none_or(|f| f == span.file) {
                    self.check_opt(span.location, &format!("{} `{}`", d.code.0, d.message));
                }
            }
        }
    }
}

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// A deployment in memory holding `text` as its one file.
fn deployment(name: &str, text: &str, kind: FileKind) -> Deployment {
    let mut d = Deployment::default();
    d.files.push(SrcFile {
        name: name.to_owned(),
        path: std::path::PathBuf::from(name),
        text: text.to_owned(),
        mode: 0o600,
        kind,
        redact: vec![],
        line_starts: std::sync::OnceLock::new(),
    });
    d
}

fn spec(data: &[u8], format: Format) {
    let text = text(data);
    let lines = Lines::of(&text);
    let loaded = match crate::load::load_str(&text, format, "fuzz") {
        Ok(l) => l,
        Err(e) => {
            lines.check_diags(&[e.to_diagnostic()], None);
            return;
        }
    };
    let spec = &loaded.spec;
    let json = serde_json::to_value(spec).expect("a loaded spec serializes");
    let back = crate::load::from_json_value(&json).expect("a serialized spec loads again");
    assert_eq!(&back, spec, "a spec survives a JSON round trip");
    let diags = crate::validate::validate(spec);
    let mut located = diags.clone();
    loaded.source.annotate(&mut located);
    lines.check_diags(&located, None);
    let _ = crate::diagnostic::render_human(&located, &[("fuzz", &text)], false);
    let _ = crate::render::render_unchecked(spec);
    let rendered = crate::render::render(spec);
    if crate::diagnostic::has_errors(&diags) {
        return;
    }
    let bundle = rendered.expect("a spec without errors renders");
    let again = crate::render::render(spec).expect("a spec that rendered renders again");
    assert_eq!(bundle, again, "rendering is deterministic");
    for f in &bundle.files {
        reload(&f.path, &f.contents);
    }
}

/// Reads a rendered file back with the reader its consumer uses.
fn reload(path: &str, contents: &[u8]) {
    let Ok(t) = std::str::from_utf8(contents) else {
        panic!("rendered `{path}` is not UTF-8");
    };
    let name = path.rsplit('/').next().unwrap_or(path);
    if name.ends_with(".yml") || name.ends_with(".yaml") {
        if let Err(e) = crate::load::parse_tree(t, Format::Yaml, path) {
            panic!("rendered `{path}` does not parse as YAML: {e}");
        }
    } else if name.ends_with(".json") {
        if let Err(e) = serde_json::from_str::<serde_json::Value>(t) {
            panic!("rendered `{path}` is not JSON: {e}");
        }
    } else if name.starts_with(".env") || name.contains(".env.") || name.ends_with(".env") {
        if let Err(e) = crate::envfile::parse(t) {
            panic!("rendered `{path}` does not parse as an env file: {e:?}");
        }
    } else if name == "Caddyfile" {
        if let Err(e) = caddyfile::parse(t) {
            panic!("rendered `{path}` does not parse as a Caddyfile: {e:?}");
        }
    } else if name.ends_with(".sh") {
        let s = shell::scan(t);
        assert!(
            s.unclosed.is_none(),
            "rendered `{path}`: {:?} unclosed",
            s.unclosed
        );
    }
}

/// A spec in YAML: see the module docs.
pub fn spec_yaml(data: &[u8]) {
    spec(data, Format::Yaml);
}

/// A spec in TOML: see the module docs.
pub fn spec_toml(data: &[u8]) {
    spec(data, Format::Toml);
}

/// A spec in JSON: see the module docs.
pub fn spec_json(data: &[u8]) {
    spec(data, Format::Json);
}

fn check_tree(lines: &Lines, y: &tree::Y) {
    lines.check_opt(y.loc, "a Compose node");
    match &y.kind {
        tree::Kind::Seq(items) => items.iter().for_each(|i| check_tree(lines, i)),
        tree::Kind::Map(entries) => {
            for (k, v) in entries {
                lines.check_opt(k.loc, "a Compose key");
                check_tree(lines, v);
            }
        }
        _ => {}
    }
}

/// A Compose file: parsed as the audit parses it, interpolated (no variables set), and
/// read into services; every node, key, service and finding within the input.
pub fn compose(data: &[u8]) {
    let text = text(data);
    let lines = Lines::of(&text);
    let node = match crate::load::parse_tree(&text, Format::Yaml, "compose.yaml") {
        Ok(n) => n,
        Err(e) => {
            lines.check_diags(&[e.to_diagnostic()], None);
            return;
        }
    };
    let raw = tree::Y::from_node(&node, 0);
    check_tree(&lines, &raw);
    let mut d = deployment("compose.yaml", &text, FileKind::Compose);
    d.compose_file = Some(0);
    let interpolated = env::interpolate_compose(&mut d, &raw);
    lines.check_diags(&d.diags, None);
    let project = compose::project(&interpolated);
    for s in &project.services {
        lines.check_opt(s.at.loc, "a service");
        if let Some((_, at)) = &s.image {
            lines.check_opt(at.loc, "an image");
        }
        for v in &s.volumes {
            lines.check_opt(v.at.loc, "a volume");
        }
    }
}

/// An env file by [`crate::envfile::parse`]: every entry and error within the input,
/// entries in order, each spanning one line more than its value has line breaks.
pub fn envfile(data: &[u8]) {
    let text = text(data);
    let lines = Lines::of(&text);
    match crate::envfile::parse(&text) {
        Err(e) => lines.check(e.location, "an env-file error"),
        Ok(entries) => {
            let mut last = 0;
            for e in &entries {
                lines.check(e.location, "an env entry");
                let (a, b) = e.lines;
                assert!(a < b && b <= lines.0.len(), "entry lines {a}..{b}");
                assert!(a >= last, "entries out of order");
                assert_eq!(a + 1, e.location.line, "an entry starts on its first line");
                last = b;
                assert!(!e.key.is_empty(), "an entry without a name");
                let spans = b - a;
                let breaks = e.raw_value.matches('\n').count();
                assert_eq!(
                    spans,
                    breaks + 1,
                    "an entry over {spans} lines whose value holds {breaks} line breaks"
                );
            }
        }
    }
}

/// An env file as the audit reads it, as a project `.env` and as `secrets.env`, with the
/// env-file rules run on it: every finding within the input.
pub fn env_audit(data: &[u8]) {
    let text = text(data);
    let lines = Lines::of(&text);
    for (name, project) in [(".env", true), ("secrets.env", false)] {
        let mut d = deployment(name, &text, FileKind::EnvFile);
        env::load(&mut d, 0, project);
        if project {
            d.project_env = d.env_files.len().checked_sub(1);
        }
        d.interp_env = env::interpolation_env(&d);
        let mut out = std::mem::take(&mut d.diags);
        for ef in &d.env_files {
            env::check(&d, ef, &mut out);
        }
        lines.check_diags(&out, None);
    }
}

/// A Caddyfile: tokens, blocks, import problems and sites as the audit reads them, every
/// position within the input.
pub fn caddyfile(data: &[u8]) {
    let text = text(data);
    let lines = Lines::of(&text);
    match caddyfile::tokenize(&text) {
        Err(e) => lines.check(e.at, "a Caddyfile token error"),
        Ok(toks) => {
            for t in &toks {
                lines.check(t.at, "a Caddyfile token");
                assert!(t.end_line >= t.at.line && t.end_line <= lines.0.len());
            }
        }
    }
    let blocks = match caddyfile::parse(&text) {
        Ok(b) => b,
        Err(e) => {
            lines.check(e.at, "a Caddyfile parse error");
            return;
        }
    };
    fn directives(lines: &Lines, ds: &[caddyfile::Directive]) {
        for d in ds {
            lines.check(d.name.at, "a directive");
            d.args.iter().for_each(|a| lines.check(a.at, "an argument"));
            if let Some(b) = &d.block {
                directives(lines, b);
            }
        }
    }
    for b in &blocks {
        b.addresses
            .iter()
            .for_each(|a| lines.check(a.at, "an address"));
        directives(&lines, &b.directives);
    }
    for (at, _) in caddyfile::import_problems(&blocks) {
        lines.check(at, "an import problem");
    }
    for s in caddyfile::sites(&blocks) {
        lines.check(s.at, "a site");
        s.domain_at.iter().for_each(|a| lines.check(*a, "a domain"));
        s.proxies.iter().for_each(|p| lines.check(p.at, "a proxy"));
    }
}

/// A shell script: every word, redirect, separator and finding of every shell rule
/// within the input, as a job and as a sourced script.
pub fn shell(data: &[u8]) {
    let text = text(data);
    let lines = Lines::of(&text);
    let script = shell::scan(&text);
    for c in &script.cmds {
        c.words.iter().for_each(|w| lines.check(w.at, "a word"));
        for r in &c.redirects {
            lines.check(r.at, "a redirect");
            lines.check(r.target.at, "a redirect target");
        }
        lines.check(c.sep_at, "a separator");
    }
    if let Some((at, _)) = script.unclosed {
        lines.check(at, "an unclosed quote");
    }
    let mut found = Vec::new();
    for (errexit, exit_status_matters) in [(false, true), (true, true), (false, false)] {
        let run = shell::RunAs {
            errexit,
            exit_status_matters,
        };
        shell::masked_failures(&script, run, &mut found);
    }
    shell::retired_mc(&script, &mut found);
    shell::backups(&script, &mut found);
    shell::syntax(&script, &mut found);
    found
        .iter()
        .for_each(|f| lines.check(f.at, "a shell finding"));
    for (at, _) in shell::anonymous_targets(&script) {
        lines.check(at, "an anonymous target");
    }
    let _ = (shell::anonymous_read(&script), shell::made_bucket(&script));
}

/// Init SQL: every token of every statement within the input, the statements' effects and
/// the BI510 reading of them too.
pub fn sql(data: &[u8]) {
    let text = text(data);
    let lines = Lines::of(&text);
    let stmts = sql::scan(&text);
    for s in &stmts {
        assert!(!s.toks.is_empty(), "a statement without tokens");
        s.toks
            .iter()
            .for_each(|t| lines.check(t.at, "an SQL token"));
    }
    let e = sql::effects(&stmts);
    for superuser in [None, Some("postgres")] {
        for (at, _) in sql::roles_without_schema_create(&e, superuser) {
            lines.check(at, "a role without CREATE");
        }
    }
}

/// The template written back: literals with `$` escaped as `$$`, references as written.
fn unparse(chars: &[char], pieces: &[interp::Piece]) -> String {
    let mut out = String::new();
    for p in pieces {
        match p {
            interp::Piece::Lit(s) => out.push_str(&s.replace('$', "$$")),
            interp::Piece::Ref(r) => out.extend(&chars[r.start..r.start + r.len]),
        }
    }
    out
}

/// The pieces with adjacent literals joined and reference offsets cleared, for comparing.
fn normal(pieces: Vec<interp::Piece>) -> Vec<interp::Piece> {
    let mut out: Vec<interp::Piece> = Vec::new();
    for p in pieces {
        match (out.last_mut(), p) {
            (Some(interp::Piece::Lit(a)), interp::Piece::Lit(b)) => a.push_str(&b),
            (_, interp::Piece::Ref(mut r)) => {
                r.start = 0;
                out.push(interp::Piece::Ref(r));
            }
            (_, p) => out.push(p),
        }
    }
    out
}

/// Compose interpolation: a template's references lie within it and start at `$`, the
/// template written back parses to the same pieces, and expansion stays within
/// the interpolation bound (`MAX_VALUE`, 1 MiB).
pub fn interp(data: &[u8]) {
    let text = text(data);
    let Ok(pieces) = interp::parse(&text) else {
        return;
    };
    let chars: Vec<char> = text.chars().collect();
    for p in &pieces {
        if let interp::Piece::Ref(r) = p {
            assert!(r.len >= 2, "a reference of {} characters", r.len);
            assert!(r.start + r.len <= chars.len(), "a reference past the end");
            assert_eq!(chars[r.start], '$', "a reference not at `$`");
        }
    }
    let again = unparse(&chars, &pieces);
    let reparsed = interp::parse(&again).unwrap_or_else(|e| panic!("{again:?}: {e:?}"));
    assert_eq!(
        normal(reparsed),
        normal(pieces.clone()),
        "{text:?} written back as {again:?}"
    );
    let budget = interp::Budget::default();
    for value in [None, Some(""), Some("v$x")] {
        if let Ok(s) = interp::expand(&pieces, &|_| value, &budget) {
            assert!(s.len() <= interp::MAX_VALUE, "an expansion past the bound");
        }
    }
}

/// The whole audit of a deployment directory: the input split at NUL bytes into a
/// Compose file, a project `.env`, a `secrets.env`, a Caddyfile and a shell script,
/// written to a scratch directory and audited. Every finding lies within its file, and no
/// value of `secrets.env` shows in the human or JSON report when the audit read it.
pub fn audit_files(data: &[u8]) {
    const NAMES: [&str; 5] = [
        "docker-compose.yml",
        ".env",
        "secrets.env",
        "Caddyfile",
        "backup.sh",
    ];
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("banatie-fuzz-audit-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("a scratch directory");
        d
    });
    let mut parts = data.split(|&b| b == 0);
    for name in NAMES {
        std::fs::write(dir.join(name), parts.next().unwrap_or_default()).expect("written");
    }
    crate::redact::clear();
    let input = crate::audit::AuditInput {
        dir: Some(dir.clone()),
        ..Default::default()
    };
    let Ok(audit) = crate::audit::audit(&input) else {
        return;
    };
    for f in &audit.files {
        let text = std::fs::read(&f.path)
            .map(|b| self::text(&b))
            .unwrap_or_default();
        Lines::of(&text).check_diags(&audit.diagnostics, Some(&f.path));
    }
    // Values of a `secrets.env` the audit did not read (no service names it) are not
    // known to it as secrets.
    if !audit.files.iter().any(|f| f.path.ends_with("/secrets.env")) {
        return;
    }
    let secrets_text = std::fs::read(dir.join("secrets.env")).unwrap_or_default();
    let Ok(entries) = crate::envfile::parse(&self::text(&secrets_text)) else {
        return;
    };
    let human = crate::diagnostic::render_human(&audit.diagnostics, &audit.sources(), false);
    let json = crate::diagnostic::render_json(&audit.diagnostics);
    for e in entries {
        // The value as the audit registers it ([`crate::redact::register`]).
        let v = e.value.as_str();
        // A value inside the marker, or holding its angle brackets, can match across it.
        if v.chars().count() < crate::redact::MIN_REGISTERED
            || crate::redact::MARKER.contains(v)
            || v.contains(['<', '>', '\n', '\r'])
            || crate::validate::is_placeholder(v)
            || v.contains('$')
        {
            continue;
        }
        assert!(
            !human.contains(v),
            "secret {v:?} in the human report:\n{human}"
        );
        assert!(!json.contains(v), "secret {v:?} in the JSON report");
    }
}

/// A scratch directory of this process for target `name`, with `files` (path relative to
/// it, contents) written; the audit of it, given `scripts` as extra scripts, or `None` when
/// the audit could not run. Every finding lies within its file.
fn audit_scratch(
    name: &str,
    files: &[(&str, &[u8])],
    scripts: &[&str],
) -> Option<crate::audit::Audit> {
    let dir = std::env::temp_dir().join(format!("banatie-fuzz-{name}-{}", std::process::id()));
    for (path, bytes) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("a parent")).expect("a scratch directory");
        std::fs::write(&p, bytes).expect("written");
    }
    crate::redact::clear();
    let input = crate::audit::AuditInput {
        dir: Some(dir.clone()),
        scripts: scripts.iter().map(|s| dir.join(s)).collect(),
        ..Default::default()
    };
    let audit = crate::audit::audit(&input).ok()?;
    for f in &audit.files {
        let text = std::fs::read(&f.path)
            .map(|b| self::text(&b))
            .unwrap_or_default();
        Lines::of(&text).check_diags(&audit.diagnostics, Some(&f.path));
    }
    Some(audit)
}

/// The JSON files an init script hands to `mc` (the input split at NUL bytes into a
/// lifecycle configuration for `mc ilm rule import`, a bucket policy for `mc anonymous
/// set-json` and an IAM policy for `mc admin policy create`), read by the audit as `mc`
/// reads them: every finding within its file, and a file that is not JSON is a finding
/// (BI529), never a silent pass.
pub fn s3json(data: &[u8]) {
    const SCRIPT: &[u8] = b"#!/bin/sh\nset -eu\nmc alias set local http://minio:9000 \"$U\" \"$P\"\nmc mb --ignore-existing local/media\nmc ilm rule import local/media < ../minio/lifecycle.json\nmc anonymous set-json ../minio/public.json local/media\nmc admin policy create local app-rw ../minio/app-policy.json\n";
    const NAMES: [&str; 3] = [
        "minio/lifecycle.json",
        "minio/public.json",
        "minio/app-policy.json",
    ];
    let mut parts = data.split(|&b| b == 0);
    let mut files: Vec<(&str, &[u8])> = vec![("scripts/minio-init.sh", SCRIPT)];
    for name in NAMES {
        files.push((name, parts.next().unwrap_or_default()));
    }
    let Some(audit) = audit_scratch("s3json", &files, &["scripts/minio-init.sh"]) else {
        return;
    };
    for (name, bytes) in &files[1..] {
        // Go's encoding/json, which `mc` reads with, takes invalid UTF-8 in a string as
        // U+FFFD; so does the audit.
        let parses =
            serde_json::from_str::<serde_json::Value>(&String::from_utf8_lossy(bytes)).is_ok();
        let flagged = audit.diagnostics.iter().any(|d| {
            d.span
                .as_ref()
                .is_some_and(|s| s.file.ends_with(name) || s.file.ends_with("minio-init.sh"))
        });
        assert!(
            parses || flagged,
            "{name} is not JSON, yet the audit says nothing of it"
        );
    }
}

/// The Dockerfile of a build context (the input), read by the audit as `docker build`
/// reads it: every finding within the file.
pub fn dockerfile(data: &[u8]) {
    const COMPOSE: &[u8] = b"services:\n  app:\n    build: ./app\n";
    let _ = audit_scratch(
        "dockerfile",
        &[("compose.yaml", COMPOSE), ("app/Dockerfile", data)],
        &[],
    );
}
