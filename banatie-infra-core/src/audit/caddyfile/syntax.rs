//! The Caddyfile's syntax, as Caddy's `caddyfile` lexer and parser read it, reduced to
//! what the audit needs: server blocks with their addresses, the global options block and
//! snippets, directives with arguments and nested blocks, quoted (`"..."` with `\"`) and
//! backquoted tokens, comments, and top-level `import` lines. Every token keeps its
//! 1-based line and column.

use crate::diagnostic::Location;

/// A token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tok {
    /// The text, quotes removed.
    pub(crate) text: String,
    /// Where it starts.
    pub(crate) at: Location,
    /// Whether it was quoted (a quoted `{` does not open a block).
    pub(crate) quoted: bool,
    /// The line it ends on (a quoted token may span lines).
    pub(crate) end_line: usize,
}

impl Tok {
    fn is(&self, s: &str) -> bool {
        !self.quoted && self.text == s
    }
}

/// A directive: its name, arguments on the same line and an optional block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Directive {
    /// The name (or a matcher definition `@name`).
    pub(crate) name: Tok,
    /// The arguments.
    pub(crate) args: Vec<Tok>,
    /// The nested block, if the line ended with `{`.
    pub(crate) block: Option<Vec<Directive>>,
}

/// What a top-level block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlockKind {
    /// The global options block (`{ ... }` first in the file).
    Global,
    /// A snippet, `(name) { ... }`.
    Snippet,
    /// A site block.
    Site,
}

/// A top-level block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block {
    /// Global, snippet or site.
    pub(crate) kind: BlockKind,
    /// Its addresses (commas removed); the snippet name for a snippet.
    pub(crate) addresses: Vec<Tok>,
    /// Its directives.
    pub(crate) directives: Vec<Directive>,
}

/// A Caddyfile that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParseError {
    /// Where.
    pub(crate) at: Location,
    /// What.
    pub(crate) message: String,
}

/// Splits Caddyfile text into tokens.
// The quoted flag is reset at the end of every token, the last time included.
#[allow(unused_assignments)]
pub(crate) fn tokenize(text: &str) -> Result<Vec<Tok>, ParseError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line, mut col) = (0usize, 1usize, 1usize);
    let mut cur = String::new();
    let mut cur_at: Option<Location> = None;
    let mut quoted = false;
    macro_rules! flush {
        () => {
            if let Some(at) = cur_at.take() {
                out.push(Tok {
                    text: std::mem::take(&mut cur),
                    at,
                    quoted,
                    end_line: line,
                });
                quoted = false;
            }
        };
    }
    while i < chars.len() {
        let c = chars[i];
        let at = Location { line, column: col };
        match c {
            '\n' => {
                flush!();
                i += 1;
                line += 1;
                col = 1;
            }
            c if c.is_whitespace() => {
                flush!();
                i += 1;
                col += 1;
            }
            '\\' if chars.get(i + 1) == Some(&'\n') && cur_at.is_none() => {
                // A line continuation.
                i += 2;
                line += 1;
                col = 1;
            }
            '#' if cur_at.is_none() => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '"' | '`' if cur_at.is_none() => {
                let q = c;
                cur_at = Some(at);
                quoted = true;
                i += 1;
                col += 1;
                let mut closed = false;
                while i < chars.len() {
                    let d = chars[i];
                    if q == '"' && d == '\\' && chars.get(i + 1) == Some(&'"') {
                        cur.push('"');
                        i += 2;
                        col += 2;
                        continue;
                    }
                    i += 1;
                    if d == '\n' {
                        line += 1;
                        col = 1;
                    } else {
                        col += 1;
                    }
                    if d == q {
                        closed = true;
                        break;
                    }
                    cur.push(d);
                }
                if !closed {
                    return Err(ParseError {
                        at,
                        message: "unterminated quoted token".into(),
                    });
                }
                flush!();
            }
            _ => {
                cur_at.get_or_insert(at);
                cur.push(c);
                i += 1;
                col += 1;
            }
        }
    }
    flush!();
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    i: usize,
    /// How many blocks are open (bounded by [`MAX_NESTING`]).
    depth: usize,
}

