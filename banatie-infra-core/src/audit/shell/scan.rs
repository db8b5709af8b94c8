//! The scanner: a script's text split into simple commands ([`scan`]). Quotes,
//! backslashes, comments, line continuations, `$(...)`, `${...}` and backticks (kept
//! inside one word as written; the commands of `$(...)` and backticks are scanned too, and
//! come before the command holding them), redirections, and here-documents (their bodies
//! skipped); the first quote or substitution that is never closed is kept for BI316.

use super::{name_index, Redirect, Script, Sep, SimpleCmd, Word};
use crate::diagnostic::Location;

/// The characters of a script, read one at a time with their position.
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

/// How deep command substitutions are scanned: the commands of `$(a $(b $(c)))` are all
/// seen up to this many levels; deeper ones stay words only (a bound on the work a
/// hostile script can cause: each level rescans its text once).
pub(crate) const MAX_DEPTH: u8 = 4;

/// The scanner's state: the lexer, the command being built and the word being read.
struct Scanner<'a> {
    lx: Lexer<'a>,
    /// How many substitutions deep this text is (0: the script).
    depth: u8,
    /// The command substitutions of the command being built: where their text starts and
    /// its range of characters in the lexer's text.
    subs: Vec<(Location, usize, usize)>,
    script: Script,
    /// The words of the command being built.
    words: Vec<Word>,
    /// Its redirections.
    redirects: Vec<Redirect>,
    /// A redirection operator waiting for its target word.
    pending_redirect: Option<(String, Location)>,
    /// The word being read, and where it starts (`None`: between words).
    cur: String,
    cur_at: Option<Location>,
    /// Whether any part of the word being read was quoted.
    cur_raw_quoted: bool,
}

/// Scans `text` as a POSIX shell script. Never fails: text it cannot make sense of is
/// read as words.
pub(crate) fn scan(text: &str) -> Script {
    scan_at(text, 0)
}

/// Scans `text`, the text of a command substitution `depth` levels deep (0: a script).
fn scan_at(text: &str, depth: u8) -> Script {
    let mut sc = Scanner {
        depth,
        subs: Vec::new(),
        lx: Lexer {
            chars: text.chars().collect(),
            i: 0,
            line: 1,
            col: 1,
            pending_heredocs: Vec::new(),
            _text: text,
        },
        script: Script::default(),
        words: Vec::new(),
        redirects: Vec::new(),
        pending_redirect: None,
        cur: String::new(),
        cur_at: None,
        cur_raw_quoted: false,
    };
    if text.starts_with("#!") {
        let first = text.lines().next().unwrap_or("");
        sc.script.shebang_flags = first
            .split_whitespace()
            .skip(1)
            .filter(|w| w.starts_with('-'))
            .map(str::to_owned)
            .collect();
    }
    while let Some(c) = sc.lx.peek(0) {
        let at = sc.lx.loc();
        sc.step(c, at);
    }
    let end = sc.lx.loc();
    sc.end_cmd(Sep::End, end);
    sc.script
}

