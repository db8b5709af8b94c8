//! Reading the Compose model from the interpolated, merged tree ([`project`]): each
//! service's fields in their short and long forms, each value with the file, position
//! and JSON pointer it was written at.

use crate::diagnostic::escape_token;

use super::super::tree::{Key, Kind, Y};
use super::{is_host_path, Volume};
use super::{shell_split, At, BuildDef, Cmd, Dep, EnvVar, Health, Net, PortDef, Project, Svc};

fn at(y: &Y, pointer: &str) -> At {
    At {
        file: y.file,
        loc: y.loc,
        pointer: pointer.to_owned(),
    }
}

fn key_at(k: &Key, pointer: &str) -> At {
    At {
        file: k.file,
        loc: k.loc,
        pointer: pointer.to_owned(),
    }
}

fn cmd(y: &Y, key_loc: &Key, pointer: &str) -> Option<Cmd> {
    match &y.kind {
        Kind::Str(s) => {
            let argv = shell_split(s);
            Some(Cmd {
                locs: vec![y.loc; argv.len()],
                argv,
                at: key_at(key_loc, pointer),
            })
        }
        Kind::Seq(items) => Some(Cmd {
            argv: items.iter().map(|i| i.text().unwrap_or_default()).collect(),
            locs: items.iter().map(|i| i.loc).collect(),
            at: key_at(key_loc, pointer),
        }),
        _ => None,
    }
}

/// Parses a short volume string `SOURCE:TARGET[:MODE]` (or `TARGET` alone).
fn short_volume(s: &str) -> (String, String, bool) {
    let parts: Vec<&str> = s.split(':').collect();
    match parts.as_slice() {
        [t] => (String::new(), (*t).to_owned(), false),
        [src, t] => ((*src).to_owned(), (*t).to_owned(), false),
        [src, t, mode, ..] => (
            (*src).to_owned(),
            (*t).to_owned(),
            mode.split(',').any(|m| m == "ro"),
        ),
        [] => (String::new(), String::new(), false),
    }
}

/// Parses a short port string `[IP:][HOST:]CONTAINER[/PROTO]`.
fn short_port(s: &str) -> (Option<String>, Option<String>, String) {
    let s = s.split('/').next().unwrap_or(s);
    // An IPv6 host address is bracketed.
    if let Some(rest) = s.strip_prefix('[') {
        if let Some((ip, after)) = rest.split_once(']') {
            let after = after.trim_start_matches(':');
            let (h, c) = after.split_once(':').unwrap_or(("", after));
            return (
                Some(ip.to_owned()),
                (!h.is_empty()).then(|| h.to_owned()),
                c.to_owned(),
            );
        }
    }
    let parts: Vec<&str> = s.split(':').collect();
    match parts.as_slice() {
        [c] => (None, None, (*c).to_owned()),
        [h, c] => (None, Some((*h).to_owned()), (*c).to_owned()),
        [ip, h, c, ..] => (
            Some((*ip).to_owned()),
            (!h.is_empty()).then(|| (*h).to_owned()),
            (*c).to_owned(),
        ),
        [] => (None, None, String::new()),
    }
}

/// Builds the project from the interpolated, merged tree.
pub(crate) fn project(root: &Y) -> Project {
    let mut p = Project {
        name: root.get("name").and_then(Y::text),
        ..Default::default()
    };
    if let Some(nets) = root.get("networks") {
        for (k, v) in nets.entries() {
            p.networks.push(network(k, v));
        }
    }
    let Some(services) = root.get("services") else {
        return p;
    };
    for (k, v) in services.entries() {
        p.services.push(service(k, v));
    }
    p
}

/// A top-level network.
fn network(k: &Key, v: &Y) -> Net {
    let ptr = format!("/networks/{}", escape_token(&k.text));
    let flag = |name: &str| v.get(name).is_some_and(|f| f.kind == Kind::Bool(true));
    Net {
        name: k.text.clone(),
        internal: flag("internal"),
        external: flag("external")
            || v.get("external")
                .is_some_and(|e| matches!(e.kind, Kind::Map(_))),
        engine_name: v.get("name").and_then(Y::text),
        at: key_at(k, &ptr),
    }
}

