//! The Caddyfile's property, with Caddy itself as the oracle: for arbitrary strings in
//! every spec field that reaches the Caddyfile (header names and values, CORS origin and
//! header lists, cache paths and `Cache-Control` values, domains, site methods, the
//! upstream service and port, access log files, the log directory, roll sizes and
//! counts), either loading or validation refuses the value with a coded diagnostic, or
//! `caddy adapt` (Caddy 2.6.2) accepts the rendered Caddyfile and the adapted JSON does
//! exactly what the spec asks: the value byte for byte at its JSON path, and no route,
//! matcher, handler, log or app beyond the intended ones (tests/caddy_oracle).
//!
//! Every case tries each value alone, then renders all accepted values of the case (one
//! site each) into one Caddyfile for one `caddy adapt`. 256 cases by default
//! (`PROPTEST_CASES` changes it; scripts/proptest-long.sh runs 10,000).

mod caddy_oracle;

use banatie_infra_core::diagnostic::has_errors;
use banatie_infra_core::load::{load_str, Format, LoadError};
use banatie_infra_core::spec::Spec;
use proptest::prelude::*;
use serde_json::{json, Value};

/// The fields a value is tried in.
#[derive(Debug, Clone, Copy)]
enum Field {
    HeaderName,
    HeaderValue,
    AllowHeader,
    ExposeHeader,
    Origin,
    CachePath,
    CacheControl,
    Domain,
    Method,
    Service,
    Port,
    LogFile,
    RollSize,
    RollKeep,
}

const FIELDS: &[Field] = &[
    Field::HeaderName,
    Field::HeaderValue,
    Field::AllowHeader,
    Field::ExposeHeader,
    Field::Origin,
    Field::CachePath,
    Field::CacheControl,
    Field::Domain,
    Field::Method,
    Field::Service,
    Field::Port,
    Field::LogFile,
    Field::RollSize,
    Field::RollKeep,
];

/// Texts Caddy reads specially, alone and inside other text.
const HOSTILE: &[&str] = &[
    "}",
    "{",
    "{}",
    "import",
    "defer",
    "match",
    "{$HOME}",
    "{$BANATIE_CANARY}",
    "{env.HOME}",
    "{http.request.uri}",
    "{host}",
    "<<EOF",
    "(snip)",
    "#",
    "@m",
    "\\",
    "\"",
    "`",
    "\n",
    "\r",
    "\t",
    "\u{0}",
    "\u{85}",
    "\u{a0}",
    "\u{2028}",
    " ",
    "*",
    "-",
    "+",
    ":",
    ",",
    "é",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[ -~]{0,12}",
        2 => prop::collection::vec(prop_oneof![prop::sample::select(HOSTILE).prop_map(String::from), "[a-zA-Z0-9 /.=;-]{0,4}"], 1..5).prop_map(|v| v.concat()),
        1 => any::<String>(),
    ]
}

/// Values close to what `field` takes, so that many are accepted and reach Caddy.
fn plausible(field: Field) -> BoxedStrategy<String> {
    let with_hostile = |s: &'static str| {
        (s, prop::sample::select(HOSTILE), s, any::<bool>())
            .prop_map(|(a, h, b, mix)| if mix { format!("{a}{h}{b}") } else { a })
            .boxed()
    };
    match field {
        Field::HeaderName | Field::AllowHeader | Field::ExposeHeader => {
            with_hostile("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,10}")
        }
        Field::HeaderValue | Field::CacheControl => with_hostile("[ -~\u{a0}-\u{17f}]{1,12}"),
        Field::Origin => "(https?://)?[a-z0-9.-]{1,10}(:[0-9]{1,6})?/?".boxed(),
        Field::CachePath => with_hostile("/[!-~]{0,10}"),
        Field::Domain => "[a-z0-9-]{1,8}(\\.[a-z0-9-]{1,8}){1,3}".boxed(),
        Field::Method => prop::sample::select(vec![
            "GET", "HEAD", "POST", "get", "TRACE", "DELETE", "OPTIONS", "PATCH", "PUT",
        ])
        .prop_map(String::from)
        .boxed(),
        Field::Service => "[a-z0-9][a-z0-9_.-]{0,10}".boxed(),
        // An app listens on its one `port` only.
        Field::Port => prop_oneof!["-?[0-9]{1,6}", Just("3000".to_owned())].boxed(),
        Field::LogFile => with_hostile("[a-z0-9][a-z0-9_./@+-]{0,10}"),
        Field::RollSize => prop_oneof![
            "[0-9]{1,21}(B|KB|MB|GB|KiB|MiB|GiB|kb|)",
            "1844674407370955[0-9]{4}B",
            "[0-9]{4,11}GiB",
            "1125899906842[0-9]{3}B",
        ]
        .boxed(),
        Field::RollKeep => "-?[0-9]{1,11}".boxed(),
    }
}

fn values() -> impl Strategy<Value = Vec<String>> {
    FIELDS
        .iter()
        .flat_map(|f| [*f, *f])
        .map(|f| prop_oneof![1 => text(), 2 => plausible(f)])
        .collect::<Vec<_>>()
}

/// How many values each field accepted over the run.
static ACCEPTED: std::sync::Mutex<[usize; 14]> = std::sync::Mutex::new([0; 14]);

fn base(log_dir: Option<&str>) -> Value {
    let mut v = json!({
        "stack": {"name": "p"},
        "networks": {"proxy-network": {"external": true}},
        "services": {"web": {"kind": "app", "image": "example/web:1", "port": 3000, "networks": ["proxy-network"]}},
        "sites": [{"domains": ["base.prop.test"], "service": "web"}],
    });
    if let Some(d) = log_dir {
        v["proxy"] = json!({"log_dir": d});
    }
    v
}

