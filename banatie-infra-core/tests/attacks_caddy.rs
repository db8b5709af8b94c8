//! Attacks on the generated Caddyfile (issue 13, "Caddy directive injection"): hostile
//! spec values in every field that reaches the Caddyfile, each ending in a coded error at
//! its path, or in a Caddyfile that `caddy adapt` (Caddy 2.6.2) reads as exactly the
//! spec (the value byte for byte, no other route, matcher, handler or log:
//! tests/caddy_oracle). Kinds guarded:
//!
//! - block close and open: `}` / `{` in a header value, a header name, a CORS origin and
//!   header list, `cache_control`, a cache path, a domain, a log file, the log directory;
//! - `import` (and the `header` block's own words `defer`, `match`) where a line starts;
//! - parse-time `{$VAR}` environment substitution, run-time `{env.X}` / `{http.*}`
//!   placeholders and adapter shorthands (`{host}`);
//! - `\` handling: `\`, `\\`, `\"`, a trailing `\` (literal, not doubled);
//! - newlines, CR, tabs, NUL, DEL, NEL and other control characters;
//! - `#` comment starts, `(name)` snippet syntax, `<<` heredocs, `@` matchers, quotes and
//!   backquotes, Unicode spaces;
//! - Caddy's header operators (`+Name`, `-Name`, `Name:`), empty values, values HTTP trims;
//! - directive injection through a whole line (`x\n\trespond "pwned" 200`);
//! - roll sizes Caddy refuses (`too large`);
//! - one header set twice in different cases (Caddy would drop the first silently);
//! - the `import` verb: hostile headers of a hand-written Caddyfile stay out of the spec.

mod caddy_oracle;

use banatie_infra_core::load::{load_str, Format, LoadError};
use banatie_infra_core::render::caddy::{line_start_token, token};
use banatie_infra_core::spec::Spec;
use serde_json::{json, Value};

/// A spec with one site for `web` (domain `a.example.com`) after `edit` changed it.
fn spec_text(edit: impl FnOnce(&mut Value)) -> String {
    let mut v = json!({
        "stack": {"name": "p"},
        "networks": {"proxy-network": {"external": true}},
        "services": {"web": {"kind": "app", "image": "example/web:1", "port": 3000, "networks": ["proxy-network"]}},
        "sites": [{"domains": ["a.example.com"], "service": "web"}],
    });
    edit(&mut v);
    serde_json::to_string(&v).unwrap()
}

/// Asserts that the spec is refused with an error `code` whose pointer starts with `at`.
fn refused(what: &str, text: &str, code: &str, at: &str) {
    // A NUL anywhere is refused by the loader first (BI109), before any field's type.
    let code = if what.contains('\0') { "BI109" } else { code };
    let diags = match load_str(text, Format::Json, "attack.json") {
        Err(LoadError::Invalid(d)) => vec![*d],
        Err(e) => panic!("{what}: not a coded error: {e}"),
        Ok(l) => banatie_infra_core::validate::validate(&l.spec),
    };
    assert!(
        diags
            .iter()
            .any(|d| d.is_error() && d.code.0 == code && d.pointer.starts_with(at)),
        "{what}: expected {code} at {at}, got {:#?}",
        diags
            .iter()
            .map(|d| (d.code.0, &d.pointer, &d.message))
            .collect::<Vec<_>>()
    );
}

/// Asserts that the spec is valid and Caddy reads its Caddyfile as exactly the spec.
fn literal(what: &str, text: &str) -> Spec {
    let spec = load_str(text, Format::Json, "attack.json")
        .unwrap_or_else(|e| panic!("{what}: {e}"))
        .spec;
    let diags = banatie_infra_core::validate::validate(&spec);
    assert!(
        !banatie_infra_core::diagnostic::has_errors(&diags),
        "{what}: {diags:#?}"
    );
    caddy_oracle::check_spec(&spec).unwrap_or_else(|e| panic!("{what}: {e}"));
    spec
}

