//! Reading env files the way Compose v2 does (compose-go's dotenv parser), with positions.
//!
//! Used to read back `secrets.env` (so existing values are kept byte for byte) and by the
//! audit of hand-written files. Supported: blank lines and `#` comments, an optional
//! `export ` prefix, `KEY=value` with unquoted values (trimmed; a `#` after whitespace
//! starts a comment), single-quoted values (literal, may span lines) and double-quoted
//! values (escapes `\\`, `\"`, `\$`, `\n`, `\r`, `\t`; may span lines).
//!
//! What Compose would *expand* (`$VAR` in unquoted and double-quoted values) is not
//! expanded here: [`Entry::expands`] tells whether it would be.

use crate::diagnostic::Location;

/// How a value was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quoting {
    /// `KEY=value`
    Unquoted,
    /// `KEY='value'`
    Single,
    /// `KEY="value"`
    Double,
    /// `KEY` alone: Compose takes the value from its own environment.
    NoValue,
}

/// One variable of an env file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The name.
    pub key: String,
    /// The value with quotes and escapes removed (not expanded).
    pub value: String,
    /// How it was quoted.
    pub quoting: Quoting,
    /// Where the line starts (1-based).
    pub location: Location,
    /// The raw text after `=`, up to the end of the value (for messages: never print it for
    /// secrets).
    pub raw_value: String,
    /// The column (1-based, in characters) where the raw value starts on the entry's first
    /// line: after the separator (`=` or `:`), its blanks and an opening quote.
    pub value_column: usize,
    /// The index of the first line and one past the last line of the entry (0-based), for
    /// rewriting a file in place.
    pub lines: (usize, usize),
}

impl Entry {
    /// Whether Compose would expand `$` references in this value (unquoted or
    /// double-quoted, containing a `$` not escaped as `\$`).
    pub fn expands(&self) -> bool {
        match self.quoting {
            Quoting::Unquoted => self.raw_value.contains('$'),
            Quoting::Double => {
                let mut prev_backslash = false;
                for c in self.raw_value.chars() {
                    if c == '$' && !prev_backslash {
                        return true;
                    }
                    prev_backslash = c == '\\' && !prev_backslash;
                }
                false
            }
            Quoting::Single | Quoting::NoValue => false,
        }
    }
}

/// An env file that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {}: {message}", location.line)]
pub struct ParseError {
    /// Where.
    pub location: Location,
    /// What is wrong.
    pub message: String,
}

/// Parses env-file text into its entries, in file order (duplicates kept).
///
/// ```
/// use banatie_infra_core::envfile::{parse, Quoting};
/// let e = parse("# c\nexport A='x$y#z'\nB=abc #comment\n").unwrap();
/// assert_eq!(e[0].value, "x$y#z");
/// assert_eq!(e[0].quoting, Quoting::Single);
/// assert_eq!(e[1].value, "abc");
/// ```
pub fn parse(text: &str) -> Result<Vec<Entry>, ParseError> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].strip_suffix('\r').unwrap_or(lines[i]);
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            i += 1;
            continue;
        }
        let location = Location {
            line: i + 1,
            column: line.len() - trimmed.len() + 1,
        };
        let (key, rest) = key_and_rest(trimmed, location)?;
        let Some(rest) = rest else {
            out.push(Entry {
                key: key.to_owned(),
                value: String::new(),
                quoting: Quoting::NoValue,
                location,
                raw_value: String::new(),
                value_column: line.chars().count() + 1,
                lines: (i, i + 1),
            });
            i += 1;
            continue;
        };
        let rest = rest.trim_start();
        // `rest` is a suffix of `line`: the value starts where it does (after a quote).
        let quoted = matches!(rest.chars().next(), Some('\'' | '"'));
        let value_column =
            line[..line.len() - rest.len()].chars().count() + 1 + usize::from(quoted);
        let start_line = i;
        let (value, quoting, raw) = match rest.chars().next() {
            Some(q @ ('\'' | '"')) => quoted_value(&lines, &mut i, rest, q, location)?,
            _ => unquoted_value(rest),
        };
        out.push(Entry {
            key: key.to_owned(),
            value,
            quoting,
            location,
            raw_value: raw,
            value_column,
            lines: (start_line, i + 1),
        });
        i += 1;
    }
    Ok(out)
}

/// Splits an entry's line (past its indentation) into the key and the text after the
/// separator (`None` for a key alone), dropping an `export ` prefix; an error for a key
/// that is not a variable name.
fn key_and_rest(trimmed: &str, location: Location) -> Result<(&str, Option<&str>), ParseError> {
    let body = trimmed
        .strip_prefix("export ")
        .map_or(trimmed, str::trim_start);
    // The key ends at `=` or, YAML-style, at `:` (compose-go's dotenv parser,
    // `locateKeyName` in dotenv/parser.go, accepts `KEY: value`).
    let (key, rest) = match body.find(['=', ':']) {
        Some(eq) => (body[..eq].trim_end(), Some(&body[eq + 1..])),
        None => (body.trim_end(), None),
    };
    if key.is_empty()
        || !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    {
        return Err(ParseError {
            location,
            // The line is not echoed: in a secrets file it may be a value.
            message: "not a variable name (letters, digits, `_`, `.` and `-`, then `=` or `: `)"
                .into(),
        });
    }
    Ok((key, rest))
}