/// A number field gets the string as a number when it is one, else as the string.
fn number_or_text(s: &str) -> Value {
    s.parse::<i64>().map_or_else(|_| json!(s), |n| json!(n))
}

/// The site (and extra service) trying `s` in `field`; `i` makes its domain and log unique.
fn site(field: Field, s: &str, i: usize) -> (Value, Option<(String, Value)>) {
    let mut site = json!({"domains": [format!("s{i}.prop.test")], "service": "web"});
    let log = |file: Value, size: Value, keep: Value| json!({"file": file, "roll_size": size, "roll_keep": keep});
    let mut service = None;
    match field {
        Field::HeaderName => site["headers"] = json!({ s: "v" }),
        Field::HeaderValue => site["headers"] = json!({ "X-P": s }),
        Field::AllowHeader => site["cors"] = json!({"allow_headers": [s]}),
        Field::ExposeHeader => {
            site["cors"] = json!({"expose_headers": [s], "origin": "https://a.prop.test"})
        }
        Field::Origin => site["cors"] = json!({"origin": s}),
        Field::CachePath => site["cache"] = json!([{"path": s, "cache_control": "no-store"}]),
        Field::CacheControl => site["cache"] = json!([{"path": "/c/*", "cache_control": s}]),
        Field::Domain => site["domains"] = json!([s]),
        Field::Method => site["methods"] = json!([s, "GET"]),
        Field::Service => {
            site["service"] = json!(s);
            service = Some((
                s.to_owned(),
                json!({"kind": "app", "image": "example/x:1", "port": 8080, "networks": ["proxy-network"]}),
            ));
        }
        Field::Port => site["port"] = number_or_text(s),
        Field::LogFile => site["access_log"] = log(json!(s), json!("1MiB"), json!(2)),
        Field::RollSize => site["access_log"] = log(json!(format!("f{i}.log")), json!(s), json!(3)),
        Field::RollKeep => {
            site["access_log"] = log(
                json!(format!("f{i}.log")),
                json!("10MiB"),
                number_or_text(s),
            )
        }
    }
    (site, service)
}

fn spec_json(log_dir: Option<&str>, sites: &[(Value, Option<(String, Value)>)]) -> String {
    let mut v = base(log_dir);
    for (s, svc) in sites {
        v["sites"].as_array_mut().unwrap().push(s.clone());
        if let Some((name, svc)) = svc {
            v["services"][name] = svc.clone();
        }
    }
    serde_json::to_string(&v).unwrap()
}

/// Loads and validates: the spec, or `None` when a coded error refuses it.
fn accepted(text: &str) -> Result<Option<Spec>, TestCaseError> {
    match load_str(text, Format::Json, "prop.json") {
        Err(LoadError::Invalid(d)) => {
            prop_assert!(d.code.0.starts_with("BI1") && d.is_error(), "{:?}", d);
            Ok(None)
        }
        Err(e) => Err(TestCaseError::fail(format!("not a coded error: {e}"))),
        Ok(loaded) => {
            let diags = banatie_infra_core::validate::validate(&loaded.spec);
            Ok((!has_errors(&diags)).then_some(loaded.spec))
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256), failure_persistence: None, ..ProptestConfig::default() })]

    fn every_caddyfile_value_is_refused_or_reaches_caddy_literally(
        values in values(),
        log_dir in prop_oneof![Just(None), "/[ -~]{0,10}".prop_map(Some), text().prop_map(Some)],
    ) {
        // The log directory: one per spec; refused ones fall back to the default.
        let probe = site(Field::LogFile, "a.log", 0);
        let log_dir = log_dir.filter(|d| accepted(&spec_json(Some(d), std::slice::from_ref(&probe))).ok().flatten().is_some());
        let log_dir = log_dir.as_deref();
        let mut kept = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, s) in values.iter().enumerate() {
            let field = FIELDS[i / 2];
            // Two sites may not share a domain, a log file or a service name.
            if !seen.insert(s.clone()) && matches!(field, Field::Domain | Field::LogFile | Field::Service) {
                continue;
            }
            let one = site(field, s, i);
            if accepted(&spec_json(log_dir, std::slice::from_ref(&one)))?.is_some() {
                kept.push(one);
                ACCEPTED.lock().unwrap()[i / 2] += 1;
            }
        }
        let text = spec_json(log_dir, &kept);
        let spec = accepted(&text)?;
        prop_assert!(spec.is_some(), "values valid alone are refused together: {}", text);
        let spec = spec.unwrap();
        if let Err(e) = caddy_oracle::check_spec(&spec) {
            return Err(TestCaseError::fail(e));
        }
    }
}

/// Runs the property, then checks that every field took some values (so the property
/// reached Caddy for each of them, not only refusals).
#[test]
fn caddyfile_values_through_caddy() {
    caddy_oracle::require_caddy();
    every_caddyfile_value_is_refused_or_reaches_caddy_literally();
    let accepted = *ACCEPTED.lock().unwrap();
    for (field, n) in FIELDS.iter().zip(accepted) {
        assert!(
            n > 0,
            "no value of {field:?} was accepted: the property never reached Caddy with one"
        );
    }
    eprintln!(
        "accepted values per field: {:?}",
        FIELDS.iter().zip(accepted).collect::<Vec<_>>()
    );
}
