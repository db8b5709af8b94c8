//! A small POSIX shell scanner and the rules on shell scripts. Reading: the scanner
//! ([`scan`](scan::scan)) and the model it produces (here). Checks, each over a scanned
//! [`Script`]: failures that are masked (BI312) and scripts the shell refuses (BI316) in
//! [`failures`], retired `mc` commands (BI507) in [`mc`] (with what a script does with
//! `mc`, which other checks and the import read), backups that can leave a file that
//! looks like a backup (BI508) and backup directories that are never created (BI509) in
//! [`backups`](mod@backups).
//!
//! The scanner is not a shell: it splits a script into simple commands (words with their
//! 1-based line and column, redirections) joined by `|`, `&&`, `||`, `;`, `&` and newlines.
//! It understands quotes, backslashes, comments, line continuations, command substitutions
//! (`$(...)` and backticks: kept inside their word as written, and their own commands
//! scanned too, up to [`scan::MAX_DEPTH`] levels, placed before the command that holds them
//! with their [`SimpleCmd::depth`]) and here-documents (skipped). Compound commands are
//! seen as commands whose first words are reserved words (`if`, `then`, `do`, ...), which
//! [`SimpleCmd::name_index`] skips. That is enough to recognise the patterns the rules look
//! for, and it never executes anything.

mod backups;
mod failures;
mod mc;
mod scan;

pub(crate) use backups::backups;
pub(crate) use failures::{masked_failures, syntax};
pub(crate) use mc::{anonymous_read, anonymous_targets, made_bucket, retired_mc};
pub(crate) use scan::scan;

use crate::diagnostic::Location;

/// One word of a command, after quote removal (`$(...)` and `${...}` are kept as written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    /// The text after quote removal.
    pub(crate) text: String,
    /// Where the word starts in the script (1-based).
    pub(crate) at: Location,
}

/// A redirection of a command: the operator (`>`, `>>`, `<`, `<<`, ...) and its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Redirect {
    /// The operator, without a file-descriptor number.
    pub(crate) op: String,
    /// The target word (for a here-document, its delimiter).
    pub(crate) target: Word,
    /// Where the operator is.
    pub(crate) at: Location,
}

/// What follows a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sep {
    /// End of line or of the script.
    End,
    /// `;` or `;;`.
    Semi,
    /// `&`.
    Amp,
    /// `|`.
    Pipe,
    /// `&&`.
    And,
    /// `||`.
    Or,
}

/// A simple command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SimpleCmd {
    /// Its words, in order (assignments and reserved words included).
    pub(crate) words: Vec<Word>,
    /// Its redirections.
    pub(crate) redirects: Vec<Redirect>,
    /// The operator after it.
    pub(crate) sep: Sep,
    /// Where that operator is (for `End`, the end of the command).
    pub(crate) sep_at: Location,
    /// How many command substitutions (`$(...)`, `` `...` ``) this command runs inside: 0
    /// for a command of the script itself. The commands of a substitution come right
    /// before the command whose word holds it, as the shell runs them.
    pub(crate) depth: u8,
    /// Whether its exit status reaches the script: always for a command of the script;
    /// for a command of a substitution, only when the substitution is a plain assignment
    /// (`out=$(pg_dump ...)`, whose status is the substitution's, so `set -e` sees it).
    /// In the arguments of another command (`echo "$(pg_dump ...)"`) the status is lost.
    pub(crate) status_kept: bool,
}

const RESERVED: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "for", "case", "esac", "!",
    "{", "}", "(", ")", "in",
];

impl SimpleCmd {
    /// The index of the command name: the first word that is neither a reserved word nor
    /// an assignment (`NAME=value`).
    pub(crate) fn name_index(&self) -> Option<usize> {
        name_index(&self.words)
    }

    /// The command name (the basename of the first real word).
    pub(crate) fn name(&self) -> Option<&str> {
        let w = &self.words[self.name_index()?];
        Some(w.text.rsplit('/').next().unwrap_or(&w.text))
    }

