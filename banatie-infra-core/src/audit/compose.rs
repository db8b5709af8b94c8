//! The Compose model the audit and the import read: services, networks and their
//! settings, each value with the file, position and JSON pointer it was written at.
//! Built from the interpolated tree (values as Compose would see them).

use crate::diagnostic::{escape_token, Location};

use super::tree::{FileId, Kind, Y};

/// Where a value is: file, position and JSON pointer in that file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct At {
    /// The file.
    pub(crate) file: FileId,
    /// The position, when known.
    pub(crate) loc: Option<Location>,
    /// The JSON pointer in the file's structure (empty for line-based files).
    pub(crate) pointer: String,
}

/// A command or entrypoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cmd {
    /// The argv (a string form is split like a shell would, as Compose does).
    pub(crate) argv: Vec<String>,
    /// For each argv item of the list form, where it is written; for the string form,
    /// the string's position for every item.
    pub(crate) locs: Vec<Option<Location>>,
    /// Where the key is.
    pub(crate) at: At,
}

/// One `environment` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnvVar {
    /// The name.
    pub(crate) name: String,
    /// The value after interpolation; `None` for `- NAME` / `NAME:` without a value.
    pub(crate) value: Option<String>,
    /// The value as written (before interpolation).
    pub(crate) raw: Option<String>,
    /// Where the entry is (the key of the map form, the item of the list form).
    pub(crate) at: At,
    /// Where the value starts (for the list form `NAME=value`, the item).
    pub(crate) value_loc: Option<Location>,
    /// The file the value is written in (an override file may replace a base file's
    /// value under the base file's key).
    pub(crate) value_file: FileId,
    /// For the map form, the value as written when it is a YAML plain scalar.
    pub(crate) plain: Option<String>,
}

/// One mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Volume {
    /// The source: a host path (absolute, `./`, `../`, `~`) or a volume name.
    pub(crate) source: String,
    /// The path in the container.
    pub(crate) target: String,
    /// Mounted read-only.
    pub(crate) read_only: bool,
    /// A bind mount (the source is a host path).
    pub(crate) bind: bool,
    /// Where it is written.
    pub(crate) at: At,
}

/// One published port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PortDef {
    /// The host address, if written.
    pub(crate) host_ip: Option<String>,
    /// The host port, if written.
    pub(crate) host: Option<String>,
    /// The container port.
    pub(crate) container: String,
    /// Where it is written.
    pub(crate) at: At,
}

/// One dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dep {
    /// The service depended on.
    pub(crate) name: String,
    /// The condition; `None` for the short form (which means `service_started`).
    pub(crate) condition: Option<String>,
    /// Where the dependency is written (the list item, or the key of the long form).
    pub(crate) at: At,
    /// Where the condition is written (long form).
    pub(crate) cond_at: Option<At>,
}

/// A health check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Health {
    /// `test` as a list: `["CMD", ...]`, `["CMD-SHELL", "..."]`, `["NONE"]`; the string
    /// form becomes `["CMD-SHELL", string]`.
    pub(crate) test: Vec<String>,
    /// `disable: true` or `["NONE"]`.
    pub(crate) disabled: bool,
    /// Where `test` is (the key).
    pub(crate) test_at: At,
    /// `interval`, `timeout`, `retries`, `start_period`, `start_interval` as written, with
    /// where each is.
    pub(crate) timing: Vec<(String, String, At)>,
}

/// How a service's image is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BuildDef {
    /// The context directory as written.
    pub(crate) context: String,
    /// The Dockerfile, relative to the context.
    pub(crate) dockerfile: String,
    /// The target stage.
    pub(crate) target: Option<String>,
    /// Build arguments.
    pub(crate) args: Vec<(String, String)>,
    /// Where `build` is.
    pub(crate) at: At,
}

/// A service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Svc {
    /// The name.
    pub(crate) name: String,
    /// Where its key is.
    pub(crate) at: At,
    /// `image`, with where it is.
    pub(crate) image: Option<(String, At)>,
    /// `build`.
    pub(crate) build: Option<BuildDef>,
    /// `command`.
    pub(crate) command: Option<Cmd>,
    /// `entrypoint`.
    pub(crate) entrypoint: Option<Cmd>,
    /// `environment`.
    pub(crate) environment: Vec<EnvVar>,
    /// `env_file` paths as written.
    pub(crate) env_files: Vec<(String, At)>,
    /// `volumes`.
    pub(crate) volumes: Vec<Volume>,
    /// `ports`.
    pub(crate) ports: Vec<PortDef>,
    /// `networks` (none: the default network).
    pub(crate) networks: Vec<(String, At)>,
    /// `depends_on`.
    pub(crate) depends_on: Vec<Dep>,
    /// `healthcheck`.
    pub(crate) healthcheck: Option<Health>,
    /// `restart`.
    pub(crate) restart: Option<String>,
    /// `container_name`.
    pub(crate) container_name: Option<String>,
    /// `user`.
    pub(crate) user: Option<String>,
}

