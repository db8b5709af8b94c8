//! Compose's interpolation syntax (the Compose specification, "Interpolation", as
//! compose-go implements it): `$$` is a literal `$`; `$NAME` and `${NAME}` are replaced by
//! the variable's value (empty when unset); `${NAME:-default}` and `${NAME-default}` give
//! a default when the variable is unset or empty (`:-`) or unset (`-`);
//! `${NAME:?message}` and `${NAME?message}` make Compose fail; `${NAME:+alt}` and
//! `${NAME+alt}` give `alt` when it is set. A `$` followed by anything else is kept
//! literally; `${` that is not closed, or holds no valid name, is an error. The same
//! syntax is used for values of env files that are unquoted or double-quoted.

/// How a braced reference treats an unset variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// `$NAME` or `${NAME}`.
    Plain,
    /// `${NAME:-default}` (`colon`) or `${NAME-default}`.
    Default {
        /// Whether an empty value also takes the default.
        colon: bool,
    },
    /// `${NAME:?err}` or `${NAME?err}`.
    Required {
        /// Whether an empty value also fails.
        colon: bool,
    },
    /// `${NAME:+alt}` or `${NAME+alt}`.
    Alternative {
        /// Whether an empty value counts as unset.
        colon: bool,
    },
}

/// A reference to a variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ref {
    /// The variable.
    pub(crate) name: String,
    /// Whether it was written `${...}`.
    pub(crate) braced: bool,
    /// The operator.
    pub(crate) op: Op,
    /// The text after the operator (a default, message or alternative), itself a template.
    pub(crate) arg: String,
    /// Character offset of the `$` in the template.
    pub(crate) start: usize,
    /// Length in characters of the whole reference.
    pub(crate) len: usize,
    /// How deep braces nest inside it (`${A:-${B}}`: 1), so that [`expand`] refuses a
    /// deep one without parsing each level.
    pub(crate) nesting: usize,
}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Literal text (`$$` already turned into `$`).
    Lit(String),
    /// A reference.
    Ref(Ref),
}

/// A template Compose refuses: the character offset of the bad `$`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Invalid(pub(crate) usize);

fn name_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn name_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

/// Parses a template into pieces.
pub(crate) fn parse(s: &str) -> Result<Vec<Piece>, Invalid> {
    if !s.contains('$') {
        return Ok(if s.is_empty() {
            Vec::new()
        } else {
            vec![Piece::Lit(s.to_owned())]
        });
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '$' {
            lit.push(c);
            i += 1;
            continue;
        }
        match chars.get(i + 1) {
            Some('$') => {
                lit.push('$');
                i += 2;
            }
            Some('{') => {
                // Find the matching `}` (nested braces in defaults are allowed).
                let mut depth = 1;
                let mut nesting = 0;
                let mut j = i + 2;
                while j < chars.len() && depth > 0 {
                    match chars[j] {
                        '{' => {
                            depth += 1;
                            nesting = nesting.max(depth - 1);
                        }
                        '}' => depth -= 1,
                        _ => {}
                    }
                    j += 1;
                }
                if depth != 0 {
                    return Err(Invalid(i));
                }
                let inner: String = chars[i + 2..j - 1].iter().collect();
                let mut k = 0;
                let ic: Vec<char> = inner.chars().collect();
                if !ic.first().is_some_and(|c| name_start(*c)) {
                    return Err(Invalid(i));
                }
                while k < ic.len() && name_char(ic[k]) {
                    k += 1;
                }
                let name: String = ic[..k].iter().collect();
                let rest: String = ic[k..].iter().collect();
                let (op, arg) = if rest.is_empty() {
                    (Op::Plain, String::new())
                } else {
                    let (colon, r) = match rest.strip_prefix(':') {
                        Some(r) => (true, r),
                        None => (false, rest.as_str()),
                    };
                    let mut rc = r.chars();
                    let op = match rc.next() {
                        Some('-') => Op::Default { colon },
                        Some('?') => Op::Required { colon },
                        Some('+') => Op::Alternative { colon },
                        _ => return Err(Invalid(i)),
                    };
                    (op, rc.collect())
                };
                if !lit.is_empty() {
                    out.push(Piece::Lit(std::mem::take(&mut lit)));
                }
                out.push(Piece::Ref(Ref {
                    name,
                    braced: true,
                    op,
                    arg,
                    start: i,
                    len: j - i,
                    nesting,
                }));
                i = j;
            }
            Some(&n) if name_start(n) => {
                let mut j = i + 1;
                while j < chars.len() && name_char(chars[j]) {
                    j += 1;
                }
                if !lit.is_empty() {
                    out.push(Piece::Lit(std::mem::take(&mut lit)));
                }
                out.push(Piece::Ref(Ref {
                    name: chars[i + 1..j].iter().collect(),
                    braced: false,
                    op: Op::Plain,
                    arg: String::new(),
                    start: i,
                    len: j - i,
                    nesting: 0,
                }));
                i = j;
            }
            _ => {
                lit.push('$');
                i += 1;
            }
        }
    }
    if !lit.is_empty() {
        out.push(Piece::Lit(lit));
    }
    Ok(out)
}

