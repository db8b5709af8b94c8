//! Quoting for each target language the renderer writes. Every value that reaches a
//! rendered text file goes through one of these (the templates use them as filters).

/// Quotes `s` as one POSIX shell word: single quotes, with `'` written as `'\''`.
///
/// ```
/// use banatie_infra_core::render::quote::shell;
/// assert_eq!(shell("it's"), r#"'it'\''s'"#);
/// assert_eq!(shell("plain"), "'plain'");
/// ```
pub fn shell(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Writes the expansion of shell variable `name` as one word, `"${NAME}"`: the braces end
/// the name wherever the word is put, the double quotes keep the value one field (no
/// splitting, no globbing; POSIX Shell Command Language, 2.6.2 and 2.6.5). `name` is an
/// [`EnvName`](crate::types::EnvName), so it is always a valid shell name.
///
/// ```
/// use banatie_infra_core::render::quote::shell_param;
/// let name: banatie_infra_core::types::EnvName = "MINIO_ACCESS_KEY".parse().unwrap();
/// assert_eq!(shell_param(&name), r#""${MINIO_ACCESS_KEY}""#);
/// ```
pub fn shell_param(name: &crate::types::EnvName) -> String {
    format!("\"${{{name}}}\"")
}

/// Writes `s` as the text of a one-line `#` comment (env files, shell, SQL `--`): every
/// character that could end the line or reach a terminal as a control sequence (Unicode
/// category Cc: C0 controls with LF and CR, DEL, C1 controls; and U+2028, U+2029) becomes
/// `\u{..}`, so no value can start a new line, and with it a new variable or command.
/// Descriptions are refused with such characters (BI209); this is the renderer's own
/// guarantee for specs that were not validated.
///
/// ```
/// use banatie_infra_core::render::quote::comment;
/// assert_eq!(comment("API key\nNODE_OPTIONS=x"), r"API key\u{a}NODE_OPTIONS=x");
/// assert_eq!(comment("plain — text"), "plain — text");
/// ```
pub fn comment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// Quotes `s` as a PostgreSQL identifier: double quotes, `"` doubled.
///
/// ```
/// use banatie_infra_core::render::quote::sql_ident;
/// assert_eq!(sql_ident("banatie_user"), r#""banatie_user""#);
/// assert_eq!(sql_ident(r#"a"b"#), r#""a""b""#);
/// ```
pub fn sql_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Quotes `s` as a PostgreSQL string literal (standard-conforming strings): single quotes,
/// `'` doubled.
///
/// ```
/// use banatie_infra_core::render::quote::sql_literal;
/// assert_eq!(sql_literal("it's"), "'it''s'");
/// ```
pub fn sql_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Writes `s` as one Caddyfile token that Caddy reads back as exactly `s`, or says why no
/// token can (`{`, `}`, and a few texts no quoting writes): [`super::caddy::token`], the one
/// Caddyfile escaper, whose documentation gives Caddy's lexing rules.
///
/// ```
/// use banatie_infra_core::render::quote::caddy;
/// assert_eq!(caddy("nosniff").unwrap(), "nosniff");
/// assert_eq!(caddy("max-age=31536000; includeSubDomains").unwrap(), r#""max-age=31536000; includeSubDomains""#);
/// assert!(caddy("}").is_err());
/// ```
pub fn caddy(s: &str) -> Result<String, super::caddy::TokenError> {
    super::caddy::token(s)
}

/// Writes `s` as an env-file value that Compose v2's env-file parser returns byte for byte:
/// single-quoted (literal: no `$` expansion, no `#` comment) when it holds no `'`, CR or
/// LF; otherwise double-quoted with `\`, `"`, `$`, LF and CR escaped.
///
/// ```
/// use banatie_infra_core::render::quote::env_value;
/// assert_eq!(env_value("$2b$12$abc"), "'$2b$12$abc'");
/// assert_eq!(env_value("abc#def"), "'abc#def'");
/// assert_eq!(env_value("it's $x"), r#""it's \$x""#);
/// ```
pub fn env_value(s: &str) -> String {
    // compose-go reads `\'` inside single quotes as an escaped quote: a value ending in a
    // backslash would never close its single quotes.
    if !s.contains(['\'', '\n', '\r']) && !s.ends_with('\\') {
        return format!("'{s}'");
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str(r"\\"),
            '"' => out.push_str("\\\""),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str(r"\n"),
            '\r' => out.push_str(r"\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Escapes `$` as `$$` so Compose's interpolation leaves a string as written (Compose
/// spec, "Interpolation").
///
/// ```
/// use banatie_infra_core::render::quote::compose_literal;
/// assert_eq!(compose_literal("Xy7$Qa9"), "Xy7$$Qa9");
/// ```
pub fn compose_literal(s: &str) -> String {
    s.replace('$', "$$")
}

/// Whether a plain (unquoted) YAML scalar `s` is read as something other than the string
/// `s` by a YAML 1.1 reader or by Compose v2.
///
/// The YAML emitter quotes what YAML 1.2's core schema resolves (`true`, `null`, `12`,
/// `1.5`), which leaves plain the values that other readers still type:
///
/// - Compose v2 parses with Go's `yaml.v3`, which resolves YAML 1.1 integers with `_`
///   (`1_000` becomes `1000`), `0b` and leading-`0` octal forms, signed `inf`/`nan`, and
///   timestamps (`2025-01-01` becomes `2025-01-01 00:00:00 +0000 UTC` in an environment
///   value; a command argument of `1_000` fails its schema);
/// - YAML 1.1 readers (PyYAML, docker-compose v1, many linters) also read `yes`/`no`/
///   `on`/`off`/`y`/`n` as booleans (`restart: no` is `false`), `22:22` and `1:20.5` as
///   base-60 numbers, and `=` and `<<` as the value and merge keys
///   (YAML 1.1 type repository, <https://yaml.org/type/>).
///
/// Errs on the side of quoting: a quoted string is a string to every reader.
///
/// ```
/// use banatie_infra_core::render::quote::yaml_plain_is_ambiguous;
/// for s in ["no", "On", "1_000", "0b101", "2025-01-01", "22:22", "=", "<<", "-.inf", "+nan"] {
///     assert!(yaml_plain_is_ambiguous(s), "{s}");
/// }
/// for s in ["production", "8080:80", "/app/logs", "-eu", "30s", "node:20-alpine", "no-cache"] {
///     assert!(!yaml_plain_is_ambiguous(s), "{s}");
/// }
/// ```
pub fn yaml_plain_is_ambiguous(s: &str) -> bool {
    if matches!(s, "" | "~" | "=" | "<<") {
        return true;
    }
    let any_case = |words: &[&str], s: &str| words.iter().any(|w| s.eq_ignore_ascii_case(w));
    // A scalar starting with a letter can only be one of the words; the rest start with a
    // digit, a sign or `.`.
    if s.as_bytes()[0].is_ascii_alphabetic() {
        return any_case(
            &["y", "yes", "n", "no", "on", "off", "true", "false", "null"],
            s,
        );
    }
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let signed = body.len() < s.len();
    if any_case(&[".inf", ".nan"], body) || (signed && any_case(&["inf", "infinity", "nan"], body))
    {
        return true;
    }
    let b = body.as_bytes();
    if b.is_empty() || !(b[0].is_ascii_digit() || b[0] == b'.') {
        return false;
    }
    // A timestamp (YAML 1.1 and yaml.v3): `YYYY-M-D`, alone or followed by a time.
    let date = |t: &[u8]| {
        t.len() >= 8
            && t[..4].iter().all(u8::is_ascii_digit)
            && t[4] == b'-'
            && t[5].is_ascii_digit()
            && (t[6] == b'-' || (t[6].is_ascii_digit() && t[7] == b'-'))
    };
    if !signed && date(b) {
        return true;
    }
    // Everything below is made of digits, `_`, `.`, `:`, signs, exponents and base
    // prefixes (`30s`, `3.20-alpine` and the like stop here).
    if !body
        .bytes()
        .all(|c| c.is_ascii_hexdigit() || b"_.:+-xXoOpP".contains(&c))
    {
        return false;
    }
    // More than one `.` (`0.0.0.0`, `1.2.3`): text to PyYAML, ruamel.yaml and yaml.v3,
    // whose floats have one `.`.
    if body.bytes().filter(|&c| c == b'.').count() > 1 {
        return false;
    }
    // Base 60: `[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?`.
    if b[0].is_ascii_digit() && body.contains(':') {
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let mut parts = int.split(':');
        let head = parts.next().unwrap_or_default();
        let head_ok = head.bytes().all(|c| c.is_ascii_digit() || c == b'_');
        let rest_ok = parts.all(|p| match p.as_bytes() {
            [d] => d.is_ascii_digit(),
            [t, d] => (b'0'..=b'5').contains(t) && d.is_ascii_digit(),
            _ => false,
        });
        let frac_ok = frac.bytes().all(|c| c.is_ascii_digit() || c == b'_');
        return head_ok && rest_ok && frac_ok;
    }
    // The rest of that alphabet, starting with a digit or `.`: a number to some reader
    // (YAML 1.1 allows `_` anywhere and several `.`; PyYAML fails on `0x_`; yaml.v3 drops
    // every `_`), or close enough that quoting it costs nothing.
    true
}

/// What [`compose_env_reading`] says of `.inf` and `.nan`.
const NOT_FINITE: &str =
    "an infinite or NaN number, and refuses the file (`json: unsupported value`)";

/// What Compose v2 makes of an `environment` value written plain when its YAML parser
/// (Go's `yaml.v3`) reads it as something other than that text: `(what it reads, the text
/// the container gets)`, or `None` when the container gets the text as written. The text
/// is `None` when it is not reproduced here (a timestamp with a zone or a fraction) and
/// for `.inf`/`.nan`, which make Compose 2.26 refuse the file.
///
/// Mirrors `yaml.v3`'s `resolve` for an untagged plain scalar: the booleans
/// `true`/`True`/`TRUE`/`false`/`False`/`FALSE` and `.inf`/`.nan`; for a scalar starting
/// with `.`, a float (`strconv.ParseFloat`); for one starting with a digit or a sign, a
/// timestamp (`2006-1-2`, `2006-1-2 15:4:5[.f]`, `2006-1-2T15:4:5[.f]Z07:00`), then, with
/// every `_` removed, an integer (`strconv.ParseInt`/`ParseUint` with base prefixes `0b`,
/// `0o`, `0x` and a leading `0` for octal, 64 bits) or a YAML-style float. Out-of-range
/// numbers stay text. Compose prints the typed value back with Go's `%v` (floats as `%g`
/// with the shortest digits: `1e+06`, `1e-05`). Read off `docker compose config`,
/// Compose 2.26. YAML 1.1's `yes`/`no`/`on`/`off` and base-60 numbers stay text.
///
/// ```
/// use banatie_infra_core::render::quote::compose_env_reading;
/// let gets = |s| compose_env_reading(s).and_then(|(_, got)| got);
/// assert_eq!(gets("1_000").as_deref(), Some("1000"));
/// assert_eq!(gets("0755").as_deref(), Some("493"));
/// assert_eq!(gets("1.10").as_deref(), Some("1.1"));
/// assert_eq!(gets("1e6").as_deref(), Some("1e+06"));
/// assert_eq!(gets("True").as_deref(), Some("true"));
/// assert_eq!(gets("2025-01-01").as_deref(), Some("2025-01-01 00:00:00 +0000 UTC"));
/// for same in ["3000", "on", "production", "1e999", "2025-01-01T10:00:00", "0x10000000000000000"] {
///     assert_eq!(compose_env_reading(same), None, "{same}");
/// }
/// ```
pub fn compose_env_reading(plain: &str) -> Option<(&'static str, Option<String>)> {
    let differs = |what: &'static str, got: String| (got != plain).then_some((what, Some(got)));
    match plain {
        "true" | "True" | "TRUE" => return differs("a boolean", "true".into()),
        "false" | "False" | "FALSE" => return differs("a boolean", "false".into()),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
        | ".nan" | ".NaN" | ".NAN" => return Some((NOT_FINITE, None)),
        _ => {}
    }
    match *plain.as_bytes().first()? {
        b'.' => {
            let f = go_parse_float(plain)?;
            differs("a number", go_float(f))
        }
        b'0'..=b'9' | b'+' | b'-' => {
            if let Some(t) = go_timestamp(plain) {
                return match t {
                    Some(t) => differs("a timestamp", t),
                    None => Some(("a timestamp", None)),
                };
            }
            let p: String = plain.chars().filter(|&c| c != '_').collect();
            if let Some(i) = go_parse_int(&p) {
                return differs("a number", i.to_string());
            }
            if yaml_style_float(&p) {
                let f = go_parse_float(&p)?;
                return differs("a number", go_float(f));
            }
            None
        }
        _ => None,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)`, then `ParseUint(s, 0, 64)`: an optional sign
/// (`ParseInt` only), a base prefix `0b`/`0o`/`0x` (either case) or a leading `0` for
/// octal, digits; `None` out of range.
fn go_parse_int(s: &str) -> Option<i128> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let signed = body.len() < s.len();
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = match lower.as_bytes() {
        [b'0', b'x', ..] => (16, &lower[2..]),
        [b'0', b'b', ..] => (2, &lower[2..]),
        [b'0', b'o', ..] => (8, &lower[2..]),
        [b'0', _, ..] => (8, &lower[1..]),
        _ => (10, lower.as_str()),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = u128::from_str_radix(digits, radix).ok()?;
    let v = i128::try_from(v).ok()?;
    let v = if neg { -v } else { v };
    // ParseInt takes int64; ParseUint (no sign) takes uint64.
    let fits = i64::try_from(v).is_ok() || (!signed && u64::try_from(v).is_ok());
    fits.then_some(v)
}

/// `yaml.v3`'s `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn yaml_style_float(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => digits(frac),
        Some((int, frac)) => digits(int) && (frac.is_empty() || digits(frac)),
        None => digits(mantissa),
    };
    mantissa_ok && exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)))
}

/// Go's `strconv.ParseFloat(s, 64)` for the decimal forms `yaml.v3` hands it (a YAML-style
/// float, or text starting with `.`, where Rust's and Go's syntaxes agree): `None` when it
/// fails or is out of range (then `yaml.v3` keeps the text).
fn go_parse_float(s: &str) -> Option<f64> {
    let f = s.parse::<f64>().ok()?;
    f.is_finite().then_some(f)
}

/// Go's `%v` of a float64: `%g` with the shortest digits, in exponent form when the
/// exponent is below -4 or at least 6 (`strconv.FormatFloat(f, 'g', -1, 64)`), with a
/// signed exponent of at least two digits.
fn go_float(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..6).contains(&exp) {
        format!("{f}")
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
    }
}