impl Scanner<'_> {
    /// Ends the word being read, if any: a word of the command, or the target of a
    /// pending redirection (a here-document's delimiter: its body is skipped at the next
    /// newline).
    fn end_word(&mut self) {
        if let Some(at) = self.cur_at.take() {
            let w = Word {
                text: std::mem::take(&mut self.cur),
                at,
            };
            self.cur_raw_quoted = false;
            match self.pending_redirect.take() {
                Some((op, rat)) => {
                    if op == "<<" || op == "<<-" {
                        self.lx.pending_heredocs.push((w.text.clone(), op == "<<-"));
                    }
                    self.redirects.push(Redirect {
                        op,
                        target: w,
                        at: rat,
                    });
                }
                None => self.words.push(w),
            }
        }
    }

    /// Scans the command substitutions of the command being built and inserts their
    /// commands, in script coordinates and one level deeper, before the pipeline or
    /// and-or list the command is part of (so `a | b "$(c)"` keeps `a | b` adjacent).
    fn push_substitutions(&mut self) {
        let chained = |c: &SimpleCmd| matches!(c.sep, Sep::Pipe | Sep::And | Sep::Or);
        let mut insert = self.script.cmds.len();
        while insert > 0 && chained(&self.script.cmds[insert - 1]) {
            insert -= 1;
        }
        // `x=$(cmd)` (or `if ! x=$(cmd)`) with no command: the exit status is the
        // substitution's.
        let kept = name_index(&self.words).is_none();
        for (start, from, to) in std::mem::take(&mut self.subs) {
            if self.depth >= MAX_DEPTH {
                break;
            }
            let text: String = self.lx.chars[from..to.min(self.lx.chars.len())]
                .iter()
                .collect();
            let inner = scan_at(&text, self.depth + 1);
            let map = |l: Location| {
                if l.line == 1 {
                    Location {
                        line: start.line,
                        column: start.column + l.column - 1,
                    }
                } else {
                    Location {
                        line: start.line + l.line - 1,
                        column: l.column,
                    }
                }
            };
            for mut c in inner.cmds {
                c.words.iter_mut().for_each(|w| w.at = map(w.at));
                for r in &mut c.redirects {
                    r.at = map(r.at);
                    r.target.at = map(r.target.at);
                }
                c.sep_at = map(c.sep_at);
                c.status_kept &= kept;
                self.script.cmds.insert(insert, c);
                insert += 1;
            }
        }
    }

    /// Ends the command being built, followed by `sep` at `at`.
    fn end_cmd(&mut self, sep: Sep, at: Location) {
        self.end_word();
        self.push_substitutions();
        if !self.words.is_empty() || !self.redirects.is_empty() {
            self.script.cmds.push(SimpleCmd {
                words: std::mem::take(&mut self.words),
                redirects: std::mem::take(&mut self.redirects),
                sep,
                sep_at: at,
                depth: self.depth,
                status_kept: true,
            });
        } else if sep != Sep::End {
            // `cmd\n|| other` is not valid shell, but keep the operator on the
            // previous command if there is one without one.
            if let Some(last) = self.script.cmds.last_mut() {
                if last.sep == Sep::End {
                    last.sep = sep;
                    last.sep_at = at;
                }
            }
        }
    }

    /// Reads what starts with `c`, at `at`.
    fn step(&mut self, c: char, at: Location) {
        match c {
            '\n' => {
                self.lx.bump();
                // A pipe or and-or operator at the end of a line continues the command
                // list on the next line; the command itself already ended.
                self.end_cmd(Sep::End, at);
                self.lx.skip_heredocs();
            }
            ' ' | '\t' | '\r' => {
                self.lx.bump();
                self.end_word();
            }
            '\\' if self.lx.peek(1) == Some('\n') => {
                self.lx.bump();
                self.lx.bump();
            }
            '\\' => {
                self.lx.bump();
                self.cur_at.get_or_insert(at);
                if let Some(n) = self.lx.bump() {
                    self.cur.push(n);
                }
            }
            '#' if self.cur_at.is_none() => {
                while let Some(n) = self.lx.peek(0) {
                    if n == '\n' {
                        break;
                    }
                    self.lx.bump();
                }
            }
            '\'' => self.single_quoted(at),
            '"' => self.double_quoted(at),
            '`' => self.backquoted(at),
            '$' if matches!(self.lx.peek(1), Some('(') | Some('{')) => self.substitution(at),
            '|' => {
                self.lx.bump();
                if self.lx.peek(0) == Some('|') {
                    self.lx.bump();
                    self.end_cmd(Sep::Or, at);
                } else {
                    self.end_cmd(Sep::Pipe, at);
                }
            }
            '&' => {
                self.lx.bump();
                if self.lx.peek(0) == Some('&') {
                    self.lx.bump();
                    self.end_cmd(Sep::And, at);
                } else if self.lx.peek(0) == Some('>') {
                    // bash `&>file`
                    self.lx.bump();
                    self.end_word();
                    self.pending_redirect = Some((">".into(), at));
                } else {
                    self.end_cmd(Sep::Amp, at);
                }
            }
            ';' => {
                self.lx.bump();
                if self.lx.peek(0) == Some(';') {
                    self.lx.bump();
                }
                self.end_cmd(Sep::Semi, at);
            }
            '>' | '<' => self.redirect(c, at),
            '(' | ')' if self.cur_at.is_none() => {
                self.lx.bump();
                self.cur_at = Some(at);
                self.cur.push(c);
                self.end_word();
            }
            _ => {
                self.lx.bump();
                self.cur_at.get_or_insert(at);
                self.cur.push(c);
            }
        }
    }

    /// A single-quoted part of a word (`'...'`: literal).
    fn single_quoted(&mut self, at: Location) {
        self.lx.bump();
        self.cur_at.get_or_insert(at);
        self.cur_raw_quoted = true;
        let mut closed = false;
        while let Some(n) = self.lx.bump() {
            if n == '\'' {
                closed = true;
                break;
            }
            self.cur.push(n);
        }
        if !closed {
            self.script.unclosed.get_or_insert((at, "`'`"));
        }
    }

    /// A double-quoted part of a word (`"..."`: `\` escapes `"`, `\`, `$` and `` ` ``;
    /// a `$(...)` inside is kept as written).
    fn double_quoted(&mut self, at: Location) {
        self.lx.bump();
        self.cur_at.get_or_insert(at);
        self.cur_raw_quoted = true;
        let mut closed = false;
        while let Some(n) = self.lx.bump() {
            match n {
                '"' => {
                    closed = true;
                    break;
                }
                '\\' => match self.lx.bump() {
                    Some(m @ ('"' | '\\' | '$' | '`')) => self.cur.push(m),
                    Some('\n') => {}
                    Some(m) => {
                        self.cur.push('\\');
                        self.cur.push(m);
                    }
                    None => {}
                },
                '$' if self.lx.peek(0) == Some('(') => {
                    // The `$` (just read).
                    let sub_at = Location {
                        line: self.lx.line,
                        column: self.lx.col - 1,
                    };
                    self.lx.bump();
                    self.cur.push_str("$(");
                    let (inner_at, from) = (self.lx.loc(), self.lx.i);
                    if self.lx.read_subst(&mut self.cur, ')') {
                        self.subs.push((inner_at, from, self.lx.i - 1));
                    } else {
                        self.script.unclosed.get_or_insert((sub_at, "`$(`"));
                    }
                }
                '`' => {
                    // A backquoted substitution inside the quotes (the `` ` `` just read);
                    // left open, the quotes are too, and that is reported below.
                    self.cur.push('`');
                    self.backquote_body();
                }
                _ => self.cur.push(n),
            }
        }
        if !closed {
            self.script.unclosed.get_or_insert((at, "`\"`"));
        }
    }

    /// A backquoted command substitution, kept as written.
    fn backquoted(&mut self, at: Location) {
        self.lx.bump();
        self.cur_at.get_or_insert(at);
        self.cur.push('`');
        if !self.backquote_body() {
            self.script.unclosed.get_or_insert((at, "backquote"));
        }
    }

    /// The rest of a backquoted substitution (its opening `` ` `` read and kept), kept as
    /// written in the word and its text recorded for scanning; whether it is closed.
    fn backquote_body(&mut self) -> bool {
        let (inner_at, from) = (self.lx.loc(), self.lx.i);
        while let Some(n) = self.lx.bump() {
            self.cur.push(n);
            if n == '\\' {
                if let Some(m) = self.lx.bump() {
                    self.cur.push(m);
                }
            } else if n == '`' {
                self.subs.push((inner_at, from, self.lx.i - 1));
                return true;
            }
        }
        false
    }

    /// `$(...)` or `${...}`, kept as written.
    fn substitution(&mut self, at: Location) {
        self.lx.bump();
        let open = self.lx.bump().unwrap_or('(');
        self.cur_at.get_or_insert(at);
        self.cur.push('$');
        self.cur.push(open);
        let (inner_at, from) = (self.lx.loc(), self.lx.i);
        if self
            .lx
            .read_subst(&mut self.cur, if open == '(' { ')' } else { '}' })
        {
            // `$((...))` is arithmetic, `${...}` a parameter: no commands.
            if open == '(' && self.lx.chars.get(from) != Some(&'(') {
                self.subs.push((inner_at, from, self.lx.i - 1));
            }
        } else {
            let what = if open == '(' { "`$(`" } else { "`${`" };
            self.script.unclosed.get_or_insert((at, what));
        }
    }

    /// A redirection operator (`>`, `>>`, `<`, `<<`, `<<-`, `>&`, ...); its target is the
    /// next word.
    fn redirect(&mut self, c: char, at: Location) {
        // A word made only of digits right before the operator is a descriptor.
        if self.cur_at.is_some()
            && !self.cur_raw_quoted
            && self.cur.bytes().all(|b| b.is_ascii_digit())
        {
            self.cur.clear();
            self.cur_at = None;
        } else {
            self.end_word();
        }
        self.lx.bump();
        let mut op = c.to_string();
        while let Some(n) = self.lx.peek(0) {
            if matches!(n, '>' | '<' | '&' | '|' | '-') && op.len() < 3 {
                // `2>&1`: the `&` and the descriptor form the target below.
                if n == '&' {
                    break;
                }
                op.push(n);
                self.lx.bump();
            } else {
                break;
            }
        }
        if self.lx.peek(0) == Some('&') {
            self.lx.bump();
            op.push('&');
        }
        self.pending_redirect = Some((op, at));
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
    fn scans_operators_quotes_and_heredocs() {
        let s = scan("#!/bin/sh -e\na 'b c' \"d $(e f) g\" || echo x\ncat > /tmp/f <<'EOF'\n{ \"x\": 1 } || true\nEOF\nmc ilm import s/b < /tmp/f || echo 'y'  # comment\n");
        assert_eq!(s.shebang_flags, ["-e"]);
        // `e f`, the substitution in `a`'s arguments, comes first, one level deep, at its
        // own place in the script, and its status is lost.
        assert_eq!(names(&s), ["e", "a", "echo", "cat", "mc", "echo"]);
        assert_eq!(
            s.cmds[0].words[1].at,
            Location {
                line: 2,
                column: 16
            }
        );
        assert_eq!((s.cmds[0].depth, s.cmds[0].status_kept), (1, false));
        let s = Script {
            cmds: s.cmds[1..].to_vec(),
            ..s
        };
        assert_eq!(s.cmds[0].depth, 0);
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

    #[test]
    fn substitutions_are_scanned_in_place_and_bounded() {
        let s = scan(
            "set -e\nout=$(pg_dump -U u db)\necho \"`psql -c 'select 1'`\" | tee x\nn=$((1 + 2))\n",
        );
        let got: Vec<(&str, u8, bool, usize, usize)> = s
            .cmds
            .iter()
            .map(|c| {
                let at = c.at();
                (
                    c.name().unwrap_or("-"),
                    c.depth,
                    c.status_kept,
                    at.line,
                    at.column,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("set", 0, true, 1, 1),
                ("pg_dump", 1, true, 2, 7),
                ("-", 0, true, 2, 1),
                ("psql", 1, false, 3, 8),
                ("echo", 0, true, 3, 1),
                ("tee", 0, true, 3, 31),
                ("-", 0, true, 4, 1),
            ]
        );
        // Nesting beyond MAX_DEPTH stays words: linear work for `$($($(...)))`.
        let deep = format!("{}x{}", "$(".repeat(200), ")".repeat(200));
        let s = scan(&deep);
        assert_eq!(s.cmds.iter().map(|c| c.depth).max(), Some(MAX_DEPTH));
        assert!(s.unclosed.is_none());
    }
}