/// The longest value one interpolation may produce: 1 MiB.
pub(crate) const MAX_VALUE: usize = 1 << 20;
/// The most bytes the interpolations of one audit may insert from variables, in all:
/// 16 MiB (a chain of lines that each double the one before stops here).
pub(crate) const MAX_TOTAL: usize = 16 << 20;
/// How deep `${A:-${B:-...}}` may nest: 32 levels.
pub(crate) const MAX_NESTING: usize = 32;

/// What interpolation may still insert from variables ([`MAX_TOTAL`] to start with),
/// shared by every [`expand`] of one audit.
#[derive(Debug, Clone)]
pub(crate) struct Budget(std::cell::Cell<usize>, std::cell::Cell<bool>);

impl Default for Budget {
    fn default() -> Self {
        Self(std::cell::Cell::new(MAX_TOTAL), std::cell::Cell::new(false))
    }
}

impl Budget {
    /// Whether an overflow is to be reported: every [`Overflow::Long`] and
    /// [`Overflow::Deep`], the first [`Overflow::Total`] only (every value after it
    /// overflows too).
    pub(crate) fn report(&self, o: Overflow) -> bool {
        o != Overflow::Total || !self.1.replace(true)
    }
}

/// Why an interpolation was stopped (`BI153`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overflow {
    /// The value would be longer than [`MAX_VALUE`].
    Long,
    /// The interpolations together would insert more than [`MAX_TOTAL`].
    Total,
    /// Defaults nest deeper than [`MAX_NESTING`].
    Deep,
}

impl Overflow {
    /// What happened, for a message.
    pub(crate) fn describe(self) -> String {
        match self {
            Self::Long => format!(
                "its interpolated value would be longer than {} MiB",
                MAX_VALUE >> 20
            ),
            Self::Total => format!(
                "interpolation would insert more than {} MiB in all (values that repeat other values grow exponentially)",
                MAX_TOTAL >> 20
            ),
            Self::Deep => format!("its `${{...:-...}}` defaults nest deeper than {MAX_NESTING} levels"),
        }
    }
}

/// [`expand`] with a budget of its own; a value that overflows gives the text so far.
#[cfg(test)]
pub(crate) fn substitute<'v>(pieces: &[Piece], lookup: &dyn Fn(&str) -> Option<&'v str>) -> String {
    expand(pieces, lookup, &Budget::default()).unwrap_or_default()
}

/// Substitutes `pieces` with `lookup` (a variable's value, `None` when unset), as Compose
/// would, within bounds: the result at most [`MAX_VALUE`] bytes, what is inserted from
/// variables taken from `budget`, defaults nested at most [`MAX_NESTING`] deep. A
/// `Required` reference that fails gives an empty string here.
pub(crate) fn expand<'v>(
    pieces: &[Piece],
    lookup: &dyn Fn(&str) -> Option<&'v str>,
    budget: &Budget,
) -> Result<String, Overflow> {
    let mut out = String::new();
    expand_into(&mut out, pieces, lookup, budget, 0)?;
    Ok(out)
}

fn push_bounded(out: &mut String, s: &str, budget: Option<&Budget>) -> Result<(), Overflow> {
    if out.len() + s.len() > MAX_VALUE {
        return Err(Overflow::Long);
    }
    if let Some(b) = budget {
        let left = b.0.get();
        if s.len() > left {
            return Err(Overflow::Total);
        }
        b.0.set(left - s.len());
    }
    out.push_str(s);
    Ok(())
}