/// A plain scalar `yaml.v3` reads as a timestamp: `Some(Some(Go's time.Time text))`,
/// `Some(None)` when it is a timestamp whose text is not reproduced (a zone or a
/// fraction), `None` when it is not a timestamp. Formats (Go layouts):
/// `2006-1-2T15:4:5.999999999Z07:00` (also with `t`), `2006-1-2 15:4:5.999999999`,
/// `2006-1-2`.
fn go_timestamp(s: &str) -> Option<Option<String>> {
    let b = s.as_bytes();
    if !(b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-') {
        return None;
    }
    let (date, rest) = match s.find([' ', 'T', 't']) {
        Some(i) => (&s[..i], Some((s.as_bytes()[i], &s[i + 1..]))),
        None => (s, None),
    };
    let num = |t: &str, min: usize, max: usize| {
        (t.len() >= min && t.len() <= max && t.bytes().all(|c| c.is_ascii_digit()))
            .then(|| t.parse::<u32>().ok())
            .flatten()
    };
    let mut d = date.split('-');
    let (y, m, day) = (d.next()?, d.next()?, d.next()?);
    let (year, m, day) = (num(y, 4, 4)?, num(m, 1, 2)?, num(day, 1, 2)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if d.next().is_some() || !(1..=12).contains(&m) || !(1..=days).contains(&day) {
        return None;
    }
    let Some((sep, time)) = rest else {
        return Some(Some(format!("{y}-{m:02}-{day:02} 00:00:00 +0000 UTC")));
    };
    // `15:4:5`, then a fraction, then (after `T`/`t` only, and required there) a zone.
    let clock_len = time
        .find(|c: char| !(c.is_ascii_digit() || c == ':'))
        .unwrap_or(time.len());
    let mut parts = time[..clock_len].split(':');
    let (h, mi, sec) = (
        num(parts.next()?, 1, 2)?,
        num(parts.next()?, 1, 2)?,
        num(parts.next()?, 1, 2)?,
    );
    if parts.next().is_some() || h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let mut tail = &time[clock_len..];
    let mut fraction = false;
    if let Some(f) = tail.strip_prefix('.') {
        let n = f.find(|c: char| !c.is_ascii_digit()).unwrap_or(f.len());
        if n == 0 {
            return None;
        }
        fraction = true;
        tail = &f[n..];
    }
    if sep == b' ' {
        // No zone in this layout.
        return tail.is_empty().then(|| {
            (!fraction).then(|| format!("{y}-{m:02}-{day:02} {h:02}:{mi:02}:{sec:02} +0000 UTC"))
        });
    }
    // `Z07:00`: `Z`, or a sign, two-digit hours, `:`, two-digit minutes.
    let zone_ok = tail == "Z"
        || (tail.len() == 6
            && tail.starts_with(['+', '-'])
            && tail.as_bytes()[3] == b':'
            && num(&tail[1..3], 2, 2).is_some_and(|z| z <= 23)
            && num(&tail[4..6], 2, 2).is_some_and(|z| z <= 59));
    if !zone_ok {
        return None;
    }
    Some(
        (tail == "Z" && !fraction)
            .then(|| format!("{y}-{m:02}-{day:02} {h:02}:{mi:02}:{sec:02} +0000 UTC")),
    )
}

/// Whether the YAML emitter (`yaml_serde` 0.10, `ser.rs`) would quote the string `s`
/// because its own reader types it: null (`~`, `null`, empty), the booleans `true` and
/// `false` (three spellings each), integers that fit 128 bits (decimal, `0x`, `0o`, `0b`,
/// signed; not a leading `0`), finite floats (Rust's `f64` syntax) and `.inf`/`.nan`.
/// A port of `yaml_serde`'s `visit_untagged_scalar` (`de.rs`). In emitted text a plain
/// scalar of this form is a typed value, and every other plain scalar a string.
fn emitter_types(s: &str) -> bool {
    if matches!(
        s,
        "" | "~"
            | "null"
            | "Null"
            | "NULL"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
    ) {
        return true;
    }
    emitter_int(s) || (!digits_but_not_number(s) && emitter_float(s))
}

/// `yaml_serde`'s `digits_but_not_number`: a leading `0` and more digits (a string in
/// YAML 1.2).
fn digits_but_not_number(s: &str) -> bool {
    let t = s.strip_prefix(['-', '+']).unwrap_or(s);
    t.len() > 1 && t.starts_with('0') && t[1..].bytes().all(|b| b.is_ascii_digit())
}

/// `yaml_serde`'s `parse_unsigned_int` (`u128`) or `parse_negative_int` (`i128`).
fn emitter_int(s: &str) -> bool {
    const PREFIXES: [(&str, u32); 3] = [("0x", 16), ("0o", 8), ("0b", 2)];
    let unpositive = s.strip_prefix('+').unwrap_or(s);
    for (prefix, radix) in PREFIXES {
        if let Some(rest) = unpositive.strip_prefix(prefix) {
            if rest.starts_with(['+', '-']) {
                return false;
            }
            if u128::from_str_radix(rest, radix).is_ok() {
                return true;
            }
        }
    }
    let unsigned = !unpositive.starts_with(['+', '-'])
        && !digits_but_not_number(s)
        && unpositive.parse::<u128>().is_ok();
    if unsigned {
        return true;
    }
    for (prefix, radix) in PREFIXES {
        if let Some(rest) = s.strip_prefix('-').and_then(|r| r.strip_prefix(prefix)) {
            if i128::from_str_radix(&format!("-{rest}"), radix).is_ok() {
                return true;
            }
        }
    }
    !digits_but_not_number(s) && s.parse::<i128>().is_ok()
}

/// `yaml_serde`'s `parse_f64`: `.inf`/`.nan` spellings, or a finite Rust `f64`.
fn emitter_float(s: &str) -> bool {
    let unpositive = match s.strip_prefix('+') {
        Some(u) if u.starts_with(['+', '-']) => return false,
        Some(u) => u,
        None => s,
    };
    matches!(unpositive, ".inf" | ".Inf" | ".INF")
        || matches!(s, "-.inf" | "-.Inf" | "-.INF" | ".nan" | ".NaN" | ".NAN")
        || unpositive.parse::<f64>().is_ok_and(f64::is_finite)
}

/// Whether a plain scalar in emitted YAML is a string that [`yaml_plain_is_ambiguous`]
/// says some reader types: one to quote.
fn needs_quotes(plain: &str) -> bool {
    // Every plain scalar it holds for starts with one of these bytes (a digit, a sign,
    // `.`, `~`, `=`, `<`, or the first letter of a YAML 1.1 word): most keys and values
    // are rejected here, on every render.
    match plain.as_bytes().first() {
        Some(b) if b.is_ascii_digit() || b"+-.~=<yYnNoOtTfF".contains(b) => {
            yaml_plain_is_ambiguous(plain) && !emitter_types(plain)
        }
        _ => false,
    }
}

/// Quotes, in YAML text written by the YAML emitter, every plain scalar (key or value) that
/// is a string some reader would type ([`yaml_plain_is_ambiguous`]), so that every reader
/// gets the string the model holds. Typed values (`retries: 3`, `internal: true`) stay
/// plain. Returns the text itself when there is nothing to quote.
///
/// Works line by line on what the emitter writes (block style, no line width, so every
/// flow scalar is on one line; multi-line strings as literal block scalars, whose content
/// lines are skipped): a plain scalar to quote is a whole key (`no:`), the text after the
/// last `: ` (a plain value never holds `: `), or a whole sequence item.
pub(crate) fn requote_ambiguous_yaml(text: String) -> String {
    // (start, end) byte ranges to wrap in single quotes, in order.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    // The indentation of the line that opened a block scalar, while in its content.
    let mut block: Option<usize> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let indent = line.bytes().take_while(|&c| c == b' ').count();
        if let Some(parent) = block {
            if indent == line.len() || indent > parent {
                continue;
            }
            block = None;
        }
        // Past the indentation and any `- ` of sequence items.
        let b = line.as_bytes();
        let mut i = indent;
        // The column of the last `- `: a block scalar item's content is indented past it.
        let mut dash = None;
        while b.get(i) == Some(&b'-') && b.get(i + 1) == Some(&b' ') {
            dash = Some(i);
            i += 2;
            while b.get(i) == Some(&b' ') {
                i += 1;
            }
        }
        let t = &line[i..];
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let (key, value) = match (
            first_colon_space(t.as_bytes()),
            last_colon_space(t.as_bytes()),
        ) {
            (Some(k), Some(v)) => (Some((i, i + k)), Some(i + v + 2)),
            _ => match t.strip_suffix(':') {
                Some(k) => (Some((i, i + k.len())), None),
                None => (None, Some(i)),
            },
        };
        if let Some((ks, ke)) = key {
            if needs_quotes(&line[ks..ke]) {
                spans.push((start + ks, start + ke));
            }
        }
        if let Some(vs) = value {
            let v = &line[vs..];
            if v.starts_with(['|', '>'])
                && v[1..]
                    .bytes()
                    .all(|c| c.is_ascii_digit() || c == b'-' || c == b'+')
            {
                // Content is indented past its key's column, or past the `- ` of an item.
                block = Some(if key.is_some() {
                    i
                } else {
                    dash.unwrap_or(indent)
                });
            } else if needs_quotes(v) {
                spans.push((start + vs, start + line.len()));
            }
        }
    }
    if spans.is_empty() {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 2 * spans.len());
    let mut last = 0;
    for (start, end) in spans {
        out.push_str(&text[last..start]);
        out.push('\'');
        out.push_str(&text[start..end]);
        out.push('\'');
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

/// The offset of the last `": "` in `b`.
fn last_colon_space(b: &[u8]) -> Option<usize> {
    (0..b.len().saturating_sub(1))
        .rev()
        .find(|&i| b[i] == b':' && b[i + 1] == b' ')
}

/// The offset of the first `": "` in `b`.
fn first_colon_space(b: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(c) = b[from..].iter().position(|&x| x == b':') {
        let at = from + c;
        if b.get(at + 1) == Some(&b' ') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What Compose v2 does with each of these written plain was read off
    /// `docker compose config` (2.26): `1_000` → `1000`, `0b101` → `5`, `2025-01-01` →
    /// `2025-01-01 00:00:00 +0000 UTC`; the rest are YAML 1.1 (<https://yaml.org/type/>).
    #[test]
    fn strings_some_reader_types_are_ambiguous() {
        for s in [
            "no",
            "No",
            "NO",
            "n",
            "Y",
            "yes",
            "on",
            "OFF",
            "~",
            "=",
            "<<",
            "",
            "1_000",
            "-1_000",
            "0b101",
            "-0b11",
            "0755",
            "0o17",
            "0x1F",
            "2025-01-01",
            "2025-1-1",
            "2025-01-01 10:00:00",
            "2001-12-14t21:59:43.10-05:00",
            "22:22",
            "1:20",
            "190:20:30.15",
            "-1:30",
            "1e3",
            ".5",
            "1_0.5",
            "+12",
            ".inf",
            "-.Inf",
            "+inf",
            "-nan",
            "+Infinity",
            "3",
            "true",
            "null",
        ] {
            assert!(yaml_plain_is_ambiguous(s), "{s:?}");
        }
        // Over-quoted, harmlessly: number-like text some reader may choke on.
        for s in ["0x", "0b", "0x_", "._", "2025-01", "1_000a", "1e999"] {
            assert!(yaml_plain_is_ambiguous(s), "{s:?}");
        }
        for s in [
            "production",
            "unless-stopped",
            "8080:80",
            "443:443",
            "1:60",
            "/app/logs",
            "-eu",
            "node:20-alpine",
            "3.20-alpine",
            "30s",
            "1.2.3",
            "0.0.0.0",
            "127.0.0.1",
            "no-cache",
            "none",
            "inf",
            "nan",
            "20250101T",
            "v1_000",
            "12:30:61",
            "yess",
            "::1",
            ":9000",
            "a=b",
            "<<<",
        ] {
            assert!(!yaml_plain_is_ambiguous(s), "{s:?}");
        }
    }

    #[test]
    fn emitter_types_what_the_emitter_reads_as_typed() {
        for s in [
            "", "~", "null", "TRUE", "false", "0", "-12", "+3", "0o17", "0x1F", "0b101", "-0b11",
            "1.5", "1.", ".5", "-1e3", "1E+30", ".inf", "-.INF", ".NaN",
        ] {
            assert!(emitter_types(s), "{s:?}");
        }
        for s in [
            "no",
            "1_000",
            "0755",
            "2025-01-01",
            "22:22",
            "+inf",
            "inf",
            "1e",
            "1e999",
            ".",
            "0x",
            "tRue",
            "-",
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        ] {
            assert!(!emitter_types(s), "{s:?}");
        }
    }

    #[test]
    fn requoting_quotes_only_ambiguous_strings() {
        let text = "restart: no\nretries: 3\ninternal: true\nx: null\ncommand:\n- on\n- -eu\n- 1_000\n- 8080:80\nenv:\n  A: 2025-01-01\n  B: '0755'\n  on: off\nscript: |-\n  no\n  1_000\n";
        let want = "restart: 'no'\nretries: 3\ninternal: true\nx: null\ncommand:\n- 'on'\n- -eu\n- '1_000'\n- 8080:80\nenv:\n  A: '2025-01-01'\n  B: '0755'\n  'on': 'off'\nscript: |-\n  no\n  1_000\n";
        assert_eq!(requote_ambiguous_yaml(text.into()), want);
        // Non-ASCII text, in a block scalar and on the line itself, before the value.
        let text = "a: |-\n  日本語 é\n  🙂\nb: é\nc:\n- 日本\n- no\nd: yes\n";
        let want = "a: |-\n  日本語 é\n  🙂\nb: é\nc:\n- 日本\n- 'no'\nd: 'yes'\n";
        assert_eq!(requote_ambiguous_yaml(text.into()), want);
        // Strings the emitter leaves plain because its own reader does not type them (out
        // of range), which other readers type or fail on.
        let long = "9".repeat(310);
        for v in [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "1e999",
            "1e+999",
            "0x_",
            "._",
            long.as_str(),
        ] {
            let emitted = serde_yaml::to_string(&[v]).unwrap();
            assert_eq!(requote_ambiguous_yaml(emitted), format!("- '{v}'\n"), "{v}");
        }
        // A block scalar in a map in a sequence, then a sibling key to quote.
        let text = "- a: |-\n    no\n    x\n  b: on\n- |-\n  yes\n  z\n- off\n";
        let want = "- a: |-\n    no\n    x\n  b: 'on'\n- |-\n  yes\n  z\n- 'off'\n";
        assert_eq!(requote_ambiguous_yaml(text.into()), want);
        // Nothing to quote: the same text back.
        let plain = "a: production\nretries: 3\n";
        assert_eq!(requote_ambiguous_yaml(plain.into()), plain);
    }

    fn scalar_text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9a-fA-FxXoObBnNyYtT._eE+:~=<-]{0,10}",
            "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}( [0-9]{2}:[0-9]{2}:[0-9]{2})?",
            "[-+]?[0-9_]{1,4}(:[0-9]{1,2}){1,3}(\\.[0-9_]{0,3})?",
            prop::sample::select(vec![
                "no",
                "Yes",
                "ON",
                "off",
                "y",
                "N",
                "inf",
                "+inf",
                "-Infinity",
                ".NaN",
                "~",
                "null",
                "True"
            ])
            .prop_map(String::from),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() })]

        /// A string the emitter writes plain is never taken for a typed value (else it
        /// would be left unquoted).
        /// The first-byte gate of `needs_quotes` rejects nothing the two predicates accept.
        #[test]
        fn the_gate_of_needs_quotes_loses_nothing(s in prop_oneof![scalar_text(), ".{0,8}"]) {
            prop_assert_eq!(needs_quotes(&s), yaml_plain_is_ambiguous(&s) && !emitter_types(&s), "{:?}", s);
        }

        /// `emitter_types` is the emitter's own reading: exactly the strings its reader
        /// types.
        #[test]
        fn emitter_types_agrees_with_the_emitter(s in prop_oneof![scalar_text(), "[0-9a-fA-FxXoObB.eE+_-]{1,40}", "[0-9]{300,320}"]) {
            if let Ok(v) = serde_yaml::from_str::<serde_yaml::Value>(&s) {
                if !matches!(v, serde_yaml::Value::Sequence(_) | serde_yaml::Value::Mapping(_) | serde_yaml::Value::Tagged(_)) {
                    prop_assert_eq!(emitter_types(&s), !v.is_string(), "{:?} reads as {:?}", s, v);
                }
            }
            let emitted = serde_yaml::to_string(&s).unwrap();
            if !emitted.starts_with(['\'', '"']) {
                prop_assert!(!emitter_types(emitted.trim_end()), "{:?} emitted as {:?}", s, emitted);
            }
        }

        /// Every typed scalar the emitter writes stays plain.
        #[test]
        fn typed_values_the_emitter_writes_are_emitter_typed(i in any::<i64>(), u in any::<u64>(), f in any::<f64>(), b in any::<bool>()) {
            for v in [serde_yaml::to_string(&i).unwrap(), serde_yaml::to_string(&u).unwrap(), serde_yaml::to_string(&f).unwrap(), serde_yaml::to_string(&b).unwrap(), serde_yaml::to_string(&()).unwrap()] {
                prop_assert!(emitter_types(v.trim_end()), "{:?}", v);
            }
        }

        /// Requoting keeps every value (strings stay those strings, typed values their
        /// types) and leaves no plain string that a reader would type.
        #[test]
        fn requoting_keeps_values_and_leaves_nothing_ambiguous(
            m in prop::collection::btree_map(scalar_text(), prop_oneof![
                scalar_text().prop_map(serde_yaml::Value::from),
                "[a-zé日🙂 \n]{0,12}".prop_map(serde_yaml::Value::from),
                any::<i32>().prop_map(serde_yaml::Value::from),
                any::<bool>().prop_map(serde_yaml::Value::from),
                prop::collection::vec(scalar_text(), 0..3).prop_map(serde_yaml::Value::from),
                // Maps in a sequence, with block scalars among ambiguous siblings.
                prop::collection::vec(
                    prop::collection::btree_map(scalar_text(), prop_oneof![scalar_text(), "[a-z0-9 ]{0,4}\n[a-z0-9 \n]{0,8}"], 0..4),
                    0..3,
                ).prop_map(|v| serde_yaml::to_value(v).unwrap()),
            ], 0..6),
        ) {
            let emitted = serde_yaml::to_string(&m).unwrap();
            let quoted = requote_ambiguous_yaml(emitted.clone());
            let before: serde_yaml::Value = serde_yaml::from_str(&emitted).unwrap();
            let after: serde_yaml::Value = serde_yaml::from_str(&quoted).unwrap();
            prop_assert_eq!(&before, &after, "{}", quoted);
            use yaml_rust2::parser::{Event, Parser};
            use yaml_rust2::scanner::TScalarStyle;
            let mut parser = Parser::new_from_str(&quoted);
            while let Ok((ev, _)) = parser.next_token() {
                match ev {
                    Event::StreamEnd => break,
                    Event::Scalar(v, TScalarStyle::Plain, _, _) => prop_assert!(!needs_quotes(&v), "{:?} in {}", v, quoted),
                    _ => {}
                }
            }
        }
    }
}