/// Blocks nested deeper than this are refused (the parser recurses per block).
pub(crate) const MAX_NESTING: usize = 64;

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i)
    }

    /// Directives until a `}` (consumed) when `nested`, else until the end.
    fn directives(&mut self, nested: bool, open: Location) -> Result<Vec<Directive>, ParseError> {
        let mut out = Vec::new();
        loop {
            let Some(t) = self.peek().cloned() else {
                if nested {
                    return Err(ParseError {
                        at: open,
                        message: "this `{` is never closed".into(),
                    });
                }
                return Ok(out);
            };
            if t.is("}") {
                if nested {
                    self.i += 1;
                    return Ok(out);
                }
                return Err(ParseError {
                    at: t.at,
                    message: "unexpected `}`".into(),
                });
            }
            self.i += 1;
            let mut args = Vec::new();
            let mut last_line = t.end_line;
            let mut block = None;
            while let Some(n) = self.peek().cloned() {
                if n.at.line != last_line {
                    break;
                }
                self.i += 1;
                if n.is("{") {
                    if self.depth >= MAX_NESTING {
                        return Err(ParseError {
                            at: n.at,
                            message: format!("blocks nested deeper than {MAX_NESTING} levels"),
                        });
                    }
                    self.depth += 1;
                    block = Some(self.directives(true, n.at)?);
                    self.depth -= 1;
                    break;
                }
                if n.is("}") {
                    // `foo }` on one line closes the enclosing block.
                    self.i -= 1;
                    break;
                }
                last_line = n.end_line;
                args.push(n);
            }
            out.push(Directive {
                name: t,
                args,
                block,
            });
        }
    }
}

/// Parses Caddyfile text into its top-level blocks.
pub(crate) fn parse(text: &str) -> Result<Vec<Block>, ParseError> {
    let mut p = Parser {
        toks: tokenize(text)?,
        i: 0,
        depth: 0,
    };
    let mut blocks = Vec::new();
    let mut first = true;
    while let Some(t) = p.peek().cloned() {
        if first && t.is("{") {
            p.i += 1;
            let directives = p.directives(true, t.at)?;
            blocks.push(Block {
                kind: BlockKind::Global,
                addresses: vec![],
                directives,
            });
            first = false;
            continue;
        }
        first = false;
        // A top-level `import` line is replaced by the imported tokens before Caddy
        // parses (caddyconfig/caddyfile/parse.go, `doImport`, quoted or not): it is not
        // a site address. The imported files are checked by [`file_imports`]' callers.
        if t.text == "import"
            && p.i
                .checked_sub(1)
                .is_none_or(|b| p.toks[b].end_line != t.at.line)
        {
            let line = t.at.line;
            while p.peek().is_some_and(|n| n.at.line == line) {
                p.i += 1;
            }
            continue;
        }
        if t.is("}") {
            return Err(ParseError {
                at: t.at,
                message: "unexpected `}`".into(),
            });
        }
        // Addresses: tokens up to `{` on the same line, or continued after a comma.
        let mut raw: Vec<Tok> = Vec::new();
        let mut open = None;
        while let Some(n) = p.peek().cloned() {
            if n.is("{") {
                p.i += 1;
                open = Some(n.at);
                break;
            }
            if let Some(last) = raw.last() {
                if n.at.line != last.end_line && !last.text.ends_with(',') {
                    break;
                }
            }
            p.i += 1;
            raw.push(n);
        }
        let addresses: Vec<Tok> = raw
            .iter()
            .flat_map(|t| {
                t.text
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(|s| Tok {
                        text: s.to_owned(),
                        ..t.clone()
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let directives = match open {
            Some(at) => p.directives(true, at)?,
            None => p.directives(false, t.at)?,
        };
        let kind = if addresses.len() == 1
            && addresses[0].text.starts_with('(')
            && addresses[0].text.ends_with(')')
        {
            BlockKind::Snippet
        } else {
            BlockKind::Site
        };
        blocks.push(Block {
            kind,
            addresses,
            directives,
        });
    }
    Ok(blocks)
}