/// A top-level network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Net {
    /// The key.
    pub(crate) name: String,
    /// `internal: true`.
    pub(crate) internal: bool,
    /// `external: true`.
    pub(crate) external: bool,
    /// `name:` (the engine's name).
    pub(crate) engine_name: Option<String>,
    /// Where it is.
    pub(crate) at: At,
}

/// A Compose project.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Project {
    /// `name:`.
    pub(crate) name: Option<String>,
    /// The services in file order.
    pub(crate) services: Vec<Svc>,
    /// The networks in file order.
    pub(crate) networks: Vec<Net>,
}

impl Project {
    /// The service called `name` (or whose `container_name` is `name`).
    pub(crate) fn service(&self, name: &str) -> Option<&Svc> {
        self.services.iter().find(|s| s.name == name).or_else(|| {
            self.services
                .iter()
                .find(|s| s.container_name.as_deref() == Some(name))
        })
    }

    /// The network called `name`.
    pub(crate) fn network(&self, name: &str) -> Option<&Net> {
        self.networks.iter().find(|n| n.name == name)
    }
}

fn at(y: &Y, pointer: &str) -> At {
    At {
        file: y.file,
        loc: y.loc,
        pointer: pointer.to_owned(),
    }
}

fn key_at(k: &super::tree::Key, pointer: &str) -> At {
    At {
        file: k.file,
        loc: k.loc,
        pointer: pointer.to_owned(),
    }
}

