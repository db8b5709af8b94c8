//! The build context: the files of a context directory that `.dockerignore` does not
//! exclude, as a tar stream sent to the engine's build endpoint in chunks (never held in
//! memory whole).
//!
//! Hand-written because it must mirror one consumer exactly: the Docker CLI, which reads
//! `.dockerignore` with moby's `patternmatcher/ignorefile.ReadAll` and filters the context
//! with `patternmatcher.MatchesOrParentMatches` before it sends it (the classic builder,
//! which the Engine API's `POST /build` runs, never sees the excluded files). From those
//! sources:
//! - a line starting with `#` is a comment; lines are trimmed; an empty line is skipped; a
//!   leading `!` makes an exception (an excluded path included again); a pattern is
//!   `filepath.Clean`ed and a leading `/` dropped;
//! - `*` matches any run of characters but `/`, `?` one character but `/`, `[...]` a class
//!   (`[!...]` or `[^...]` negated), `\` escapes the next character, `**` any number of
//!   directories (also none), and a trailing `**` everything below;
//! - a path is excluded when the last pattern that matches it or one of its parent
//!   directories is not an exception;
//! - the Dockerfile and `.dockerignore` itself are always sent (the CLI adds `!` exceptions
//!   for them), so a pattern cannot break the build by excluding its Dockerfile.

use std::io::Write;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use regex::Regex;
use tokio::sync::mpsc;

/// One compiled `.dockerignore` line.
#[derive(Debug)]
struct Pattern {
    regex: Regex,
    exception: bool,
}

/// The compiled `.dockerignore` of a context (empty when it has none).
#[derive(Debug, Default)]
pub(crate) struct Ignore {
    patterns: Vec<Pattern>,
}

/// A `.dockerignore` line that cannot be compiled, with its 1-based line number.
#[derive(Debug, thiserror::Error)]
#[error(".dockerignore:{line}: {reason}")]
pub(crate) struct IgnoreError {
    line: usize,
    reason: String,
}

impl Ignore {
    /// Compiles the text of a `.dockerignore`, then the exceptions for the files the CLI
    /// always sends (`dockerfile`, relative to the context, and `.dockerignore`).
    pub(crate) fn parse(text: &str, dockerfile: &str) -> Result<Ignore, IgnoreError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut patterns = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            if raw.starts_with('#') {
                continue;
            }
            let line = raw.trim();
            if line.is_empty() {
                continue;
            }
            let (exception, pattern) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            if exception && pattern.is_empty() {
                // moby: `illegal exclusion pattern: "!"`.
                return Err(IgnoreError {
                    line: i + 1,
                    reason:
                        "`!` alone excludes nothing: an exception needs a pattern (`!keep.txt`)"
                            .into(),
                });
            }
            let pattern = clean(pattern);
            let regex = compile(&pattern).map_err(|reason| IgnoreError {
                line: i + 1,
                reason: format!("pattern `{pattern}`: {reason}"),
            })?;
            patterns.push(Pattern { regex, exception });
        }
        let mut ignore = Ignore { patterns };
        for always in [".dockerignore", &clean(dockerfile)] {
            if ignore.excludes(always) {
                let regex = compile(&escape_glob(always)).expect("an escaped literal compiles");
                ignore.patterns.push(Pattern {
                    regex,
                    exception: true,
                });
            }
        }
        Ok(ignore)
    }

    /// Whether `path` (relative to the context, `/`-separated) is left out: the last
    /// pattern matching it or a parent directory decides (`MatchesOrParentMatches`).
    pub(crate) fn excludes(&self, path: &str) -> bool {
        let mut excluded = false;
        for p in &self.patterns {
            // As moby: an exception only matters once excluded, an exclusion only before.
            if p.exception != excluded {
                continue;
            }
            let hit = p.regex.is_match(path) || parents(path).any(|dir| p.regex.is_match(dir));
            if hit {
                excluded = !p.exception;
            }
        }
        excluded
    }

    /// Whether any exception pattern exists (then an excluded directory is still walked:
    /// an exception may include something below it).
    fn has_exceptions(&self) -> bool {
        self.patterns.iter().any(|p| p.exception)
    }
}

