//! File imports of a Caddyfile (`import other.caddy`, `import sites/*`): followed far
//! enough to find a cycle (Caddy refuses one: caddyconfig/caddyfile/importgraph.go), a
//! chain deeper than [`MAX_IMPORT_DEPTH`], or more than [`MAX_IMPORTED_FILES`] files,
//! each reported as BI314 at the `import` in the audited file. Snippet imports are
//! [`super::caddyfile::import_problems`].

use std::path::{Path, PathBuf};

use super::{caddyfile, Deployment, FileId};
use crate::diagnostic::Severity;
use crate::rules::health::CODE_UNPARSABLE;

/// How deep Caddyfile file imports are followed.
const MAX_IMPORT_DEPTH: usize = 16;
/// How many imported files one Caddyfile's imports may read in all.
const MAX_IMPORTED_FILES: usize = 256;

/// BI314: a file `import` of Caddyfile `id` that leads back to a file being imported (a
/// cycle, which Caddy refuses: caddyconfig/caddyfile/importgraph.go), nests deeper than
/// [`MAX_IMPORT_DEPTH`], or reads more than [`MAX_IMPORTED_FILES`] files. Paths are
/// relative to the importing file's directory; a `*` or `?` in the last component is a
/// glob. Imported files are read through [`crate::input`], and only followed, not
/// audited.
pub(crate) fn check(d: &mut Deployment, id: FileId, path: &Path, text: &str) {
    let Ok(toks) = caddyfile::tokenize(text) else {
        return;
    };
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let mut budget = MAX_IMPORTED_FILES;
    for arg in caddyfile::file_imports(&toks) {
        let mut stack = vec![canon(path)];
        let problem = import_targets(path, &arg.text)
            .into_iter()
            .find_map(|t| import_chain(&t, &mut stack, &mut budget, &canon));
        if let Some(message) = problem {
            let dg = d.diag(
                Severity::Error,
                CODE_UNPARSABLE,
                id,
                Some(arg.at),
                "",
                message,
                "remove the import that leads back; `caddy adapt --config FILE` shows what Caddy reads".into(),
            );
            d.diags.push(dg);
        }
    }
}

/// Follows the imports of `target` (imported by the last file of `stack`).
fn import_chain(
    target: &Path,
    stack: &mut Vec<PathBuf>,
    budget: &mut usize,
    canon: &dyn Fn(&Path) -> PathBuf,
) -> Option<String> {
    let c = canon(target);
    if stack.contains(&c) {
        return Some(format!(
            "`{}` is imported again while it is being imported (an import cycle: Caddy refuses the file)",
            target.display()
        ));
    }
    if stack.len() > MAX_IMPORT_DEPTH {
        return Some(format!(
            "imports nested deeper than {MAX_IMPORT_DEPTH} files"
        ));
    }
    if *budget == 0 {
        return Some(format!(
            "the imports read more than {MAX_IMPORTED_FILES} files"
        ));
    }
    *budget -= 1;
    let text = crate::input::read_text_lossy(target).ok()?;
    let toks = caddyfile::tokenize(&text).ok()?;
    stack.push(c);
    for arg in caddyfile::file_imports(&toks) {
        for t in import_targets(target, &arg.text) {
            if let Some(m) = import_chain(&t, stack, budget, canon) {
                return Some(m);
            }
        }
    }
    stack.pop();
    None
}

/// The files an `import PATTERN` of file `from` names (relative to its directory; a
/// glob in the last component is matched against that directory's entries).
fn import_targets(from: &Path, pattern: &str) -> Vec<PathBuf> {
    let base = from.parent().unwrap_or(Path::new("."));
    let p = base.join(pattern);
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if !name.contains(['*', '?']) {
        return vec![p];
    }
    let dir = p.parent().unwrap_or(Path::new("."));
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|r| {
            r.filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_str().is_some_and(|f| glob_match(name, f)))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// `*` (any run) and `?` (one character) matching, as Go's filepath.Match for them.
fn glob_match(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < n.len() {
        if i < p.len() && (p[i] == '?' || p[i] == n[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}