    /// The words from the command name on.
    pub(crate) fn argv(&self) -> &[Word] {
        match self.name_index() {
            Some(i) => &self.words[i..],
            None => &[],
        }
    }

    /// Where the command starts.
    pub(crate) fn at(&self) -> Location {
        self.words
            .first()
            .map(|w| w.at)
            .or_else(|| self.redirects.first().map(|r| r.at))
            .unwrap_or(self.sep_at)
    }
}

/// The index of the command name among `words`: the first word that is neither a
/// reserved word nor an assignment (`NAME=value`).
pub(super) fn name_index(words: &[Word]) -> Option<usize> {
    words.iter().position(|w| {
        !RESERVED.contains(&w.text.as_str()) && !is_assignment(&w.text) && !w.text.ends_with(')')
    })
}

/// Whether `w` is an assignment word (`NAME=value`).
pub(super) fn is_assignment(w: &str) -> bool {
    match w.find('=') {
        Some(i) if i > 0 => w[..i]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_'),
        _ => false,
    }
}

/// A scanned script.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Script {
    /// The commands in order.
    pub(crate) cmds: Vec<SimpleCmd>,
    /// The interpreter flags of a `#!` line (for example `-e` in `#!/bin/sh -e`).
    pub(crate) shebang_flags: Vec<String>,
    /// The first quote, backquote, `$(` or `${` that is never closed (where it opens,
    /// and what it is): the shell refuses the whole script ("unterminated quoted
    /// string", "end of file unexpected").
    pub(crate) unclosed: Option<(Location, &'static str)>,
}

/// Whether `cmd` is `set` turning on errexit (`set -e`, `set -eu`, `set -o errexit`, ...).
pub(crate) fn sets_errexit(cmd: &SimpleCmd) -> bool {
    let argv = cmd.argv();
    if argv.first().map(|w| w.text.as_str()) != Some("set") {
        return false;
    }
    let mut words = argv[1..].iter().map(|w| w.text.as_str()).peekable();
    while let Some(w) = words.next() {
        if w == "-o" && words.peek() == Some(&"errexit") {
            return true;
        }
        if w.starts_with('-') && !w.starts_with("--") && w[1..].contains('e') {
            return true;
        }
    }
    false
}

/// Whether interpreter flags (`sh -eu`, `#!/bin/sh -e`) turn on errexit.
pub(crate) fn flags_errexit<'a>(flags: impl IntoIterator<Item = &'a str>) -> bool {
    flags
        .into_iter()
        .any(|f| f.starts_with('-') && !f.starts_with("--") && f[1..].contains('e'))
}

/// A finding in a script, in script coordinates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    /// Which rule.
    pub(crate) code: crate::Code,
    /// Error or warning.
    pub(crate) severity: crate::Severity,
    /// Where in the script.
    pub(crate) at: Location,
    /// What is wrong.
    pub(crate) message: String,
    /// How to fix it.
    pub(crate) help: String,
}

/// How a script is run, which decides what its failures mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RunAs {
    /// The interpreter is started with errexit (`sh -e`, `sh -eu`).
    pub(crate) errexit: bool,
    /// The script is the whole job of a one-shot container, or an operator script (a
    /// backup): its exit status is what tells success from failure. False for scripts the
    /// PostgreSQL entrypoint sources (its own `set -e` applies).
    pub(crate) exit_status_matters: bool,
}

#[cfg(test)]
mod test_support {
    use super::{backups, masked_failures, retired_mc, scan, Finding, RunAs};

    /// The findings of BI312, BI507, BI508 and BI509 on `text`.
    pub(super) fn run(text: &str, run: RunAs) -> Vec<Finding> {
        let s = scan(text);
        let mut out = Vec::new();
        masked_failures(&s, run, &mut out);
        retired_mc(&s, &mut out);
        backups(&s, &mut out);
        out
    }

    /// A one-shot job's script, run without errexit.
    pub(super) const JOB: RunAs = RunAs {
        errexit: false,
        exit_status_matters: true,
    };
}