/// A service.
fn service(k: &Key, v: &Y) -> Svc {
    let sp = format!("/services/{}", escape_token(&k.text));
    let sub = |name: &str| format!("{sp}/{}", escape_token(name));
    let mut s = Svc {
        name: k.text.clone(),
        at: key_at(k, &sp),
        image: None,
        build: None,
        command: None,
        entrypoint: None,
        environment: vec![],
        env_files: vec![],
        volumes: vec![],
        ports: vec![],
        networks: vec![],
        depends_on: vec![],
        healthcheck: None,
        restart: v.get("restart").and_then(Y::text),
        container_name: v.get("container_name").and_then(Y::text),
        user: v.get("user").and_then(Y::text),
    };
    if let Some((ik, iv)) = v.entry("image") {
        if let Some(t) = iv.text() {
            s.image = Some((t, key_at(ik, &sub("image"))));
        }
    }
    if let Some((bk, bv)) = v.entry("build") {
        s.build = Some(build(bk, bv, &sub("build")));
    }
    if let Some((ck, cv)) = v.entry("command") {
        s.command = cmd(cv, ck, &sub("command"));
    }
    if let Some((ek, ev)) = v.entry("entrypoint") {
        s.entrypoint = cmd(ev, ek, &sub("entrypoint"));
    }
    if let Some(env) = v.get("environment") {
        s.environment = environment(env, &sub("environment"));
    }
    if let Some(ef) = v.get("env_file") {
        s.env_files = env_files(ef, &sub("env_file"));
    }
    if let Some(vols) = v.get("volumes") {
        s.volumes = volumes(vols, &sub("volumes"));
    }
    if let Some(list) = v.get("ports") {
        s.ports = ports(list, &sub("ports"));
    }
    if let Some(nets) = v.get("networks") {
        s.networks = networks(nets, &sub("networks"));
    }
    if let Some(deps) = v.get("depends_on") {
        s.depends_on = depends_on(deps, &sub("depends_on"));
    }
    if let Some(hc) = v.get("healthcheck") {
        s.healthcheck = Some(healthcheck(hc, &sub("healthcheck")));
    }
    s
}

/// `build`: a context string, or the long form; `base` is its pointer.
fn build(bk: &Key, bv: &Y, base: &str) -> BuildDef {
    let bat = key_at(bk, base);
    match &bv.kind {
        Kind::Str(ctx) => BuildDef {
            context: ctx.clone(),
            dockerfile: "Dockerfile".into(),
            target: None,
            args: vec![],
            at: bat,
        },
        _ => BuildDef {
            context: bv
                .get("context")
                .and_then(Y::text)
                .unwrap_or_else(|| ".".into()),
            dockerfile: bv
                .get("dockerfile")
                .and_then(Y::text)
                .unwrap_or_else(|| "Dockerfile".into()),
            target: bv.get("target").and_then(Y::text),
            args: match bv.get("args") {
                Some(a) => match &a.kind {
                    Kind::Map(e) => e
                        .iter()
                        .map(|(k, v)| (k.text.clone(), v.text().unwrap_or_default()))
                        .collect(),
                    Kind::Seq(items) => items
                        .iter()
                        .filter_map(Y::text)
                        .map(|t| match t.split_once('=') {
                            Some((a, b)) => (a.to_owned(), b.to_owned()),
                            None => (t, String::new()),
                        })
                        .collect(),
                    _ => vec![],
                },
                None => vec![],
            },
            at: bat,
        },
    }
}

/// `environment`, in the map or the list form; `base` is its pointer.
fn environment(env: &Y, base: &str) -> Vec<EnvVar> {
    let mut out = Vec::new();
    match &env.kind {
        Kind::Map(entries) => {
            for (ek, ev) in entries {
                out.push(EnvVar {
                    name: ek.text.clone(),
                    value: ev.text(),
                    raw: None,
                    at: key_at(ek, &format!("{base}/{}", escape_token(&ek.text))),
                    value_loc: ev.loc,
                    value_file: ev.file,
                    plain: ev.plain.clone(),
                });
            }
        }
        Kind::Seq(items) => {
            for (i, it) in items.iter().enumerate() {
                let t = it.text().unwrap_or_default();
                let (name, value) = match t.split_once('=') {
                    Some((a, b)) => (a.to_owned(), Some(b.to_owned())),
                    None => (t.clone(), None),
                };
                out.push(EnvVar {
                    name,
                    value,
                    raw: None,
                    at: at(it, &format!("{base}/{i}")),
                    value_loc: it.loc,
                    value_file: it.file,
                    plain: None,
                });
            }
        }
        _ => {}
    }
    out
}

/// `env_file`: one path or a list, each a string or `{path, required}`; `base` is its
/// pointer.
fn env_files(ef: &Y, base: &str) -> Vec<(String, At)> {
    let mut out = Vec::new();
    let one = |y: &Y, i: Option<usize>| -> Option<(String, At)> {
        let ptr = match i {
            Some(i) => format!("{base}/{i}"),
            None => base.to_owned(),
        };
        let path = y.text().or_else(|| y.get("path").and_then(Y::text))?;
        Some((path, at(y, &ptr)))
    };
    match &ef.kind {
        Kind::Seq(items) => {
            for (i, it) in items.iter().enumerate() {
                out.extend(one(it, Some(i)));
            }
        }
        _ => out.extend(one(ef, None)),
    }
    out
}

