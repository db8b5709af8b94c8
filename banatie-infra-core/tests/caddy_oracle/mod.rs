//! Caddy as the oracle of the Caddyfile: `caddy adapt` on a rendered file, and the model
//! of what the adapted JSON does (every route, matcher and handler, every log writer),
//! to compare with what the spec asks for. Shared by tests/attacks_caddy.rs and
//! tests/properties_caddy.rs.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::process::Command;

use banatie_infra_core::spec::Spec;
use serde_json::{json, Value};

/// An environment variable set for `caddy adapt`: a `{$CANARY}` that reached Caddy would
/// show its value in the JSON.
pub const CANARY: (&str, &str) = ("BANATIE_CANARY", "INJECTED-BY-ENV");

/// Fails loudly when `caddy` is not installed.
pub fn require_caddy() {
    let ok = Command::new("caddy")
        .arg("version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "`caddy` is missing: install it with scripts/install-test-deps.sh"
    );
}

/// `caddy adapt --adapter caddyfile --config <file>` on `text`, in an environment of
/// `PATH`, `HOME` and [`CANARY`]: the adapted JSON, or Caddy's error output.
pub fn adapt(text: &str) -> Result<Value, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Caddyfile");
    std::fs::write(&path, text).unwrap();
    let out = Command::new("caddy")
        .args(["adapt", "--adapter", "caddyfile", "--config"])
        .arg(&path)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env(CANARY.0, CANARY.1)
        .current_dir(dir.path())
        .output()
        .expect("caddy runs: install it with scripts/install-test-deps.sh");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("caddy adapt printed no JSON: {e}"))
}

/// Go's `textproto.CanonicalMIMEHeaderKey` for a token: the form `http.Header.Set` keys.
pub fn canonical(name: &str) -> String {
    let mut upper = true;
    name.chars()
        .map(|c| {
            let out = if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
            upper = c == '-';
            out
        })
        .collect()
}

/// What a Caddy config does, per site (key: its hosts joined by a space): the sorted
/// `(matchers, handler)` pairs of its subroute; and the sorted log writers, with the
/// sorted hosts that log to each.
#[derive(Debug, PartialEq, Eq)]
pub struct Model {
    /// Per site, its handlers with their matchers.
    pub sites: BTreeMap<String, Vec<String>>,
    /// Log writers (`writer` objects) with their hosts.
    pub logs: Vec<String>,
}

fn pair(m: &Value, h: &Value) -> String {
    serde_json::to_string(&json!([m, h])).unwrap()
}

