//! Compose: escaping its interpolation (`$` as `$$`), and what Compose v2 makes of a plain
//! `environment` value, a port of the parts of Go's `yaml.v3` resolver and `strconv` it
//! goes through.

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