/// `volumes`, in the short or the long form; `base` is its pointer.
fn volumes(vols: &Y, base: &str) -> Vec<Volume> {
    let mut out = Vec::new();
    for (i, it) in vols.items().iter().enumerate() {
        let vat = at(it, &format!("{base}/{i}"));
        let (source, target, read_only, kind) = match &it.kind {
            Kind::Str(t) => {
                let (a, b, ro) = short_volume(t);
                (a, b, ro, None)
            }
            Kind::Map(_) => (
                it.get("source").and_then(Y::text).unwrap_or_default(),
                it.get("target").and_then(Y::text).unwrap_or_default(),
                it.get("read_only")
                    .is_some_and(|r| r.kind == Kind::Bool(true)),
                it.get("type").and_then(Y::text),
            ),
            _ => continue,
        };
        let bind = match kind.as_deref() {
            Some("bind") => true,
            Some(_) => false,
            None => is_host_path(&source),
        };
        out.push(Volume {
            source,
            target,
            read_only,
            bind,
            at: vat,
        });
    }
    out
}

/// `ports`, in the short or the long form; `base` is its pointer.
fn ports(ports: &Y, base: &str) -> Vec<PortDef> {
    let mut out = Vec::new();
    for (i, it) in ports.items().iter().enumerate() {
        let pat = at(it, &format!("{base}/{i}"));
        let (host_ip, host, container) = match &it.kind {
            Kind::Str(t) => short_port(t),
            Kind::Map(_) => (
                it.get("host_ip").and_then(Y::text),
                it.get("published").and_then(Y::text),
                it.get("target").and_then(Y::text).unwrap_or_default(),
            ),
            _ => continue,
        };
        out.push(PortDef {
            host_ip,
            host,
            container,
            at: pat,
        });
    }
    out
}

/// `networks` of a service, as a list or a map; `base` is its pointer.
fn networks(nets: &Y, base: &str) -> Vec<(String, At)> {
    let mut out = Vec::new();
    match &nets.kind {
        Kind::Seq(items) => {
            for (i, it) in items.iter().enumerate() {
                if let Some(t) = it.text() {
                    out.push((t, at(it, &format!("{base}/{i}"))));
                }
            }
        }
        Kind::Map(entries) => {
            for (nk, _) in entries {
                out.push((
                    nk.text.clone(),
                    key_at(nk, &format!("{base}/{}", escape_token(&nk.text))),
                ));
            }
        }
        _ => {}
    }
    out
}

/// `depends_on`, in the short (list) or the long (map) form; `base` is its pointer.
fn depends_on(deps: &Y, base: &str) -> Vec<Dep> {
    let mut out = Vec::new();
    match &deps.kind {
        Kind::Seq(items) => {
            for (i, it) in items.iter().enumerate() {
                if let Some(t) = it.text() {
                    out.push(Dep {
                        name: t,
                        condition: None,
                        at: at(it, &format!("{base}/{i}")),
                        cond_at: None,
                    });
                }
            }
        }
        Kind::Map(entries) => {
            for (dk, dv) in entries {
                let dp = format!("{base}/{}", escape_token(&dk.text));
                let cond = dv.entry("condition");
                out.push(Dep {
                    name: dk.text.clone(),
                    condition: cond.and_then(|(_, c)| c.text()),
                    at: key_at(dk, &dp),
                    cond_at: cond.map(|(ck, _)| key_at(ck, &format!("{dp}/condition"))),
                });
            }
        }
        _ => {}
    }
    out
}

/// `healthcheck`; `base` is its pointer.
fn healthcheck(hc: &Y, base: &str) -> Health {
    let disabled_flag = hc
        .get("disable")
        .is_some_and(|d| d.kind == Kind::Bool(true));
    let (test, test_at) = match hc.entry("test") {
        Some((tk, tv)) => {
            let test = match &tv.kind {
                Kind::Str(t) => vec!["CMD-SHELL".to_owned(), t.clone()],
                Kind::Seq(items) => items.iter().map(|i| i.text().unwrap_or_default()).collect(),
                _ => vec![],
            };
            (test, key_at(tk, &format!("{base}/test")))
        }
        None => (vec![], at(hc, base)),
    };
    let timing = [
        "interval",
        "timeout",
        "retries",
        "start_period",
        "start_interval",
    ]
    .iter()
    .filter_map(|f| {
        let (k, v) = hc.entry(f)?;
        let ptr = format!("{base}/{f}");
        Some(((*f).to_owned(), v.text()?, key_at(k, &ptr)))
    })
    .collect();
    Health {
        disabled: disabled_flag || test.first().map(String::as_str) == Some("NONE"),
        test,
        test_at,
        timing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_forms() {
        assert_eq!(
            short_port("5432:5432"),
            (None, Some("5432".into()), "5432".into())
        );
        assert_eq!(
            short_port("127.0.0.1:8080:80/tcp"),
            (Some("127.0.0.1".into()), Some("8080".into()), "80".into())
        );
        assert_eq!(short_port("80"), (None, None, "80".into()));
        assert_eq!(
            short_volume("./db:/docker-entrypoint-initdb.d:ro"),
            ("./db".into(), "/docker-entrypoint-initdb.d".into(), true)
        );
    }
}