/// Splits a command string into words like a POSIX shell does (quotes and backslashes),
/// without expansions, as Compose splits the string form of `command` and `entrypoint`.
pub(crate) fn shell_split(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                for n in chars.by_ref() {
                    if n == '\'' {
                        break;
                    }
                    cur.push(n);
                }
            }
            '"' => {
                in_word = true;
                while let Some(n) = chars.next() {
                    match n {
                        '"' => break,
                        '\\' => match chars.peek() {
                            Some('"' | '\\' | '$' | '`') => cur.push(chars.next().unwrap_or('\\')),
                            _ => cur.push('\\'),
                        },
                        _ => cur.push(n),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            _ => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

fn cmd(y: &Y, key_loc: &super::tree::Key, pointer: &str) -> Option<Cmd> {
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

/// Whether a volume source is a host path rather than a named volume.
pub(crate) fn is_host_path(s: &str) -> bool {
    s.starts_with('/') || s.starts_with('.') || s.starts_with('~')
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
            let ptr = format!("/networks/{}", escape_token(&k.text));
            let flag = |name: &str| v.get(name).is_some_and(|f| f.kind == Kind::Bool(true));
            p.networks.push(Net {
                name: k.text.clone(),
                internal: flag("internal"),
                external: flag("external")
                    || v.get("external")
                        .is_some_and(|e| matches!(e.kind, Kind::Map(_))),
                engine_name: v.get("name").and_then(Y::text),
                at: key_at(k, &ptr),
            });
        }
    }
    let Some(services) = root.get("services") else {
        return p;
    };
    for (k, v) in services.entries() {
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
            let bat = key_at(bk, &sub("build"));
            s.build = Some(match &bv.kind {
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
            });
        }
        if let Some((ck, cv)) = v.entry("command") {
            s.command = cmd(cv, ck, &sub("command"));
        }
        if let Some((ek, ev)) = v.entry("entrypoint") {
            s.entrypoint = cmd(ev, ek, &sub("entrypoint"));
        }
        if let Some(env) = v.get("environment") {
            match &env.kind {
                Kind::Map(entries) => {
                    for (ek, ev) in entries {
                        s.environment.push(EnvVar {
                            name: ek.text.clone(),
                            value: ev.text(),
                            raw: None,
                            at: key_at(
                                ek,
                                &format!("{}/{}", sub("environment"), escape_token(&ek.text)),
                            ),
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
                        s.environment.push(EnvVar {
                            name,
                            value,
                            raw: None,
                            at: at(it, &format!("{}/{i}", sub("environment"))),
                            value_loc: it.loc,
                            value_file: it.file,
                            plain: None,
                        });
                    }
                }
                _ => {}
            }
        }
        if let Some(ef) = v.get("env_file") {
            let one = |y: &Y, i: Option<usize>| -> Option<(String, At)> {
                let ptr = match i {
                    Some(i) => format!("{}/{i}", sub("env_file")),
                    None => sub("env_file"),
                };
                let path = y.text().or_else(|| y.get("path").and_then(Y::text))?;
                Some((path, at(y, &ptr)))
            };
            match &ef.kind {
                Kind::Seq(items) => {
                    for (i, it) in items.iter().enumerate() {
                        s.env_files.extend(one(it, Some(i)));
                    }
                }
                _ => s.env_files.extend(one(ef, None)),
            }
        }
        if let Some(vols) = v.get("volumes") {
            for (i, it) in vols.items().iter().enumerate() {
                let vat = at(it, &format!("{}/{i}", sub("volumes")));
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
                s.volumes.push(Volume {
                    source,
                    target,
                    read_only,
                    bind,
                    at: vat,
                });
            }
        }
        if let Some(ports) = v.get("ports") {
            for (i, it) in ports.items().iter().enumerate() {
                let pat = at(it, &format!("{}/{i}", sub("ports")));
                let (host_ip, host, container) = match &it.kind {
                    Kind::Str(t) => short_port(t),
                    Kind::Map(_) => (
                        it.get("host_ip").and_then(Y::text),
                        it.get("published").and_then(Y::text),
                        it.get("target").and_then(Y::text).unwrap_or_default(),
                    ),
                    _ => continue,
                };
                s.ports.push(PortDef {
                    host_ip,
                    host,
                    container,
                    at: pat,
                });
            }
        }
        if let Some(nets) = v.get("networks") {
            match &nets.kind {
                Kind::Seq(items) => {
                    for (i, it) in items.iter().enumerate() {
                        if let Some(t) = it.text() {
                            s.networks
                                .push((t, at(it, &format!("{}/{i}", sub("networks")))));
                        }
                    }
                }
                Kind::Map(entries) => {
                    for (nk, _) in entries {
                        s.networks.push((
                            nk.text.clone(),
                            key_at(
                                nk,
                                &format!("{}/{}", sub("networks"), escape_token(&nk.text)),
                            ),
                        ));
                    }
                }
                _ => {}
            }
        }
        if let Some(deps) = v.get("depends_on") {
            match &deps.kind {
                Kind::Seq(items) => {
                    for (i, it) in items.iter().enumerate() {
                        if let Some(t) = it.text() {
                            s.depends_on.push(Dep {
                                name: t,
                                condition: None,
                                at: at(it, &format!("{}/{i}", sub("depends_on"))),
                                cond_at: None,
                            });
                        }
                    }
                }
                Kind::Map(entries) => {
                    for (dk, dv) in entries {
                        let dp = format!("{}/{}", sub("depends_on"), escape_token(&dk.text));
                        let cond = dv.entry("condition");
                        s.depends_on.push(Dep {
                            name: dk.text.clone(),
                            condition: cond.and_then(|(_, c)| c.text()),
                            at: key_at(dk, &dp),
                            cond_at: cond.map(|(ck, _)| key_at(ck, &format!("{dp}/condition"))),
                        });
                    }
                }
                _ => {}
            }
        }
        if let Some(hc) = v.get("healthcheck") {
            let disabled_flag = hc
                .get("disable")
                .is_some_and(|d| d.kind == Kind::Bool(true));
            let (test, test_at) = match hc.entry("test") {
                Some((tk, tv)) => {
                    let test = match &tv.kind {
                        Kind::Str(t) => vec!["CMD-SHELL".to_owned(), t.clone()],
                        Kind::Seq(items) => {
                            items.iter().map(|i| i.text().unwrap_or_default()).collect()
                        }
                        _ => vec![],
                    };
                    (test, key_at(tk, &format!("{}/test", sub("healthcheck"))))
                }
                None => (vec![], at(hc, &sub("healthcheck"))),
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
                let ptr = format!("{}/{f}", sub("healthcheck"));
                Some(((*f).to_owned(), v.text()?, key_at(k, &ptr)))
            })
            .collect();
            s.healthcheck = Some(Health {
                disabled: disabled_flag || test.first().map(String::as_str) == Some("NONE"),
                test,
                test_at,
                timing,
            });
        }
        p.services.push(s);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_a_shell() {
        assert_eq!(
            shell_split("/bin/sh -c \" mc alias set a $${X}; exit 0;\" 'b c'"),
            ["/bin/sh", "-c", " mc alias set a $${X}; exit 0;", "b c"]
        );
    }

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