fn header(name: &str, value: &str) -> String {
    spec_text(|v| v["sites"][0]["headers"] = json!({ name: value }))
}

/// Values no Caddyfile token carries, or that HTTP or Caddy would change.
const BAD_VALUES: &[&str] = &[
    "}",
    "{",
    "{}",
    "\"}\"",
    "x }",
    "x\n}\nrespond \"pwned\" 200\n{",
    "x\n\trespond \"pwned\" 200",
    "{$HOME}",
    "{$BANATIE_CANARY}",
    "a{$BANATIE_CANARY:default}b",
    "{env.HOME}",
    "{http.request.header.Authorization}",
    "{host}",
    "\\{host\\}",
    "a\nb",
    "a\rb",
    "a\tb",
    "a\u{0}b",
    "a\u{7f}b",
    "a\u{85}b",
    "a\u{1b}[31mb",
    "",
    " lead",
    "trail ",
    "`a\\\" b",
    "` trailing\\",
];

/// Values Caddy must carry byte for byte.
const LITERAL_VALUES: &[&str] = &[
    "import",
    "import /etc/passwd",
    "#not-a-comment",
    "a #b",
    "(snippet)",
    "<<EOF",
    "<<EOF x",
    "@matcher",
    "\\",
    "a\\b",
    "a\\\\b",
    "a\\\"b",
    "trailing\\",
    "\"",
    "say \"hi\"",
    "`",
    "`back` quoted",
    "'single'",
    "a\u{a0}b",
    "a\u{2028}b",
    "défaut 日本 🙂",
    "max-age=31536000; includeSubDomains; preload",
    "default-src 'self'; script-src 'none'",
    "$HOME",
    "$(HOME)$",
    "*",
];

#[test]
fn header_values_that_caddy_cannot_carry_are_refused() {
    for bad in BAD_VALUES {
        refused(bad, &header("X-A", bad), "BI102", "/sites/0/headers");
        let cache =
            spec_text(|v| v["sites"][0]["cache"] = json!([{"path": "/x/*", "cache_control": bad}]));
        refused(bad, &cache, "BI102", "/sites/0/cache/0/cache_control");
    }
}

#[test]
fn header_values_reach_caddy_literally() {
    caddy_oracle::require_caddy();
    // All in one spec and one `caddy adapt`: one header each, and a cache rule each.
    let text = spec_text(|v| {
        let headers: serde_json::Map<String, Value> = LITERAL_VALUES
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("X-V{i}"), json!(s)))
            .collect();
        v["sites"][0]["headers"] = Value::Object(headers);
        v["sites"][0]["cache"] = LITERAL_VALUES
            .iter()
            .enumerate()
            .map(|(i, s)| json!({"path": format!("/c{i}/*"), "cache_control": s}))
            .collect();
    });
    let spec = literal("literal header values", &text);
    assert_eq!(spec.sites[0].headers.len(), LITERAL_VALUES.len());
}

#[test]
fn header_names_are_tokens_caddy_reads_literally() {
    caddy_oracle::require_caddy();
    for bad in [
        "}", "{", "import", "defer", "match", "-Server", "+X-A", "X-A:", "X A", "X\nA", "(a)",
        "@a", "\"X\"", "", "X{$HOME}", "é", "X\u{0}",
    ] {
        refused(bad, &header(bad, "v"), "BI102", "/sites/0/headers");
        for list in ["allow_headers", "expose_headers"] {
            let cors = spec_text(|v| v["sites"][0]["cors"] = json!({ list: [bad] }));
            refused(bad, &cors, "BI102", &format!("/sites/0/cors/{list}/0"));
        }
    }
    // What is a token is carried as is (Go's canonical case for names Caddy sets).
    let names = [
        "Import",
        "Defer",
        "Match",
        "#X",
        "X#",
        "*",
        "x-lower",
        "X_Y",
        "a!b$c%d&e'f*g.h^i`j|k~l",
        "1x",
        "X-+",
    ];
    let text = spec_text(|v| {
        let headers: serde_json::Map<String, Value> = names
            .iter()
            .map(|n| ((*n).to_owned(), json!("v")))
            .collect();
        v["sites"][0]["headers"] = Value::Object(headers);
        v["sites"][0]["cors"] = json!({"allow_headers": names, "expose_headers": ["*", "Import"]});
    });
    literal("header names", &text);
}