fn expand_into<'v>(
    out: &mut String,
    pieces: &[Piece],
    lookup: &dyn Fn(&str) -> Option<&'v str>,
    budget: &Budget,
    depth: usize,
) -> Result<(), Overflow> {
    for p in pieces {
        match p {
            Piece::Lit(s) => push_bounded(out, s, None)?,
            Piece::Ref(r) => {
                let v = lookup(&r.name);
                let set = |colon: bool| match &v {
                    None => false,
                    Some(s) => !(colon && s.is_empty()),
                };
                let arg = |out: &mut String| {
                    if depth + r.nesting >= MAX_NESTING {
                        return Err(Overflow::Deep);
                    }
                    match parse(&r.arg) {
                        Ok(ps) => expand_into(out, &ps, lookup, budget, depth + 1),
                        Err(_) => push_bounded(out, &r.arg, None),
                    }
                };
                let value = v.unwrap_or("");
                match r.op {
                    Op::Plain | Op::Required { .. } => push_bounded(out, value, Some(budget))?,
                    Op::Default { colon } => {
                        if set(colon) {
                            push_bounded(out, value, Some(budget))?;
                        } else {
                            arg(out)?;
                        }
                    }
                    Op::Alternative { colon } => {
                        if set(colon) {
                            arg(out)?;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Every reference of a template, nested defaults included (their offsets are those of
/// the outer reference).
#[cfg(test)]
pub(crate) fn refs(pieces: &[Piece]) -> Vec<Ref> {
    let mut out = Vec::new();
    for p in pieces {
        if let Piece::Ref(r) = p {
            out.push(r.clone());
            if let Ok(inner) = parse(&r.arg) {
                for mut n in refs(&inner) {
                    n.start = r.start;
                    n.len = r.len;
                    out.push(n);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(s: &str) -> Result<String, Invalid> {
        let env = |k: &str| match k {
            "SET" => Some("v"),
            "EMPTY" => Some(""),
            _ => None,
        };
        parse(s).map(|p| substitute(&p, &env))
    }

    #[test]
    fn expansion_is_bounded_in_size_total_and_depth() {
        let big = "x".repeat(MAX_VALUE / 2 + 1);
        let env = |k: &str| (k == "B").then_some(big.as_str());
        let p = parse("$B$B").unwrap();
        assert_eq!(expand(&p, &env, &Budget::default()), Err(Overflow::Long));
        let p1 = parse("$B").unwrap();
        let b = Budget::default();
        let mut n = 0;
        while expand(&p1, &env, &b).is_ok() {
            n += 1;
        }
        assert_eq!(n, MAX_TOTAL / big.len());
        assert_eq!(expand(&p1, &env, &b), Err(Overflow::Total));
        assert!(b.report(Overflow::Total) && !b.report(Overflow::Total));
        let deep = format!(
            "{}v{}",
            "${U:-".repeat(MAX_NESTING + 1),
            "}".repeat(MAX_NESTING + 1)
        );
        let p = parse(&deep).unwrap();
        assert_eq!(expand(&p, &env, &Budget::default()), Err(Overflow::Deep));
        let ok = format!(
            "{}v{}",
            "${U:-".repeat(MAX_NESTING - 1),
            "}".repeat(MAX_NESTING - 1)
        );
        assert_eq!(
            expand(&parse(&ok).unwrap(), &env, &Budget::default()).unwrap(),
            "v"
        );
    }

    #[test]
    fn compose_semantics() {
        // Measured with Compose 2.26 (`docker compose config`).
        assert_eq!(sub("x$2b").unwrap(), "x$2b");
        assert_eq!(sub("a$ b").unwrap(), "a$ b");
        assert_eq!(sub("p$").unwrap(), "p$");
        assert_eq!(sub("${UNSET:-dflt}").unwrap(), "dflt");
        assert_eq!(sub("${EMPTY-d2}").unwrap(), "");
        assert_eq!(sub("${EMPTY:-d2}").unwrap(), "d2");
        assert_eq!(sub("$${LIT}").unwrap(), "${LIT}");
        assert_eq!(sub("${SET:+alt}").unwrap(), "alt");
        assert_eq!(sub("Xy7$Qa9k2pLm").unwrap(), "Xy7");
        assert_eq!(sub("${UNSET:-${SET}}").unwrap(), "v");
        assert!(sub("${BAD").is_err());
        assert!(sub("${1X}").is_err());
        let p = parse("a${SET}b$X").unwrap();
        let r = refs(&p);
        assert_eq!((r[0].start, r[0].len, r[1].start, r[1].len), (1, 6, 8, 2));
    }
}
