//! A small POSIX shell scanner and the rules on shell scripts: failures that are masked
//! (BI312), retired `mc` commands (BI507), backups that can leave a file that looks like a
//! backup (BI508) and backup directories that are never created (BI509).
//!
//! The scanner is not a shell: it splits a script into simple commands (words with their
//! 1-based line and column, redirections) joined by `|`, `&&`, `||`, `;`, `&` and newlines.
//! It understands quotes, backslashes, comments, line continuations, `$(...)` and backticks
//! (kept inside one word, not scanned) and here-documents (skipped). Compound commands are
//! seen as commands whose first words are reserved words (`if`, `then`, `do`, ...), which
//! [`SimpleCmd::name_index`] skips. That is enough to recognise the patterns the rules look
//! for, and it never executes anything.

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
}

const RESERVED: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "for", "case", "esac", "!",
    "{", "}", "(", ")", "in",
];

impl SimpleCmd {
    /// The index of the command name: the first word that is neither a reserved word nor
    /// an assignment (`NAME=value`).
    pub(crate) fn name_index(&self) -> Option<usize> {
        self.words.iter().position(|w| {
            !RESERVED.contains(&w.text.as_str())
                && !is_assignment(&w.text)
                && !w.text.ends_with(')')
        })
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

fn is_assignment(w: &str) -> bool {
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

struct Lexer<'a> {
    chars: Vec<char>,
    i: usize,
    line: usize,
    col: usize,
    /// Here-documents whose bodies start at the next newline: (delimiter, strip tabs).
    pending_heredocs: Vec<(String, bool)>,
    _text: &'a str,
}

impl Lexer<'_> {
    fn peek(&self, k: usize) -> Option<char> {
        self.chars.get(self.i + k).copied()
    }

    fn loc(&self) -> Location {
        Location {
            line: self.line,
            column: self.col,
        }
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.get(self.i).copied()?;
        self.i += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    /// After a newline: skip the bodies of pending here-documents.
    fn skip_heredocs(&mut self) {
        let docs = std::mem::take(&mut self.pending_heredocs);
        for (delim, strip) in docs {
            loop {
                if self.i >= self.chars.len() {
                    return;
                }
                let mut line = String::new();
                while let Some(c) = self.peek(0) {
                    self.bump();
                    if c == '\n' {
                        break;
                    }
                    line.push(c);
                }
                let l = line.trim_end_matches('\r');
                let l = if strip { l.trim_start_matches('\t') } else { l };
                if l == delim {
                    break;
                }
            }
        }
    }

    /// Reads `$(...)` (the `$(` already consumed) into `buf`, nested parentheses and quotes
    /// included.
    fn read_subst(&mut self, buf: &mut String, close: char) -> bool {
        let open = if close == ')' { '(' } else { '{' };
        let mut depth = 1;
        while let Some(c) = self.bump() {
            buf.push(c);
            match c {
                '\\' => {
                    if let Some(n) = self.bump() {
                        buf.push(n);
                    }
                }
                '\'' => {
                    let mut closed = false;
                    while let Some(n) = self.bump() {
                        buf.push(n);
                        if n == '\'' {
                            closed = true;
                            break;
                        }
                    }
                    if !closed {
                        return false;
                    }
                }
                '"' => {
                    let mut closed = false;
                    while let Some(n) = self.bump() {
                        buf.push(n);
                        if n == '\\' {
                            if let Some(m) = self.bump() {
                                buf.push(m);
                            }
                        } else if n == '"' {
                            closed = true;
                            break;
                        }
                    }
                    if !closed {
                        return false;
                    }
                }
                c if c == open => depth += 1,
                c if c == close => {
                    depth -= 1;
                    if depth == 0 {
                        return true;
                    }
                }
                _ => {}
            }
        }
        false
    }
}

/// Scans `text` as a POSIX shell script. Never fails: text it cannot make sense of is
/// read as words.
// The word-state flags are reset at the end of every word, the last time included.
#[allow(unused_assignments)]
pub(crate) fn scan(text: &str) -> Script {
    let mut lx = Lexer {
        chars: text.chars().collect(),
        i: 0,
        line: 1,
        col: 1,
        pending_heredocs: Vec::new(),
        _text: text,
    };
    let mut script = Script::default();
    if text.starts_with("#!") {
        let first = text.lines().next().unwrap_or("");
        script.shebang_flags = first
            .split_whitespace()
            .skip(1)
            .filter(|w| w.starts_with('-'))
            .map(str::to_owned)
            .collect();
    }
    let mut words: Vec<Word> = Vec::new();
    let mut redirects: Vec<Redirect> = Vec::new();
    // A redirection operator waiting for its target word.
    let mut pending_redirect: Option<(String, Location)> = None;
    let mut cur = String::new();
    let mut cur_at: Option<Location> = None;
    let mut cur_raw_quoted = false;

    macro_rules! end_word {
        () => {
            if let Some(at) = cur_at.take() {
                let w = Word {
                    text: std::mem::take(&mut cur),
                    at,
                };
                cur_raw_quoted = false;
                match pending_redirect.take() {
                    Some((op, rat)) => {
                        if op == "<<" || op == "<<-" {
                            lx.pending_heredocs.push((w.text.clone(), op == "<<-"));
                        }
                        redirects.push(Redirect {
                            op,
                            target: w,
                            at: rat,
                        });
                    }
                    None => words.push(w),
                }
            }
        };
    }
    macro_rules! end_cmd {
        ($sep:expr, $at:expr) => {
            end_word!();
            if !words.is_empty() || !redirects.is_empty() {
                script.cmds.push(SimpleCmd {
                    words: std::mem::take(&mut words),
                    redirects: std::mem::take(&mut redirects),
                    sep: $sep,
                    sep_at: $at,
                });
            } else if $sep != Sep::End {
                // `cmd\n|| other` is not valid shell, but keep the operator on the
                // previous command if there is one without one.
                if let Some(last) = script.cmds.last_mut() {
                    if last.sep == Sep::End {
                        last.sep = $sep;
                        last.sep_at = $at;
                    }
                }
            }
        };
    }

    while let Some(c) = lx.peek(0) {
        let at = lx.loc();
        match c {
            '\n' => {
                lx.bump();
                // A pipe or and-or operator at the end of a line continues the command
                // list on the next line; the command itself already ended.
                end_cmd!(Sep::End, at);
                lx.skip_heredocs();
            }
            ' ' | '\t' | '\r' => {
                lx.bump();
                end_word!();
            }
            '\\' if lx.peek(1) == Some('\n') => {
                lx.bump();
                lx.bump();
            }
            '\\' => {
                lx.bump();
                cur_at.get_or_insert(at);
                if let Some(n) = lx.bump() {
                    cur.push(n);
                }
            }
            '#' if cur_at.is_none() => {
                while let Some(n) = lx.peek(0) {
                    if n == '\n' {
                        break;
                    }
                    lx.bump();
                }
            }
            '\'' => {
                lx.bump();
                cur_at.get_or_insert(at);
                cur_raw_quoted = true;
                let mut closed = false;
                while let Some(n) = lx.bump() {
                    if n == '\'' {
                        closed = true;
                        break;
                    }
                    cur.push(n);
                }
                if !closed {
                    script.unclosed.get_or_insert((at, "`'`"));
                }
            }
            '"' => {
                lx.bump();
                cur_at.get_or_insert(at);
                cur_raw_quoted = true;
                let mut closed = false;
                while let Some(n) = lx.bump() {
                    match n {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => match lx.bump() {
                            Some(m @ ('"' | '\\' | '$' | '`')) => cur.push(m),
                            Some('\n') => {}
                            Some(m) => {
                                cur.push('\\');
                                cur.push(m);
                            }
                            None => {}
                        },
                        '$' if lx.peek(0) == Some('(') => {
                            // The `$` (just read).
                            let sub_at = Location {
                                line: lx.line,
                                column: lx.col - 1,
                            };
                            lx.bump();
                            cur.push_str("$(");
                            if !lx.read_subst(&mut cur, ')') {
                                script.unclosed.get_or_insert((sub_at, "`$(`"));
                            }
                        }
                        _ => cur.push(n),
                    }
                }
                if !closed {
                    script.unclosed.get_or_insert((at, "`\"`"));
                }
            }
            '`' => {
                lx.bump();
                cur_at.get_or_insert(at);
                cur.push('`');
                let mut closed = false;
                while let Some(n) = lx.bump() {
                    cur.push(n);
                    if n == '\\' {
                        if let Some(m) = lx.bump() {
                            cur.push(m);
                        }
                    } else if n == '`' {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    script.unclosed.get_or_insert((at, "backquote"));
                }
            }
            '$' if matches!(lx.peek(1), Some('(') | Some('{')) => {
                lx.bump();
                let open = lx.bump().unwrap_or('(');
                cur_at.get_or_insert(at);
                cur.push('$');
                cur.push(open);
                if !lx.read_subst(&mut cur, if open == '(' { ')' } else { '}' }) {
                    let what = if open == '(' { "`$(`" } else { "`${`" };
                    script.unclosed.get_or_insert((at, what));
                }
            }
            '|' => {
                lx.bump();
                if lx.peek(0) == Some('|') {
                    lx.bump();
                    end_cmd!(Sep::Or, at);
                } else {
                    end_cmd!(Sep::Pipe, at);
                }
            }
            '&' => {
                lx.bump();
                if lx.peek(0) == Some('&') {
                    lx.bump();
                    end_cmd!(Sep::And, at);
                } else if lx.peek(0) == Some('>') {
                    // bash `&>file`
                    lx.bump();
                    end_word!();
                    pending_redirect = Some((">".into(), at));
                } else {
                    end_cmd!(Sep::Amp, at);
                }
            }
            ';' => {
                lx.bump();
                if lx.peek(0) == Some(';') {
                    lx.bump();
                }
                end_cmd!(Sep::Semi, at);
            }
            '>' | '<' => {
                // A word made only of digits right before the operator is a descriptor.
                if cur_at.is_some() && !cur_raw_quoted && cur.bytes().all(|b| b.is_ascii_digit()) {
                    cur.clear();
                    cur_at = None;
                } else {
                    end_word!();
                }
                lx.bump();
                let mut op = c.to_string();
                while let Some(n) = lx.peek(0) {
                    if matches!(n, '>' | '<' | '&' | '|' | '-') && op.len() < 3 {
                        // `2>&1`: the `&` and the descriptor form the target below.
                        if n == '&' {
                            break;
                        }
                        op.push(n);
                        lx.bump();
                    } else {
                        break;
                    }
                }
                if lx.peek(0) == Some('&') {
                    lx.bump();
                    op.push('&');
                }
                pending_redirect = Some((op, at));
            }
            '(' | ')' if cur_at.is_none() => {
                lx.bump();
                cur_at = Some(at);
                cur.push(c);
                end_word!();
            }
            _ => {
                lx.bump();
                cur_at.get_or_insert(at);
                cur.push(c);
            }
        }
    }
    let end = lx.loc();
    end_cmd!(Sep::End, end);
    script
}

/// BI316: a quote, backquote, `$(` or `${` that is never closed: `sh` refuses the
/// script before running any of it (dash: "Syntax error: Unterminated quoted string").
pub(crate) fn syntax(script: &Script, out: &mut Vec<Finding>) {
    if let Some((at, what)) = script.unclosed {
        out.push(Finding {
            code: super::CODE_SHELL_SYNTAX,
            severity: crate::Severity::Error,
            at,
            message: format!("this {what} is never closed: the shell refuses the whole script (\"unterminated quoted string\" or \"end of file unexpected\"), so none of it runs"),
            help: "close it; `sh -n FILE` checks the syntax without running it".into(),
        });
    }
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

/// Commands after `||` that turn a failure into success.
fn masks(cmd: &SimpleCmd) -> Option<String> {
    let argv = cmd.argv();
    let name = cmd.name()?;
    match name {
        "echo" | "printf" | "true" | ":" => Some(format!("`|| {name}`")),
        "exit" | "return" if argv.get(1).is_none_or(|w| w.text == "0") => {
            Some(format!("`|| {name} 0`"))
        }
        _ => None,
    }
}

/// BI312: failures that are masked: `cmd || echo ...`, `|| true`, `|| exit 0`; `exit 0`
/// without errexit; and, for scripts whose exit status matters, no `set -e` at all.
pub(crate) fn masked_failures(script: &Script, run: RunAs, out: &mut Vec<Finding>) {
    use super::CODE_MASKED_FAILURE as CODE;
    let mut errexit = run.errexit || flags_errexit(script.shebang_flags.iter().map(String::as_str));
    let real: Vec<&SimpleCmd> = script
        .cmds
        .iter()
        .filter(|c| c.name_index().is_some())
        .collect();
    if !errexit && run.exit_status_matters && real.len() > 1 {
        let first_set = script.cmds.iter().position(sets_errexit);
        let first_real = script
            .cmds
            .iter()
            .position(|c| c.name_index().is_some() && !sets_errexit(c));
        let late = match (first_set, first_real) {
            (Some(s), Some(r)) => s > r,
            (None, _) => true,
            _ => false,
        };
        if late {
            if let Some(first) = real.first() {
                let last = real.last().and_then(|c| c.name()).unwrap_or("");
                out.push(Finding {
                    code: CODE,
                    severity: crate::Severity::Error,
                    at: first.at(),
                    message: format!(
                        "the script runs without `set -e`: a failing command does not stop it, and it exits with the status of its last command (`{last}`), so a failure looks like success"
                    ),
                    help: "start the script with `set -eu` (or run it with `sh -eu`)".into(),
                });
            }
        }
    }
    for (k, cmd) in script.cmds.iter().enumerate() {
        if sets_errexit(cmd) {
            errexit = true;
        }
        if cmd.sep == Sep::Or {
            if let Some(next) = script.cmds.get(k + 1) {
                if let Some(what) = masks(next) {
                    let name = cmd.name().unwrap_or("the command");
                    out.push(Finding {
                        code: CODE,
                        severity: crate::Severity::Error,
                        at: cmd.sep_at,
                        message: format!(
                            "{what} turns every failure of `{name}` into success: the script goes on and exits 0"
                        ),
                        help: "remove it and make the command idempotent instead (for example `mc mb --ignore-existing`); where one failure really means success, test for that failure and re-raise any other".into(),
                    });
                }
            }
        }
        let argv = cmd.argv();
        if argv.first().map(|w| w.text.as_str()) == Some("exit")
            && argv.get(1).is_none_or(|w| w.text == "0")
            && !errexit
            && run.exit_status_matters
            && k > 0
            && script.cmds[k - 1].sep != Sep::Or
        {
            out.push(Finding {
                code: CODE,
                severity: crate::Severity::Error,
                at: cmd.at(),
                message:
                    "`exit 0` without `set -e`: the script reports success whatever failed before"
                        .into(),
                help: "remove `exit 0` and run the script with `set -eu`, so a failure fails it"
                    .into(),
            });
        }
    }
}

/// The `mc` subcommands that were retired, with what replaced them.
const RETIRED_MC: &[(&[&str], &str, &str)] = &[
    (&["policy"], "mc anonymous", "`mc policy` was removed (it only prints a hint now, and still exits 0): nothing is made public"),
    (&["admin", "policy", "add"], "mc admin policy create", "`mc admin policy add` was renamed"),
    (&["admin", "policy", "set"], "mc admin policy attach", "`mc admin policy set` was replaced"),
    (&["admin", "policy", "unset"], "mc admin policy detach", "`mc admin policy unset` was replaced"),
    (&["admin", "user", "policy"], "mc admin policy entities", "`mc admin user policy` was removed"),
    (&["ilm", "import"], "mc ilm rule import", "`mc ilm import` moved under `mc ilm rule`"),
    (&["ilm", "export"], "mc ilm rule export", "`mc ilm export` moved under `mc ilm rule`"),
    (&["ilm", "add"], "mc ilm rule add", "`mc ilm add` moved under `mc ilm rule`"),
    (&["ilm", "edit"], "mc ilm rule edit", "`mc ilm edit` moved under `mc ilm rule`"),
    (&["ilm", "ls"], "mc ilm rule ls", "`mc ilm ls` moved under `mc ilm rule`"),
    (&["ilm", "rm"], "mc ilm rule rm", "`mc ilm rm` moved under `mc ilm rule`"),
    (&["config", "host"], "mc alias", "`mc config host` was removed"),
];

/// BI507: retired `mc` commands.
pub(crate) fn retired_mc(script: &Script, out: &mut Vec<Finding>) {
    for cmd in &script.cmds {
        if cmd.name() != Some("mc") {
            continue;
        }
        let argv = cmd.argv();
        // Skip global flags (`mc --quiet policy ...`).
        let sub: Vec<&str> = argv[1..]
            .iter()
            .map(|w| w.text.as_str())
            .filter(|w| !w.starts_with('-'))
            .collect();
        for (words, replacement, why) in RETIRED_MC {
            if sub.len() >= words.len() && sub[..words.len()] == **words {
                let mut help = format!("use `{replacement}`");
                if words == &["policy"] {
                    help = match sub.get(1).copied() {
                        Some("set") | Some("download") | Some("public") => "use `mc anonymous set download ALIAS/BUCKET/PREFIX` on the public prefix only".into(),
                        _ => "use `mc anonymous` (`mc anonymous set download ALIAS/BUCKET/PREFIX` on the public prefix only)".into(),
                    };
                }
                out.push(Finding {
                    code: super::CODE_RETIRED_MC,
                    severity: crate::Severity::Error,
                    at: cmd.words[cmd.name_index().unwrap_or(0)].at,
                    message: format!("`mc {}`: {why}", sub[..words.len()].join(" ")),
                    help,
                });
                break;
            }
        }
    }
}

/// Whether a script makes part of a bucket anonymously readable (`mc anonymous set
/// download|public ...` or `mc anonymous set-json`). Returns the target of the first one.
pub(crate) fn anonymous_read(script: &Script) -> Option<String> {
    for cmd in &script.cmds {
        if cmd.name() != Some("mc") {
            continue;
        }
        let sub: Vec<&str> = cmd.argv()[1..]
            .iter()
            .map(|w| w.text.as_str())
            .filter(|w| !w.starts_with('-'))
            .collect();
        match sub.as_slice() {
            ["anonymous", "set", "download" | "public", target, ..] => {
                return Some((*target).to_owned())
            }
            ["anonymous", "set-json", _, target, ..] => return Some((*target).to_owned()),
            _ => {}
        }
    }
    None
}

/// Every `mc anonymous set download|public ALIAS/BUCKET[/PREFIX]`: (where, target).
pub(crate) fn anonymous_targets(script: &Script) -> Vec<(Location, String)> {
    let mut out = Vec::new();
    for cmd in &script.cmds {
        if cmd.name() != Some("mc") {
            continue;
        }
        let sub: Vec<&Word> = cmd.argv()[1..]
            .iter()
            .filter(|w| !w.text.starts_with('-'))
            .collect();
        if let [a, s, p, target, ..] = sub.as_slice() {
            if a.text == "anonymous"
                && s.text == "set"
                && matches!(p.text.as_str(), "download" | "public")
            {
                out.push((cmd.argv()[0].at, target.text.clone()));
            }
        }
    }
    out
}

/// The first `mc mb ALIAS/BUCKET` of a script: (alias, bucket).
pub(crate) fn made_bucket(script: &Script) -> Option<(String, String)> {
    for cmd in &script.cmds {
        if cmd.name() != Some("mc") {
            continue;
        }
        let sub: Vec<&str> = cmd.argv()[1..]
            .iter()
            .map(|w| w.text.as_str())
            .filter(|w| !w.starts_with('-'))
            .collect();
        if let ["mb", target, ..] = sub.as_slice() {
            let (alias, bucket) = target.split_once('/')?;
            let bucket = bucket.trim_end_matches('/');
            return Some((alias.to_owned(), bucket.to_owned()));
        }
    }
    None
}

/// Programs whose standard output is a database dump.
const DUMPERS: &[&str] = &["pg_dump", "pg_dumpall", "mysqldump", "mariadb-dump"];

/// Whether `text` names a temporary file (so a later `mv` publishes it).
fn looks_temporary(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    ["tmp", "temp", "partial", ".part", "$$", "mktemp"]
        .iter()
        .any(|w| t.contains(w))
}

/// The directory part of a path word, if it has one.
fn parent_dir(path: &str) -> Option<&str> {
    let i = path.rfind('/')?;
    Some(if i == 0 { "/" } else { &path[..i] })
}

/// For `docker exec [OPTIONS] CONTAINER PROGRAM ...` with a terminal (`-t`, `-it`,
/// `--tty`): the option word and the program.
fn docker_exec_tty(cmd: &SimpleCmd) -> Option<(&Word, String)> {
    let argv = cmd.argv();
    if argv.first()?.text.rsplit('/').next() != Some("docker") || argv.get(1)?.text != "exec" {
        return None;
    }
    const WITH_VALUE: &[&str] = &[
        "-e",
        "-u",
        "-w",
        "--env",
        "--user",
        "--workdir",
        "--env-file",
        "--detach-keys",
    ];
    let mut tty = None;
    let mut j = 2;
    while j < argv.len() {
        let w = &argv[j].text;
        if !w.starts_with('-') {
            let program = argv.get(j + 1).map_or("the program", |p| p.text.as_str());
            let program = program.rsplit('/').next().unwrap_or(program).to_owned();
            return tty.map(|t| (t, program));
        }
        if w == "--tty" || (!w.starts_with("--") && w[1..].contains('t')) {
            tty = Some(&argv[j]);
        }
        j += if WITH_VALUE.contains(&w.as_str()) {
            2
        } else {
            1
        };
    }
    None
}

/// BI508 and BI509: backups that can leave a file that looks like a backup, and backup
/// directories that the script never creates.
pub(crate) fn backups(script: &Script, out: &mut Vec<Finding>) {
    use super::{CODE_BACKUP_DIRECTORY, CODE_UNSAFE_BACKUP};
    let pipefail = script.cmds.iter().any(|c| {
        let a = c.argv();
        a.first().map(|w| w.text.as_str()) == Some("set") && a.iter().any(|w| w.text == "pipefail")
    });
    let mut reported_dirs: Vec<String> = Vec::new();
    let mut k = 0;
    while k < script.cmds.len() {
        // One pipeline: cmds[k..=end].
        let mut end = k;
        while script.cmds[end].sep == Sep::Pipe && end + 1 < script.cmds.len() {
            end += 1;
        }
        let pipeline = &script.cmds[k..=end];
        let dump = pipeline.iter().find_map(|c| {
            let argv = c.argv();
            argv.iter()
                .position(|w| DUMPERS.contains(&w.text.rsplit('/').next().unwrap_or(&w.text)))
                .map(|i| (c, i))
        });
        if let Some((cmd, i)) = dump {
            let argv = cmd.argv();
            let dumper = argv[i]
                .text
                .rsplit('/')
                .next()
                .unwrap_or("pg_dump")
                .to_owned();
            if dumper.starts_with("pg_dump")
                && !argv[i..].iter().any(|w| {
                    w.text == "-U" || w.text.starts_with("-U") || w.text.starts_with("--username")
                })
                && !cmd.words.iter().any(|w| w.text.contains("PGUSER"))
            {
                out.push(Finding {
                    code: CODE_UNSAFE_BACKUP,
                    severity: crate::Severity::Error,
                    at: argv[i].at,
                    message: format!("`{dumper}` without `-U` connects as the operating-system user (`root` in `docker exec`), a role that does not exist: the dump fails"),
                    help: "name the role: `pg_dump -U \"$POSTGRES_USER\" ...`".into(),
                });
            }
            if end > k && !pipefail {
                out.push(Finding {
                    code: CODE_UNSAFE_BACKUP,
                    severity: crate::Severity::Error,
                    at: script.cmds[k].sep_at,
                    message: format!("the pipe hides the exit status of `{dumper}`: without `set -o pipefail` the pipeline succeeds when the dump fails"),
                    help: "run the script with bash and `set -euo pipefail`, or dump to a file first and compress it after".into(),
                });
            }
            // The redirect of the pipeline's output.
            let last = &script.cmds[end];
            if let Some(r) = last
                .redirects
                .iter()
                .find(|r| r.op == ">" || r.op == ">>" || r.op == ">|")
            {
                let target = &r.target.text;
                let moved_later = script.cmds[end + 1..]
                    .iter()
                    .any(|c| c.name() == Some("mv") && c.argv().iter().any(|w| w.text == *target));
                if !moved_later && !looks_temporary(target) {
                    out.push(Finding {
                        code: CODE_UNSAFE_BACKUP,
                        severity: crate::Severity::Error,
                        at: r.at,
                        message: format!("`{dumper}` output is redirected straight to its final name `{target}`: the shell creates the file before the dump runs, so a failed or cut dump leaves a file that looks like a backup"),
                        help: "write to a temporary file in the same directory, check the exit status (and that the file is not empty), then `mv` it to its final name".into(),
                    });
                }
            }
        }
        // `docker exec -t` whose output is a data stream (piped or redirected).
        for c in pipeline {
            let streams = c.sep == Sep::Pipe || c.redirects.iter().any(|r| r.op.starts_with('>'));
            if let (true, Some((tty, program))) = (streams, docker_exec_tty(c)) {
                out.push(Finding {
                    code: CODE_UNSAFE_BACKUP,
                    severity: crate::Severity::Error,
                    at: tty.at,
                    message: format!("`docker exec {}` gives `{program}` a terminal while its output is a data stream: the stream is mangled (line endings rewritten), and under cron there is no terminal to give", tty.text),
                    help: "drop `-t` (keep `-i` only if the program reads stdin)".into(),
                });
            }
        }
        // Files written into directories that are never created.
        for c in pipeline {
            let mut targets: Vec<&Word> = c
                .redirects
                .iter()
                .filter(|r| r.op.starts_with('>'))
                .map(|r| &r.target)
                .collect();
            if c.name() == Some("tar") {
                let argv = c.argv();
                for (j, w) in argv.iter().enumerate() {
                    let t = &w.text;
                    if t.starts_with('-')
                        && !t.starts_with("--")
                        && t.ends_with('f')
                        && t.contains('c')
                    {
                        if let Some(f) = argv.get(j + 1) {
                            targets.push(f);
                        }
                    }
                }
            }
            for t in targets {
                let Some(dir) = parent_dir(&t.text) else {
                    continue;
                };
                if !dir.starts_with('/') || dir.starts_with("/tmp") || dir.starts_with("/dev") {
                    continue;
                }
                let created = script.cmds.iter().any(|m| {
                    let a = m.argv();
                    (m.name() == Some("mkdir") || m.name() == Some("install"))
                        && a.iter().any(|w| {
                            let p = w.text.trim_end_matches('/');
                            p == dir || dir.starts_with(&format!("{p}/"))
                        })
                });
                if !created && !reported_dirs.iter().any(|d| d == dir) {
                    reported_dirs.push(dir.to_owned());
                    out.push(Finding {
                        code: CODE_BACKUP_DIRECTORY,
                        severity: crate::Severity::Warning,
                        at: t.at,
                        message: format!("the script writes into `{dir}`, which it never creates: the first run fails there"),
                        help: format!("create it first: `mkdir -p {dir}` (mode 0700: dumps hold every row)"),
                    });
                }
            }
        }
        k = end + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &Script) -> Vec<String> {
        s.cmds
            .iter()
            .map(|c| c.name().unwrap_or("-").to_owned())
            .collect()
    }

    #[test]
    fn unclosed_quotes_and_substitutions_are_syntax_errors() {
        for (text, line, col) in [
            ("echo 'a\necho b\n", 1, 6),
            ("set -e\necho \"a $(date\n", 2, 9),
            ("x=$(date\n", 1, 3),
            ("echo `date\n", 1, 6),
            ("echo ${HOME\n", 1, 6),
            ("echo \"a\" it's\n", 1, 12),
        ] {
            let s = scan(text);
            let mut f = Vec::new();
            syntax(&s, &mut f);
            assert_eq!(f.len(), 1, "{text:?}");
            assert_eq!((f[0].at.line, f[0].at.column), (line, col), "{text:?}");
            assert_eq!(f[0].code, crate::audit::CODE_SHELL_SYNTAX);
        }
        for text in [
            "echo 'a' \"b $(date) ${HOME}\" `id` $((1 + 2))\n",
            "cat <<EOF\nit's a body\nEOF\n# don't\necho a#b\n",
            "case x in a) echo a ;; esac\n",
        ] {
            let mut f = Vec::new();
            syntax(&scan(text), &mut f);
            assert!(f.is_empty(), "{text:?}: {f:?}");
        }
    }

    #[test]
    fn scans_operators_quotes_and_heredocs() {
        let s = scan("#!/bin/sh -e\na 'b c' \"d $(e f) g\" || echo x\ncat > /tmp/f <<'EOF'\n{ \"x\": 1 } || true\nEOF\nmc ilm import s/b < /tmp/f || echo 'y'  # comment\n");
        assert_eq!(s.shebang_flags, ["-e"]);
        assert_eq!(names(&s), ["a", "echo", "cat", "mc", "echo"]);
        assert_eq!(s.cmds[0].words[1].text, "b c");
        assert_eq!(s.cmds[0].words[2].text, "d $(e f) g");
        assert_eq!(s.cmds[0].sep, Sep::Or);
        assert_eq!(
            s.cmds[0].sep_at,
            Location {
                line: 2,
                column: 22
            }
        );
        assert_eq!(s.cmds[2].redirects[0].target.text, "/tmp/f");
        assert_eq!(s.cmds[3].words[0].at, Location { line: 6, column: 1 });
        assert_eq!(s.cmds[3].redirects[0].op, "<");
    }

    #[test]
    fn descriptors_and_continuations() {
        let s = scan("a 2>&1 >/x/y \\\n  b\nc| d\n");
        assert_eq!(s.cmds[0].words.len(), 2);
        assert_eq!(s.cmds[0].redirects[0].op, ">&");
        assert_eq!(s.cmds[0].redirects[1].target.text, "/x/y");
        assert_eq!(s.cmds[1].sep, Sep::Pipe);
    }

    fn run(text: &str, run: RunAs) -> Vec<Finding> {
        let s = scan(text);
        let mut out = Vec::new();
        masked_failures(&s, run, &mut out);
        retired_mc(&s, &mut out);
        backups(&s, &mut out);
        out
    }

    const JOB: RunAs = RunAs {
        errexit: false,
        exit_status_matters: true,
    };

    #[test]
    fn masked_failures_are_found() {
        let f = run("mc mb x || echo 'exists'\nmc ls x || true\nexit 0\n", JOB);
        let lines: Vec<usize> = f.iter().map(|f| f.at.line).collect();
        assert_eq!(lines, [1, 1, 2, 3], "{f:#?}");
        let f = run("set -eu\nmc mb --ignore-existing x\nexit 0\n", JOB);
        assert!(f.is_empty(), "{f:#?}");
        let f = run(
            "mc a\nmc b\n",
            RunAs {
                errexit: true,
                exit_status_matters: true,
            },
        );
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn retired_mc_commands() {
        let f = run("set -e\nmc policy set download local/media\nmc admin policy add a b c\nmc ilm rule import a/b\nmc --quiet config host add a b\n", JOB);
        let lines: Vec<usize> = f.iter().map(|f| f.at.line).collect();
        assert_eq!(lines, [2, 3, 5], "{f:#?}");
    }

    #[test]
    fn unsafe_backups() {
        let f = run(
            "#!/bin/sh\ndocker exec -t db pg_dump app | gzip > /srv/backups/app_$(date +%Y%m%d).sql.gz\necho done\n",
            JOB,
        );
        let mut codes: Vec<(&str, usize, usize)> = f
            .iter()
            .map(|f| (f.code.0, f.at.line, f.at.column))
            .collect();
        codes.sort();
        assert_eq!(
            codes,
            [
                ("BI312", 2, 1),
                ("BI508", 2, 13),
                ("BI508", 2, 19),
                ("BI508", 2, 31),
                ("BI508", 2, 38),
                ("BI509", 2, 40)
            ],
            "{f:#?}"
        );
        let tty = run("set -e\ndocker exec -it -e A=b minio mc cat s/b/k > /b/k\ndocker exec -t db psql -c 'select 1'\n", JOB);
        let tty: Vec<(&str, usize)> = tty
            .iter()
            .filter(|f| f.code.0 == "BI508")
            .map(|f| (f.code.0, f.at.line))
            .collect();
        assert_eq!(tty, [("BI508", 2)]);
        let ok = run("#!/bin/bash\nset -euo pipefail\nmkdir -p /b\npg_dump -U u db | gzip > /b/x.tmp\nmv /b/x.tmp /b/x.gz\n", JOB);
        assert!(ok.is_empty(), "{ok:#?}");
    }
}