/// The [`Model`] of adapted JSON. Errors: anything outside the shapes the renderer's
/// template produces (another app, server, route key, a route not under a site's hosts).
pub fn model_of_json(v: &Value) -> Result<Model, String> {
    let top: Vec<&String> = v.as_object().ok_or("not an object")?.keys().collect();
    if top
        .iter()
        .any(|k| !["apps", "logging"].contains(&k.as_str()))
    {
        return Err(format!("unexpected top-level keys {top:?}"));
    }
    let apps: Vec<&String> = v["apps"].as_object().ok_or("no apps")?.keys().collect();
    if apps != ["http"] {
        return Err(format!("unexpected apps {apps:?}"));
    }
    let servers = v["apps"]["http"].as_object().ok_or("no http app")?;
    if servers.keys().any(|k| k != "servers") {
        return Err(format!("unexpected http keys {:?}", servers.keys()));
    }
    let servers = v["apps"]["http"]["servers"]
        .as_object()
        .ok_or("no servers")?;
    if servers.len() != 1 {
        return Err(format!("{} servers", servers.len()));
    }
    let srv = servers.values().next().unwrap();
    for k in srv.as_object().ok_or("server")?.keys() {
        if !["listen", "routes", "logs"].contains(&k.as_str()) {
            return Err(format!("unexpected server key {k}"));
        }
    }
    if srv["listen"] != json!([":443"]) {
        return Err(format!("listens on {}", srv["listen"]));
    }
    let mut sites = BTreeMap::new();
    for r in srv["routes"].as_array().ok_or("no routes")? {
        let keys: Vec<&String> = r.as_object().ok_or("route")?.keys().collect();
        if keys
            .iter()
            .any(|k| !["match", "handle", "terminal"].contains(&k.as_str()))
        {
            return Err(format!("unexpected route keys {keys:?}"));
        }
        let m = r["match"].as_array().ok_or("a route without hosts")?;
        let [only] = m.as_slice() else {
            return Err("a route with several matcher sets".into());
        };
        let hosts: Vec<String> = only
            .as_object()
            .filter(|o| o.len() == 1)
            .and_then(|o| o.get("host"))
            .and_then(Value::as_array)
            .ok_or_else(|| format!("a route not matched by host: {only}"))?
            .iter()
            .map(|h| h.as_str().unwrap_or_default().to_owned())
            .collect();
        let [sub] = r["handle"].as_array().ok_or("handle")?.as_slice() else {
            return Err("a site route with several handlers".into());
        };
        if sub["handler"] != "subroute" || sub.as_object().unwrap().len() != 2 {
            return Err(format!("not one subroute: {sub}"));
        }
        let mut pairs = Vec::new();
        for s in sub["routes"].as_array().ok_or("subroutes")? {
            let keys: Vec<&String> = s.as_object().ok_or("subroute")?.keys().collect();
            if keys
                .iter()
                .any(|k| !["match", "handle"].contains(&k.as_str()))
            {
                return Err(format!("unexpected subroute keys {keys:?}"));
            }
            for h in s["handle"].as_array().ok_or("subroute handle")? {
                pairs.push(pair(&s["match"], h));
            }
        }
        pairs.sort();
        if sites.insert(hosts.join(" "), pairs).is_some() {
            return Err(format!("two routes for {hosts:?}"));
        }
    }
    // Logs: each named log's writer and the hosts whose logger it is.
    let names = srv["logs"]["logger_names"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut logs = Vec::new();
    if let Some(l) = v["logging"]["logs"].as_object() {
        for (name, log) in l {
            if name == "default" {
                continue;
            }
            let mut hosts: Vec<&str> = names
                .iter()
                .filter(|(_, n)| n.as_str() == Some(name))
                .map(|(h, _)| h.as_str())
                .collect();
            hosts.sort();
            if log["encoder"] != json!({"format": "json"})
                || log["include"] != json!([format!("http.log.access.{name}")])
            {
                return Err(format!("log {name}: {log}"));
            }
            logs.push(serde_json::to_string(&json!([log["writer"], hosts])).unwrap());
        }
    }
    logs.sort();
    Ok(Model { sites, logs })
}

/// The [`Model`] a spec asks for (sites with `security_headers: none` only): the CORS and
/// custom headers in one handler (Go's canonical names, a later name replacing an earlier
/// one), one handler per cache rule under its path, the 405 for other methods, the
/// reverse proxy with its retry window, and one JSON log writer per access log.
pub fn model_of_spec(spec: &Spec) -> Model {
    let log_dir = spec.proxy.log_dir.as_ref().map_or_else(
        || format!("{}/logs", spec.stack.root()),
        ToString::to_string,
    );
    let mut sites = BTreeMap::new();
    let mut logs = Vec::new();
    for site in &spec.sites {
        assert_eq!(
            site.security_headers,
            banatie_infra_core::spec::HeaderPreset::None,
            "the model covers sites without presets"
        );
        let mut set: BTreeMap<String, Value> = BTreeMap::new();
        if let Some(c) = &site.cors {
            set.insert("Access-Control-Allow-Origin".into(), json!([c.origin]));
            let methods: Vec<&str> = c.methods.iter().map(|m| m.as_str()).collect();
            set.insert(
                "Access-Control-Allow-Methods".into(),
                json!([methods.join(", ")]),
            );
            for (name, list) in [
                ("Access-Control-Allow-Headers", &c.allow_headers),
                ("Access-Control-Expose-Headers", &c.expose_headers),
            ] {
                if !list.is_empty() {
                    let l: Vec<&str> = list.iter().map(|h| h.as_str()).collect();
                    set.insert(name.into(), json!([l.join(", ")]));
                }
            }
        }
        for (k, v) in &site.headers {
            set.insert(canonical(k.as_str()), json!([v.as_str()]));
        }
        let mut pairs = Vec::new();
        if !set.is_empty() {
            pairs.push(pair(
                &Value::Null,
                &json!({"handler": "headers", "response": {"set": set}}),
            ));
        }
        for c in &site.cache {
            pairs.push(pair(
                &json!([{"path": [c.path.as_str()]}]),
                &json!({"handler": "headers", "response": {"set": {"Cache-Control": [c.cache_control.as_str()]}}}),
            ));
        }
        if let Some(ms) = &site.methods {
            let ms: Vec<&str> = ms.iter().map(|m| m.as_str()).collect();
            pairs.push(pair(
                &json!([{"not": [{"method": ms}]}]),
                &json!({"handler": "static_response", "status_code": 405}),
            ));
        }
        let port = site
            .port
            .or_else(|| spec.services.get(&site.service).and_then(|s| s.main_port()))
            .map_or(80, |p| p.get());
        // `lb_try_duration` and `lb_try_interval`, in nanoseconds; Caddy leaves a zero out
        // (modules/caddyhttp/reverseproxy: `json:",omitempty"`).
        let mut lb = serde_json::Map::new();
        for (key, d) in [
            ("try_duration", site.lb_try_duration),
            ("try_interval", site.lb_try_interval),
        ] {
            if d.as_millis() > 0 {
                lb.insert(key.into(), json!(d.as_millis() * 1_000_000));
            }
        }
        // Keys in the order Caddy's JSON has them (alphabetical), as `pair` compares text.
        let mut proxy = serde_json::Map::new();
        proxy.insert("handler".into(), json!("reverse_proxy"));
        if !lb.is_empty() {
            proxy.insert("load_balancing".into(), Value::Object(lb));
        }
        proxy.insert(
            "upstreams".into(),
            json!([{"dial": format!("{}:{port}", site.service)}]),
        );
        pairs.push(pair(&Value::Null, &Value::Object(proxy)));
        pairs.sort();
        let hosts: Vec<&str> = site.domains.iter().map(|d| d.as_str()).collect();
        sites.insert(hosts.join(" "), pairs);
        if let Some(l) = &site.access_log {
            let mut hosts = hosts.clone();
            hosts.sort();
            // Caddy's `roll_size`: humanize.ParseBytes, then MiB rounded up
            // (modules/logging/filewriter.go).
            let mb = (l.roll_size.bytes() as f64 / 1_048_576.0).ceil() as u64;
            logs.push(
                serde_json::to_string(&json!([
                    {"filename": format!("{log_dir}/{}", l.file), "output": "file", "roll_keep": l.roll_keep, "roll_size_mb": mb},
                    hosts
                ]))
                .unwrap(),
            );
        }
    }
    logs.sort();
    Model { sites, logs }
}

/// Renders `spec`'s Caddyfile (the spec must be valid), adapts it with Caddy and checks
/// that the adapted config does exactly what the spec asks: `Err` with the Caddyfile and
/// the difference otherwise.
pub fn check_spec(spec: &Spec) -> Result<(), String> {
    let bundle = banatie_infra_core::render::render(spec).map_err(|e| format!("render: {e}"))?;
    let text = bundle.text("caddy/Caddyfile").unwrap();
    let json = adapt(text).map_err(|e| format!("caddy adapt failed: {e}\n{text}"))?;
    if serde_json::to_string(&json).unwrap().contains(CANARY.1) {
        return Err(format!("an environment substitution reached Caddy\n{text}"));
    }
    let got = model_of_json(&json).map_err(|e| format!("{e}\n{text}\n{json:#}"))?;
    let want = model_of_spec(spec);
    if got != want {
        return Err(format!(
            "Caddy does something else than the spec\n--- got\n{got:#?}\n--- want\n{want:#?}\n{text}"
        ));
    }
    Ok(())
}