/// A quoted value: `rest` starts with the quote `q`; collects until the closing quote,
/// across lines if needed (advancing `i` to the line that closes it). Returns the value
/// (unescaped when double-quoted), its quoting and the raw text between the quotes.
fn quoted_value(
    lines: &[&str],
    i: &mut usize,
    rest: &str,
    q: char,
    location: Location,
) -> Result<(String, Quoting, String), ParseError> {
    let mut raw = String::new();
    let mut chars: Vec<char> = rest[1..].chars().collect();
    let mut j = 0;
    let mut closed = false;
    // compose-go: in both quotings a backslash escapes the quote character
    // (`\'`, `\"`) and is kept before any other character.
    let mut body = String::new();
    let mut escaped = false;
    loop {
        while j < chars.len() {
            let c = chars[j];
            if escaped {
                escaped = false;
                raw.push(c);
                if c != q {
                    body.push('\\');
                }
                body.push(c);
                j += 1;
                continue;
            }
            if c == '\\' {
                escaped = true;
                raw.push(c);
                j += 1;
                continue;
            }
            if c == q {
                closed = true;
                break;
            }
            raw.push(c);
            body.push(c);
            j += 1;
        }
        if closed {
            break;
        }
        *i += 1;
        if *i >= lines.len() {
            return Err(ParseError {
                location,
                message: format!(
                    "unterminated {} quote",
                    if q == '"' { "double" } else { "single" }
                ),
            });
        }
        if escaped {
            escaped = false;
            body.push('\\');
        }
        raw.push('\n');
        body.push('\n');
        chars = lines[*i]
            .strip_suffix('\r')
            .unwrap_or(lines[*i])
            .chars()
            .collect();
        j = 0;
    }
    let value = if q == '"' {
        unescape_double(&body)
    } else {
        body
    };
    let after: String = chars[j + 1..].iter().collect();
    let after = after.trim();
    if !after.is_empty() && !after.starts_with('#') {
        return Err(ParseError {
            location,
            message: "text after the closing quote".into(),
        });
    }
    Ok((
        value,
        if q == '"' {
            Quoting::Double
        } else {
            Quoting::Single
        },
        raw,
    ))
}

/// An unquoted value: up to a `#` after a space (a comment), trailing blanks trimmed;
/// the value and the raw text are the same.
fn unquoted_value(rest: &str) -> (String, Quoting, String) {
    let mut end = rest.len();
    let bytes = rest.as_bytes();
    for (k, &b) in bytes.iter().enumerate() {
        if b == b'#' && k > 0 && bytes[k - 1] == b' ' {
            end = k;
            break;
        }
    }
    let v = rest[..end].trim_end().to_owned();
    (v.clone(), Quoting::Unquoted, v)
}

/// compose-go's `expandEscapes` for double-quoted values: `\a \b \f \n \r \t \v \\ \" \$`,
/// and `\0` followed by up to three digits (rewritten to `\DDD`, an octal escape when it
/// is one); any other backslash is kept.
fn unescape_double(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut k = 0;
    while k < chars.len() {
        if chars[k] != '\\' || k + 1 == chars.len() {
            out.push(chars[k]);
            k += 1;
            continue;
        }
        let n = chars[k + 1];
        let simple = match n {
            'a' => Some('\u{7}'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\u{b}'),
            '\\' | '"' | '$' => Some(n),
            _ => None,
        };
        if let Some(c) = simple {
            out.push(c);
            k += 2;
        } else if n == '0' {
            let digits: String = chars[k + 2..]
                .iter()
                .take(3)
                .take_while(|c| c.is_ascii_digit())
                .collect();
            k += 2 + digits.len();
            match u8::from_str_radix(&digits, 8) {
                Ok(b) if digits.len() == 3 => out.push(char::from(b)),
                _ => {
                    out.push('\\');
                    out.push_str(&digits);
                }
            }
        } else {
            out.push('\\');
            out.push(n);
            k += 2;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::quote::env_value;

    #[test]
    fn round_trips_our_quoting() {
        for v in [
            "plain",
            "$2b$12$abcdefghijklmnopqrstuv",
            "abc#def",
            "a b  c",
            "it's",
            "both ' and \" and $x and \\",
            "line1\nline2",
            "",
            "ünïcödé €",
            "=leading=equals",
        ] {
            let text = format!("K={}\n", env_value(v));
            let e = parse(&text).unwrap();
            assert_eq!(e.len(), 1, "{text}");
            assert_eq!(e[0].value, v, "{text}");
            assert!(!e[0].expands(), "{text}");
        }
    }

    #[test]
    fn compose_semantics() {
        let e = parse("A=abc#def\nB=abc #def\nC=$2b$1\nexport D=x\nE= spaced  \nF\n").unwrap();
        let vals: Vec<(&str, &str)> = e
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str()))
            .collect();
        assert_eq!(
            vals,
            [
                ("A", "abc#def"),
                ("B", "abc"),
                ("C", "$2b$1"),
                ("D", "x"),
                ("E", "spaced"),
                ("F", "")
            ]
        );
        assert!(e[2].expands());
        assert_eq!(e[5].quoting, Quoting::NoValue);
        assert_eq!(e[4].location.line, 5);
    }

    #[test]
    fn errors() {
        assert!(parse("A='open\n").is_err());
        assert!(parse("A B=1\n").is_err());
        assert!(parse("A='x' y\n").is_err());
    }
}