#[test]
fn a_header_named_twice_in_any_case_is_refused() {
    let text = spec_text(|v| {
        v["sites"][0]["headers"] = json!({"X-Robots-Tag": "none", "x-robots-tag": "all"})
    });
    refused(
        "case duplicate",
        &text,
        "BI407",
        "/sites/0/headers/x-robots-tag",
    );
}

#[test]
fn every_other_field_refuses_caddyfile_syntax_and_carries_its_limits() {
    caddy_oracle::require_caddy();
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "origin `}`",
            spec_text(|v| v["sites"][0]["cors"] = json!({"origin": "}"})),
            "BI405",
            "/sites/0/cors/origin",
        ),
        (
            "origin `{$HOME}`",
            spec_text(|v| v["sites"][0]["cors"] = json!({"origin": "https://{$HOME}"})),
            "BI405",
            "/sites/0/cors/origin",
        ),
        (
            "origin with a newline",
            spec_text(|v| v["sites"][0]["cors"] = json!({"origin": "https://a.com\n}"})),
            "BI405",
            "/sites/0/cors/origin",
        ),
        (
            "domain `}`",
            spec_text(|v| v["sites"][0]["domains"] = json!(["}"])),
            "BI102",
            "/sites/0/domains/0",
        ),
        (
            "domain snippet",
            spec_text(|v| v["sites"][0]["domains"] = json!(["(snip)"])),
            "BI102",
            "/sites/0/domains/0",
        ),
        (
            "domain import",
            spec_text(|v| v["sites"][0]["domains"] = json!(["import"])),
            "BI102",
            "/sites/0/domains/0",
        ),
        (
            "domain with a block",
            spec_text(|v| v["sites"][0]["domains"] = json!(["a.com {\n respond x\n}\nb.com"])),
            "BI102",
            "/sites/0/domains/0",
        ),
        (
            "domain env",
            spec_text(|v| v["sites"][0]["domains"] = json!(["{$HOME}.com"])),
            "BI102",
            "/sites/0/domains/0",
        ),
        (
            "cache path `}`",
            spec_text(|v| v["sites"][0]["cache"] = json!([{"path": "/}", "cache_control": "x"}])),
            "BI102",
            "/sites/0/cache/0/path",
        ),
        (
            "cache path env",
            spec_text(|v| {
                v["sites"][0]["cache"] = json!([{"path": "/{$HOME}", "cache_control": "x"}])
            }),
            "BI102",
            "/sites/0/cache/0/path",
        ),
        (
            "cache path placeholder",
            spec_text(|v| {
                v["sites"][0]["cache"] = json!([{"path": "/{path}", "cache_control": "x"}])
            }),
            "BI102",
            "/sites/0/cache/0/path",
        ),
        (
            "cache path comment",
            spec_text(|v| {
                v["sites"][0]["cache"] = json!([{"path": "/a #b", "cache_control": "x"}])
            }),
            "BI102",
            "/sites/0/cache/0/path",
        ),
        (
            "cache path newline",
            spec_text(|v| {
                v["sites"][0]["cache"] = json!([{"path": "/a\nrespond x", "cache_control": "x"}])
            }),
            "BI102",
            "/sites/0/cache/0/path",
        ),
        (
            "log file `}`",
            spec_text(|v| v["sites"][0]["access_log"] = json!({"file": "a}.log"})),
            "BI102",
            "/sites/0/access_log/file",
        ),
        (
            "log file space",
            spec_text(|v| v["sites"][0]["access_log"] = json!({"file": "a.log {"})),
            "BI102",
            "/sites/0/access_log/file",
        ),
        (
            "log dir env",
            spec_text(|v| v["proxy"] = json!({"log_dir": "/var/{$HOME}"})),
            "BI102",
            "/proxy/log_dir",
        ),
        (
            "log dir newline",
            spec_text(|v| v["proxy"] = json!({"log_dir": "/var/log\n}\nimport /etc"})),
            "BI102",
            "/proxy/log_dir",
        ),
        (
            "roll size `}`",
            spec_text(|v| {
                v["sites"][0]["access_log"] = json!({"file": "a.log", "roll_size": "10MiB }"})
            }),
            "BI102",
            "/sites/0/access_log/roll_size",
        ),
        (
            "roll size Caddy refuses",
            spec_text(|v| {
                v["sites"][0]["access_log"] =
                    json!({"file": "a.log", "roll_size": "18446744073709551615B"})
            }),
            "BI403",
            "/sites/0/access_log/roll_size",
        ),
        (
            "roll keep text",
            spec_text(|v| {
                v["sites"][0]["access_log"] = json!({"file": "a.log", "roll_keep": "5 }"})
            }),
            "BI102",
            "/sites/0/access_log/roll_keep",
        ),
        (
            "method `}`",
            spec_text(|v| v["sites"][0]["methods"] = json!(["GET }"])),
            "BI102",
            "/sites/0/methods/0",
        ),
        (
            "service `}`",
            spec_text(|v| v["sites"][0]["service"] = json!("web }")),
            "BI102",
            "/sites/0/service",
        ),
    ];
    for (what, text, code, at) in cases {
        refused(what, &text, code, at);
    }
    // The limits of each field reach Caddy as written.
    let text = spec_text(|v| {
        v["proxy"] = json!({"log_dir": "/var/log/@caddy+x"});
        v["sites"][0]["domains"] = json!(["a.example.com", "xn--bcher-kva.example", "0-0.a1"]);
        v["sites"][0]["methods"] =
            json!(["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]);
        v["sites"][0]["cors"] = json!({"origin": "https://[::1]:8443", "methods": ["GET", "POST"]});
        v["sites"][0]["cache"] = json!([{"path": "/a*b!%20(x)[y]|~", "cache_control": "x"}]);
        v["sites"][0]["access_log"] =
            json!({"file": "d/@a+b.log", "roll_size": "1048576GiB", "roll_keep": 4294967295u32});
    });
    literal("field limits", &text);
}

/// The escaper alone, against Caddy: every text it accepts is read back exactly (in the
/// value of a header, where Caddy keeps the token as is), and it refuses `import` where a
/// line starts.
#[test]
fn the_escaper_writes_tokens_caddy_reads_back() {
    caddy_oracle::require_caddy();
    let mut texts: Vec<String> = LITERAL_VALUES.iter().map(|s| (*s).to_owned()).collect();
    texts.extend(
        [
            "",
            " ",
            "a\nb",
            "a\r\nb",
            "\t",
            "\u{0}",
            "\u{7f}",
            "\u{85}",
            "x\n\trespond \"pwned\" 200",
            "\"\\\"",
            "\\\"\\",
            "a\\\nb",
            "``",
            "<<",
            "<<A\nx\nA",
            "#",
            "//",
            "import",
        ]
        .map(String::from),
    );
    let mut file = String::from("a.example.com {\n\theader {\n");
    let mut kept = Vec::new();
    for s in &texts {
        match token(s) {
            Ok(t) => {
                file.push_str(&format!("\t\tX-V{} {t}\n", kept.len()));
                kept.push(s.clone());
            }
            Err(e) => panic!("{s:?}: {e}"),
        }
    }
    file.push_str("\t}\n\trespond 204\n}\n");
    let json = caddy_oracle::adapt(&file).unwrap_or_else(|e| panic!("{e}\n{file}"));
    let set = &json["apps"]["http"]["servers"]["srv0"]["routes"][0]["handle"][0]["routes"][0]
        ["handle"][0]["response"]["set"];
    for (i, s) in kept.iter().enumerate() {
        assert_eq!(set[format!("X-V{i}")], json!([s]), "{s:?}\n{file}");
    }
    assert_eq!(set.as_object().unwrap().len(), kept.len(), "{file}");
    for refused in ["}", "{", "{$HOME}", "a{b", "`\\\" x", "` x\\"] {
        assert!(token(refused).is_err(), "{refused:?}");
    }
    assert!(line_start_token("import").is_err());
    assert!(line_start_token("Import").is_ok());
}

/// `render` refuses, with a template error, a spec built in code (no loader) whose
/// header value no token carries: the escaper is the last line.
#[test]
fn the_renderer_refuses_what_no_token_carries() {
    let mut spec = literal("base", &spec_text(|_| {}));
    let text = header("X-A", "ok");
    let mut ok = load_str(&text, Format::Json, "a.json").unwrap().spec;
    // Header values are checked on construction; the CORS origin is checked by
    // validation only, so `render_unchecked` meets the escaper.
    ok.sites[0].cors = Some(banatie_infra_core::spec::Cors {
        origin: "}".into(),
        methods: banatie_infra_core::spec::read_methods(),
        allow_headers: vec![],
        expose_headers: vec![],
    });
    let err = banatie_infra_core::render::render_unchecked(&ok).unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot be written to the Caddyfile"),
        "{err}"
    );
    spec.sites[0].cors = ok.sites[0].cors.clone();
    assert!(banatie_infra_core::render::render(&spec).is_err());
}