/// The parent directories of `path`, shortest first (`a`, `a/b` for `a/b/c`).
fn parents(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

/// Go's `filepath.Clean` on a `/`-separated pattern, then a leading `/` dropped.
fn clean(pattern: &str) -> String {
    let absolute = pattern.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in pattern.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    if joined.is_empty() {
        ".".into()
    } else {
        joined
    }
}

/// A literal path as a pattern that matches only itself.
fn escape_glob(path: &str) -> String {
    let mut out = String::new();
    for c in path.chars() {
        if matches!(c, '*' | '?' | '[' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A pattern as an anchored regular expression, as moby's `Pattern.compile` builds it.
fn compile(pattern: &str) -> Result<Regex, String> {
    let mut re = String::from("^");
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' if chars.get(i + 1) == Some(&'*') => {
                i += 1;
                if chars.get(i + 1) == Some(&'/') {
                    i += 1;
                }
                if i + 1 >= chars.len() {
                    re.push_str(".*");
                } else {
                    re.push_str("(.*/)?");
                }
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '\\' => {
                i += 1;
                let c = chars.get(i).ok_or("a trailing `\\` escapes nothing")?;
                re.push_str(&regex::escape(&c.to_string()));
            }
            '[' => {
                let end = chars[i + 1..]
                    .iter()
                    .enumerate()
                    .skip(1)
                    .find(|(_, c)| **c == ']')
                    .map(|(j, _)| i + 1 + j)
                    .ok_or("a `[` class has no closing `]`")?;
                re.push('[');
                for (k, c) in chars[i + 1..end].iter().enumerate() {
                    match c {
                        '!' | '^' if k == 0 => re.push('^'),
                        '-' => re.push('-'),
                        c if !c.is_ascii_punctuation() => re.push(*c),
                        // Any other character is literal (Rust's classes give `[`, `&&`,
                        // `--` and `~~` meanings Go's lack).
                        c => {
                            re.push('\\');
                            re.push(*c);
                        }
                    }
                }
                re.push(']');
                i = end;
            }
            c => re.push_str(&regex::escape(&c.to_string())),
        }
        i += 1;
    }
    re.push('$');
    Regex::new(&re).map_err(|e| e.to_string())
}

/// The chunk size of the stream (64 KiB).
const CHUNK: usize = 64 * 1024;

/// A `Write` that sends what it is given to the engine's request body in chunks.
struct ChunkSender {
    tx: mpsc::Sender<std::io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl Write for ChunkSender {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::other("the engine stopped reading the build context"))
    }
}

/// What streaming a context produces: the body for the engine, and the task that walks
/// the directory (its result says whether the context was read whole).
pub(crate) struct ContextStream {
    /// The chunks, for `bollard::body_try_stream`.
    pub(crate) body: mpsc::Receiver<std::io::Result<Bytes>>,
    /// The walker; `Err` when a file could not be read (the body then ends with that error).
    pub(crate) walker: tokio::task::JoinHandle<std::io::Result<u64>>,
}

/// Starts streaming the context directory `dir` as a tar archive, without what
/// `.dockerignore` excludes. Errors: `.dockerignore` unreadable or with a bad pattern.
pub(crate) fn stream(dir: &Path, dockerfile: &str) -> Result<ContextStream, String> {
    let ignore = match std::fs::read_to_string(dir.join(".dockerignore")) {
        Ok(text) => Ignore::parse(&text, dockerfile).map_err(|e| e.to_string())?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ignore::default(),
        Err(e) => return Err(format!(".dockerignore: {e}")),
    };
    let (tx, rx) = mpsc::channel(8);
    let dir = dir.to_path_buf();
    let walker = tokio::task::spawn_blocking(move || {
        let err_tx = tx.clone();
        let result = write_tar(&dir, &ignore, tx);
        if let Err(e) = &result {
            let _ = err_tx.blocking_send(Err(std::io::Error::new(e.kind(), e.to_string())));
        }
        result
    });
    Ok(ContextStream { body: rx, walker })
}

/// Writes the archive of `dir` into `tx`; returns the number of entries.
fn write_tar(
    dir: &Path,
    ignore: &Ignore,
    tx: mpsc::Sender<std::io::Result<Bytes>>,
) -> std::io::Result<u64> {
    let mut b = tar::Builder::new(ChunkSender {
        tx,
        buf: Vec::with_capacity(CHUNK),
    });
    b.follow_symlinks(false);
    let mut count = 0;
    let mut stack: Vec<PathBuf> = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(dir.join(&rel))?.collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = rel.join(entry.file_name());
            let name = path.to_string_lossy().into_owned();
            let kind = entry.file_type()?;
            let excluded = ignore.excludes(&name);
            if kind.is_dir() {
                if !excluded {
                    b.append_dir(&path, entry.path())?;
                    count += 1;
                }
                if !excluded || ignore.has_exceptions() {
                    stack.push(path);
                }
            } else if !excluded && (kind.is_file() || kind.is_symlink()) {
                b.append_path_with_name(entry.path(), &path)?;
                count += 1;
            }
            // Sockets, FIFOs and devices are never part of a context (as the CLI).
        }
    }
    b.into_inner()?.flush()?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignore(text: &str) -> Ignore {
        Ignore::parse(text, "Dockerfile").unwrap()
    }

    #[test]
    fn patterns_match_as_moby_matches_them() {
        let i = ignore("# comment\nnode_modules\n*.log\n/secrets\n**/.env\ndocs/**\n");
        for excluded in [
            "node_modules",
            "node_modules/a/b.js",
            "debug.log",
            "secrets/db",
            ".env",
            "app/.env",
            "a/b/.env",
            "docs/x/y",
        ] {
            assert!(i.excludes(excluded), "{excluded} should be excluded");
        }
        for kept in [
            "src/main.ts",
            "app/debug.log",
            "app/node_modules2",
            "docs",
            ".envrc",
            "# comment",
        ] {
            assert!(!i.excludes(kept), "{kept} should be kept");
        }
    }

    #[test]
    fn the_last_matching_pattern_wins_and_exceptions_reinclude() {
        let i = ignore("*.md\n!README.md\nREADME.md\n!docs/README.md\n");
        assert!(i.excludes("CHANGES.md"));
        assert!(i.excludes("README.md"), "re-excluded by the later pattern");
        let i = ignore("dist\n!dist/keep.txt\n");
        assert!(i.excludes("dist/a.js"));
        assert!(!i.excludes("dist/keep.txt"));
        assert!(i.has_exceptions());
    }

    #[test]
    fn classes_escapes_and_question_marks() {
        let i = ignore("file[0-9].txt\nlog[!a].txt\nx?\nlit\\*\n");
        assert!(i.excludes("file7.txt") && !i.excludes("filea.txt"));
        assert!(i.excludes("logb.txt") && !i.excludes("loga.txt"));
        assert!(i.excludes("xy") && !i.excludes("x/") && !i.excludes("xyz"));
        assert!(i.excludes("lit*") && !i.excludes("litx"));
    }

    #[test]
    fn the_dockerfile_and_dockerignore_are_always_sent() {
        let i = Ignore::parse("*\n", "docker/api.Dockerfile").unwrap();
        assert!(!i.excludes(".dockerignore"));
        assert!(!i.excludes("docker/api.Dockerfile"));
        assert!(i.excludes("docker/other"));
        assert!(i.excludes("src"));
    }

    #[test]
    fn patterns_are_cleaned_like_filepath_clean() {
        assert_eq!(clean("/a/./b/../c/"), "a/c");
        assert_eq!(clean("./x"), "x");
        assert_eq!(clean("../x"), "../x");
        assert_eq!(clean("/"), ".");
        let e = Ignore::parse("ok\n!\n", "Dockerfile").unwrap_err();
        assert!(
            e.to_string().starts_with(".dockerignore:2: `!` alone"),
            "{e}"
        );
        let e = Ignore::parse("ok\nbad[\n", "Dockerfile").unwrap_err();
        assert!(
            e.to_string().starts_with(".dockerignore:2: pattern `bad[`"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn the_stream_holds_exactly_the_files_not_excluded() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for f in [
            "Dockerfile",
            "src/main.js",
            "node_modules/x/index.js",
            "app.log",
            "keep/a",
        ] {
            std::fs::create_dir_all(d.join(f).parent().unwrap()).unwrap();
            std::fs::write(d.join(f), f).unwrap();
        }
        std::fs::write(d.join(".dockerignore"), "node_modules\n*.log\nDockerfile\n").unwrap();
        let big = vec![7u8; 3 * CHUNK + 5];
        std::fs::write(d.join("keep/big.bin"), &big).unwrap();
        let mut s = stream(d, "Dockerfile").unwrap();
        let mut tar_bytes = Vec::new();
        let mut chunks = 0;
        while let Some(chunk) = s.body.recv().await {
            tar_bytes.extend_from_slice(&chunk.unwrap());
            chunks += 1;
        }
        s.walker.await.unwrap().unwrap();
        assert!(chunks > 3, "streamed in chunks, not whole: {chunks}");
        let mut names: Vec<String> = tar::Archive::new(&tar_bytes[..])
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                ".dockerignore",
                "Dockerfile",
                "keep",
                "keep/a",
                "keep/big.bin",
                "src",
                "src/main.js"
            ]
        );
    }
}
