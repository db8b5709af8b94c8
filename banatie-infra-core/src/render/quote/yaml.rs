//! YAML: which plain scalars some reader (YAML 1.1, Compose v2's `yaml.v3`) types as
//! something other than a string, what the YAML emitter (`yaml_serde`) itself types, and
//! the requoting of emitted YAML that leaves every reader the strings the model holds.

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