/// `import` of a hand-written Caddyfile: headers that are not literal to Caddy or not
/// HTTP stay out of the spec (with a note), the rest is kept, and the spec renders to a
/// Caddyfile that Caddy reads as the spec.
#[test]
fn import_keeps_hostile_headers_out_of_the_spec() {
    caddy_oracle::require_caddy();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("docker-compose.yml"),
        "services:\n  web:\n    image: example/web:1\n    networks: [proxy-network]\nnetworks:\n  proxy-network:\n    external: true\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("Caddyfile"),
        "a.example.com {\n\treverse_proxy web:3000\n\theader {\n\t\tX-Ok \"fine value\"\n\t\tX-Env {env.HOME}\n\t\tX-Req \"{http.request.uri}\"\n\t\t-Server\n\t\tX-Tab \"a\tb\"\n\t\tAccess-Control-Allow-Origin *\n\t\tAccess-Control-Allow-Headers \"Content-Type, {x}, -y\"\n\t}\n\theader /s/* {\n\t\tCache-Control {env.HOME}\n\t}\n}\n",
    )
    .unwrap();
    let input = banatie_infra_core::audit::AuditInput {
        dir: Some(dir.path().to_owned()),
        ..Default::default()
    };
    let imported = banatie_infra_core::import::import(&input).unwrap();
    let site = &imported.spec.sites[0];
    let names: Vec<&str> = site.headers.keys().map(|k| k.as_str()).collect();
    assert_eq!(names, ["X-Ok"], "{:#?}", imported.notes);
    assert!(site.cache.is_empty());
    let cors = site.cors.as_ref().unwrap();
    let allowed: Vec<&str> = cors.allow_headers.iter().map(|h| h.as_str()).collect();
    assert_eq!(allowed, ["Content-Type"]);
    let notes: Vec<String> = imported.notes.iter().map(ToString::to_string).collect();
    for n in ["X-Env", "X-Req", "X-Tab", "/s/*"] {
        assert!(
            notes.iter().any(|x| x.contains(n)),
            "no note on {n}: {notes:#?}"
        );
    }
    // The YAML loads back; the spec renders to what Caddy reads as the spec.
    let yaml = banatie_infra_core::import::to_yaml(&imported.spec);
    let back = load_str(&yaml, Format::Yaml, "imported.yaml").unwrap();
    assert_eq!(back.spec, imported.spec);
    assert!(
        !banatie_infra_core::diagnostic::has_errors(&imported.diagnostics),
        "{:#?}",
        imported.diagnostics
    );
    caddy_oracle::check_spec(&imported.spec).unwrap();
}
