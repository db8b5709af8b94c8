//! The spec family's structural rules (BI110 (also a migration's app), BI111, BI113, BI114, BI117, BI118; the
//! registry's `rules/spec.rs`): every name resolves, sites route to ports that listen, apps
//! have an image source, every variable is defined once, the network layout isolates the
//! stack, and one PostgreSQL and one MinIO server per stack. The dependency rules of the
//! family (BI112, BI115, BI116) are in `dependencies`.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use crate::diagnostic::Diagnostic;
use crate::environment::{public_vars, required_secrets, secret_vars};
use crate::rules::spec as spec_rules;
use crate::rules::spec::CODE_APP_IMAGE_SOURCE;
use crate::rules::spec::CODE_NETWORK_LAYOUT;
use crate::rules::spec::CODE_SINGLE_SERVER;
use crate::rules::spec::CODE_SITE_PORT;
use crate::spec::{JobTask, Service, ServiceKind, Spec};
use crate::types::Name;

/// BI110: networks, dependencies, site services and storage-init targets must resolve.
/// Reported service by service (networks, then dependencies, then a storage-init
/// target), then site by site.
pub(super) fn unresolved_references(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        unknown_networks(spec, name, svc, out);
        unknown_dependencies(spec, name, svc, out);
        if let Service::Job(job) = svc {
            match &job.task {
                JobTask::StorageInit { minio } => storage_init_target(spec, name, minio, out),
                JobTask::Migrate { app, .. } => migration_target(spec, name, app, out),
                JobTask::Command { .. } => {}
            }
        }
    }
    unknown_site_services(spec, out);
}

/// BI110 for the networks of service `name`.
fn unknown_networks(spec: &Spec, name: &Name, svc: &Service, out: &mut Vec<Diagnostic>) {
    for (i, net) in svc.networks().iter().enumerate() {
        if !spec.networks.contains_key(net) {
            let finding = spec_rules::unknown_network(
                name.as_str(),
                net.as_str(),
                spec.networks.keys().map(Name::as_str),
            );
            out.push(finding.at(ptr!("services", name, "networks", i)));
        }
    }
}

/// BI110 for the dependencies of service `name`: itself, or no service.
fn unknown_dependencies(spec: &Spec, name: &Name, svc: &Service, out: &mut Vec<Diagnostic>) {
    for dep in svc.depends_on().keys() {
        let finding = if dep == name {
            spec_rules::self_dependency(name.as_str())
        } else if !spec.services.contains_key(dep) {
            spec_rules::unknown_dependency(
                name.as_str(),
                dep.as_str(),
                spec.services.keys().map(Name::as_str),
            )
        } else {
            continue;
        };
        out.push(finding.at(ptr!("services", name, "depends_on", dep)));
    }
}

/// BI110 for the `storage_init.minio` of job `name`: a MinIO service.
fn storage_init_target(spec: &Spec, name: &Name, minio: &Name, out: &mut Vec<Diagnostic>) {
    let at = ptr!("services", name, "task", "storage_init", "minio");
    let finding = match spec.services.get(minio) {
        Some(Service::Minio(_)) => return,
        Some(other) => {
            spec_rules::storage_init_not_minio(name.as_str(), minio.as_str(), other.kind().as_str())
        }
        None => spec_rules::storage_init_unknown(
            name.as_str(),
            minio.as_str(),
            spec.services
                .iter()
                .filter(|(_, s)| s.kind() == ServiceKind::Minio)
                .map(|(n, _)| n.as_str()),
        ),
    };
    out.push(finding.at(at));
}

/// BI110 for the `migrate.app` of job `name`: an `app`, `worker` or `service`.
fn migration_target(spec: &Spec, name: &Name, app: &Name, out: &mut Vec<Diagnostic>) {
    let at = ptr!("services", name, "task", "migrate", "app");
    let finding = match spec.services.get(app) {
        Some(s) if s.process().is_some() => return,
        Some(other) => {
            spec_rules::migration_target_kind(name.as_str(), app.as_str(), other.kind().as_str())
        }
        None => spec_rules::migration_target_unknown(
            name.as_str(),
            app.as_str(),
            spec.services
                .iter()
                .filter(|(_, s)| s.process().is_some())
                .map(|(n, _)| n.as_str()),
        ),
    };
    out.push(finding.at(at));
}

/// BI110 for the service of each site.
fn unknown_site_services(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (i, site) in spec.sites.iter().enumerate() {
        if !spec.services.contains_key(&site.service) {
            let finding = spec_rules::unknown_site_service(
                site.service.as_str(),
                spec.services.keys().map(Name::as_str),
            );
            out.push(finding.at(ptr!("sites", i, "service")));
        }
    }
}

/// BI111: a site's port must be one its service listens on; postgres and jobs have none.
pub(super) fn site_ports(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (i, site) in spec.sites.iter().enumerate() {
        let Some(svc) = spec.services.get(&site.service) else {
            continue;
        };
        match svc {
            Service::Postgres(_) | Service::Job(_) | Service::Worker(_) => out.push(
                Diagnostic::error(
                    CODE_SITE_PORT,
                    ptr!("sites", i, "service"),
                    format!(
                        "the site routes to `{}`, a {} service, which has no HTTP port",
                        site.service,
                        svc.kind().as_str()
                    ),
                )
                .with_help("route sites to app, minio or generic `service` services only"),
            ),
            Service::Generic(g) if g.port.is_none() && site.port.is_none() => out.push(
                Diagnostic::error(
                    CODE_SITE_PORT,
                    ptr!("sites", i, "service"),
                    format!(
                        "the site routes to `{}`, which has no `port`, and the site gives none",
                        site.service
                    ),
                )
                .with_help(
                    "give the service `port:` (the port it listens on inside the container)",
                ),
            ),
            Service::App(_) | Service::Minio(_) | Service::Generic(_) => {
                if let Some(port) = site.port {
                    let ports = svc.ports();
                    if !ports.contains(&port) {
                        let listed: Vec<String> = ports.iter().map(|p| p.to_string()).collect();
                        out.push(
                            Diagnostic::error(
                                CODE_SITE_PORT,
                                ptr!("sites", i, "port"),
                                format!(
                                    "the site routes to port {port} of `{}`, which does not listen on it",
                                    site.service
                                ),
                            )
                            .with_help(format!(
                                "use one of its ports: {}",
                                listed.join(", ")
                            )),
                        );
                    }
                }
            }
        }
    }
}

/// BI113: an app or worker needs `build` or `image`, and a build needs a context.
pub(super) fn app_image_source(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        if !matches!(svc, Service::App(_) | Service::Worker(_)) {
            continue;
        }
        match svc.build() {
            None if svc.image().is_none() => out.push(
                Diagnostic::error(
                    CODE_APP_IMAGE_SOURCE,
                    ptr!("services", name),
                    format!("{} `{name}` has neither `build` nor `image`", svc.kind().as_str()),
                )
                .with_help("add `build: { dockerfile: ... }` to build it from the source checkout, or `image:` to run a published image"),
            ),
            Some(build) if build.context.is_none() && spec.stack.source.is_none() => out.push(
                Diagnostic::error(
                    CODE_APP_IMAGE_SOURCE,
                    ptr!("services", name, "build"),
                    format!("{} `{name}` is built, but there is no build context: neither `build.context` nor `stack.source` is set", svc.kind().as_str()),
                )
                .with_help("set `stack.source` to the source checkout, or `build.context`"),
            ),
            _ => {}
        }
    }
}

/// BI114: every variable of `.env` and `secrets.env` is defined once, and every secret a
/// service reads itself is declared under `secrets`.
pub(super) fn env_definitions(spec: &Spec, out: &mut Vec<Diagnostic>) {
    defined_twice(spec, out);
    postgres_env_disagrees(spec, out);
    undeclared_secrets(spec, out);
}

/// One definition of a variable of `.env` or `secrets.env` (BI114).
struct Def {
    /// Where it is: the written entry, or the field it is derived from (the finding is
    /// placed there).
    pointer: String,
    /// Whether it is derived from a service's fields rather than written.
    derived: bool,
    /// `.env` or `secrets.env`.
    file: &'static str,
}

/// BI114 for a variable defined twice, in `.env` and `secrets.env` together.
fn defined_twice(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let publics = public_vars(spec);
    let secrets = secret_vars(spec);
    let defs = publics
        .iter()
        .map(|v| {
            (
                v.name.as_str(),
                Def {
                    pointer: v.pointer.clone(),
                    derived: !v.pointer.starts_with("/env/"),
                    file: ".env",
                },
            )
        })
        .chain(secrets.iter().map(|v| {
            (
                v.name.as_str(),
                Def {
                    pointer: v.pointer.clone(),
                    derived: v.kind.is_derived(),
                    file: "secrets.env",
                },
            )
        }));
    let mut seen: HashMap<&str, Def> = HashMap::new();
    for (var, def) in defs {
        let first = match seen.entry(var) {
            Entry::Vacant(e) => {
                e.insert(def);
                continue;
            }
            Entry::Occupied(e) => e.into_mut(),
        };
        // Point at the written definition when the other one is derived: that is the
        // one to remove.
        let (at, other) = if first.derived && !def.derived {
            (&def, &*first)
        } else if !first.derived && def.derived {
            (&*first, &def)
        } else {
            (&def, &*first)
        };
        out.push(defined_twice_diagnostic(var, at, other));
    }
}

/// BI114's finding for `var` defined at `at` and at `other`, reported at `at`.
fn defined_twice_diagnostic(var: &str, at: &Def, other: &Def) -> Diagnostic {
    spec_rules::defined_twice(var, other.file, at.file, at.derived && other.derived)
        .at(at.pointer.clone())
}

/// BI114 for `env.POSTGRES_DB` or `env.POSTGRES_USER` set to another value than the
/// PostgreSQL service's. `env` may set them itself (then they are not derived), but the
/// server is created with the service's own values: they must agree.
fn postgres_env_disagrees(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let Service::Postgres(pg) = svc else { continue };
        for (var, field, value) in [
            ("POSTGRES_DB", "database", pg.database.as_str()),
            ("POSTGRES_USER", "user", pg.user.as_str()),
        ] {
            if spec.env.get(var).is_some_and(|v| v != value) {
                let finding =
                    spec_rules::env_disagrees_with_postgres(var, field, value, name.as_str());
                out.push(finding.at(ptr!("env", var)));
            }
        }
    }
}

/// BI114 for a secret a service reads itself that is not declared under `secrets`.
fn undeclared_secrets(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (var, at) in required_secrets(spec) {
        if !spec.secrets.contains_key(&var) {
            // The pointer is `/services/NAME...`: the service that reads the secret.
            let service = at
                .split('/')
                .nth(2)
                .unwrap_or("")
                .replace("~1", "/")
                .replace("~0", "~");
            out.push(spec_rules::undeclared_secret(var.as_str(), &service).at(at));
        }
    }
}

/// BI117: every service is on a network, every network is used, none is both external and
/// internal, and the proxy network is external.
pub(super) fn network_layout(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let mut used: HashSet<&str> = HashSet::new();
    for (name, svc) in &spec.services {
        if svc.networks().is_empty() {
            out.push(
                Diagnostic::error(
                    CODE_NETWORK_LAYOUT,
                    ptr!("services", name, "networks"),
                    format!("service `{name}` is on no network: it would land on the default network, outside the stack's isolation"),
                )
                .with_help("list its networks, for example the stack's internal network"),
            );
        }
        used.extend(svc.networks().iter().map(Name::as_str));
    }
    for (net, def) in &spec.networks {
        if def.external && def.internal {
            out.push(
                Diagnostic::error(
                    CODE_NETWORK_LAYOUT,
                    ptr!("networks", net, "internal"),
                    format!("network `{net}` is both external and internal: an external network is configured where it is created, not here"),
                )
                .with_help("remove `internal` (or `external`)"),
            );
        }
        if *net == spec.proxy.network && !def.external {
            out.push(
                Diagnostic::error(
                    CODE_NETWORK_LAYOUT,
                    ptr!("networks", net, "external"),
                    format!("network `{net}` is the proxy's network but is not external: Compose would create a new network of that name that Caddy is not on"),
                )
                .with_help("set `external: true`"),
            );
        }
        if !used.contains(net.as_str()) {
            out.push(
                Diagnostic::warning(
                    CODE_NETWORK_LAYOUT,
                    ptr!("networks", net),
                    format!("network `{net}` is used by no service"),
                )
                .with_help("remove it, or attach the services that need it"),
            );
        }
    }
}

/// BI118: at most one PostgreSQL and one MinIO service: the images read fixed variable
/// names (`POSTGRES_PASSWORD`, `MINIO_ROOT_USER`, `MINIO_ROOT_PASSWORD`) and every
/// container reads the same `secrets.env`, so a second server would get the first's
/// credentials.
pub(super) fn single_servers(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for kind in [ServiceKind::Postgres, ServiceKind::Minio] {
        let mut first: Option<&Name> = None;
        for (name, svc) in &spec.services {
            if svc.kind() != kind {
                continue;
            }
            match first {
                None => first = Some(name),
                Some(f) => out.push(
                    Diagnostic::error(
                        CODE_SINGLE_SERVER,
                        ptr!("services", name, "kind"),
                        format!(
                            "`{name}` is a second {} service (the first is `{f}`): both would read the same credentials from secrets.env",
                            kind.as_str()
                        ),
                    )
                    .with_help(format!("use one {} service per stack (one database server can hold several databases), or split the stack", kind.as_str())),
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    #[allow(unused_imports)]
    use crate::rules::{health::*, secrets::*, sites::*, spec::*, storage::*};
    use crate::validate::tests::{
        clean, expect, run, spec, DB, DB_SECRETS, NETS, S3, S3_SECRETS, S3_SITE, SITE, WEB,
    };

    #[test]
    fn bi110_unknown_network() {
        let bad = "  a: { kind: app, build: { dockerfile: D }, networks: [inner, innr] }\n";
        let d = expect(
            &spec(bad, "", ""),
            CODE_UNRESOLVED_REFERENCE,
            "/services/a/networks/1",
        );
        assert_eq!(d[0].help.as_deref(), Some("did you mean `inner`?"));
        clean(&spec(
            "  a: { kind: app, build: { dockerfile: D }, networks: [inner] }\n",
            "",
            "",
        ));
    }

    #[test]
    fn bi110_unknown_dependency_and_self_dependency() {
        let bad = "  a: { kind: app, build: { dockerfile: D }, networks: [inner], depends_on: { webb: started } }\n";
        let d = expect(
            &spec(bad, "", ""),
            CODE_UNRESOLVED_REFERENCE,
            "/services/a/depends_on/webb",
        );
        assert_eq!(d[0].help.as_deref(), Some("did you mean `web`?"));
        let own = "  a: { kind: app, build: { dockerfile: D }, networks: [inner], depends_on: { a: started } }\n";
        let d = expect(
            &spec(own, "", ""),
            CODE_UNRESOLVED_REFERENCE,
            "/services/a/depends_on/a",
        );
        assert_eq!(d.len(), 1, "a self-dependency is not also a cycle");
        assert!(d[0].message.contains("depends on itself"));
        let good = "  a: { kind: app, build: { dockerfile: D }, networks: [inner], depends_on: { web: started } }\n";
        clean(&spec(good, "", ""));
    }

    #[test]
    fn bi110_unknown_site_service() {
        let bad = "  - { domains: [x.example.com], service: nope }\n";
        expect(
            &spec("", bad, ""),
            CODE_UNRESOLVED_REFERENCE,
            "/sites/1/service",
        );
        clean(&spec(
            "",
            "  - { domains: [x.example.com], service: web }\n",
            "",
        ));
    }

    #[test]
    fn bi110_storage_init_of_a_non_minio_service() {
        let job = |target: &str| {
            format!("  init: {{ kind: job, image: \"minio/mc:RELEASE.2025-04-16T18-13-26Z\", task: {{ storage_init: {{ minio: {target} }} }}, networks: [inner] }}\n")
        };
        let at = "/services/init/task/storage_init/minio";
        let d = expect(&spec(&job("web"), "", ""), CODE_UNRESOLVED_REFERENCE, at);
        assert_eq!(
            d[0].message,
            "job `init` initialises `web`, a service of kind `app`, not `minio`"
        );
        expect(&spec(&job("nope"), "", ""), CODE_UNRESOLVED_REFERENCE, at);
        clean(&spec(&format!("{S3}{}", job("s3")), S3_SITE, S3_SECRETS));
    }

    #[test]
    fn bi111_site_port_not_listened_on() {
        let bad = "  - { domains: [x.example.com], service: web, port: 4000 }\n";
        let d = expect(&spec("", bad, ""), CODE_SITE_PORT, "/sites/1/port");
        assert!(d[0].help.as_deref().unwrap().contains("3000"));
        clean(&spec(
            "",
            "  - { domains: [x.example.com], service: web, port: 3000 }\n",
            "",
        ));
        // MinIO listens on both its ports.
        let console = "  - { domains: [console.example.com], service: s3, port: 9001, security_headers: console }\n";
        clean(&spec(S3, &format!("{S3_SITE}{console}"), S3_SECRETS));
    }

    #[test]
    fn bi111_site_on_a_service_without_port() {
        let job = "  j: { kind: job, image: \"alpine:3.20\", task: { command: { argv: [/bin/true] } }, networks: [inner, proxy-network] }\n";
        let site = "  - { domains: [x.example.com], service: j }\n";
        expect(&spec(job, site, ""), CODE_SITE_PORT, "/sites/1/service");
        let job = "  j: { kind: job, image: \"alpine:3.20\", task: { command: { argv: [/bin/true] } }, networks: [inner] }\n";
        clean(&spec(job, "", ""));
        // A site on PostgreSQL: BI111, and BI204 (the database is not on the proxy network).
        let d = run(&spec(
            DB,
            "  - { domains: [x.example.com], service: db }\n",
            DB_SECRETS,
        ));
        assert!(d
            .iter()
            .any(|x| x.code == CODE_SITE_PORT && x.pointer == "/sites/1/service"));
    }

    #[test]
    fn bi113_app_without_image_source() {
        let bad = "  a: { kind: app, networks: [inner] }\n";
        expect(&spec(bad, "", ""), CODE_APP_IMAGE_SOURCE, "/services/a");
        clean(&spec(
            "  a: { kind: app, image: \"example/a:1.0\", networks: [inner] }\n",
            "",
            "",
        ));
        let no_context = format!("stack: {{ name: t }}\n{NETS}services:\n{WEB}sites:\n{SITE}");
        expect(&no_context, CODE_APP_IMAGE_SOURCE, "/services/web/build");
        let with_context = no_context.replace(
            "{ dockerfile: Dockerfile }",
            "{ dockerfile: Dockerfile, context: /src }",
        );
        clean(&with_context);
    }

    #[test]
    fn bi114_name_in_env_and_secrets() {
        let bad = "env: { APP_MODE: a }\nsecrets: { APP_MODE: {} }\n";
        let d = expect(&spec("", "", bad), CODE_ENV_DEFINITION, "/secrets/APP_MODE");
        assert_eq!(d.len(), 1);
        clean(&spec("", "", "env: { APP_MODE: a }\n"));
    }

    #[test]
    fn bi114_derived_value_declared_again() {
        let bad = "secrets: { POSTGRES_PASSWORD: {}, DATABASE_URL: { source: supplied } }\n";
        let d = expect(
            &spec(DB, "", bad),
            CODE_ENV_DEFINITION,
            "/secrets/DATABASE_URL",
        );
        assert_eq!(
            d[0].message,
            "variable `DATABASE_URL` is defined twice in `secrets.env`: the last definition wins, and nothing says which value is meant"
        );
        assert!(d[0]
            .help
            .as_deref()
            .unwrap()
            .contains("not at all when a service derives it"));
        let bad = S3_SECRETS.replace(
            "MINIO_SECRET_KEY: {}",
            "MINIO_SECRET_KEY: {}, MINIO_ACCESS_KEY: {}",
        );
        expect(
            &spec(S3, S3_SITE, &bad),
            CODE_ENV_DEFINITION,
            "/secrets/MINIO_ACCESS_KEY",
        );
    }

    #[test]
    fn bi114_env_disagrees_with_postgres() {
        let bad = format!("env: {{ POSTGRES_DB: other, POSTGRES_USER: t_user }}\n{DB_SECRETS}");
        let d = expect(&spec(DB, "", &bad), CODE_ENV_DEFINITION, "/env/POSTGRES_DB");
        assert_eq!(d.len(), 1);
        // The stack is `t`: its database is `t_db`.
        let good = format!("env: {{ POSTGRES_DB: t_db }}\n{DB_SECRETS}");
        clean(&spec(DB, "", &good));
    }

    #[test]
    fn bi114_required_secret_not_declared() {
        let d = expect(&spec(DB, "", ""), CODE_ENV_DEFINITION, "/services/db");
        assert_eq!(
            d[0].help.as_deref(),
            Some("add `POSTGRES_PASSWORD: {}` under `secrets`")
        );
        let d = expect(
            &spec(S3, S3_SITE, "secrets: { MINIO_ROOT_PASSWORD: {} }\n"),
            CODE_ENV_DEFINITION,
            "/services/s3/service_account/secret_key_secret",
        );
        assert_eq!(d.len(), 1);
        // A supplied secret is fine.
        clean(&spec(
            DB,
            "",
            "secrets: { POSTGRES_PASSWORD: { source: supplied } }\n",
        ));
    }

    #[test]
    fn bi117_network_layout() {
        // A service on no network.
        let bad = "  a: { kind: app, build: { dockerfile: D } }\n";
        expect(
            &spec(bad, "", ""),
            CODE_NETWORK_LAYOUT,
            "/services/a/networks",
        );
        // An unused network: a warning.
        let unused = spec("", "", "").replace("networks:\n", "networks:\n  spare: {}\n");
        let d = expect(&unused, CODE_NETWORK_LAYOUT, "/networks/spare");
        assert_eq!(d[0].severity, Severity::Warning);
        // External and internal.
        let both = spec("", "", "").replace(
            "proxy-network: { external: true }",
            "proxy-network: { external: true, internal: true }",
        );
        expect(
            &both,
            CODE_NETWORK_LAYOUT,
            "/networks/proxy-network/internal",
        );
        // The proxy network created by the stack.
        let own =
            spec("", "", "").replace("proxy-network: { external: true }", "proxy-network: {}");
        expect(
            &own,
            CODE_NETWORK_LAYOUT,
            "/networks/proxy-network/external",
        );
        clean(&spec("", "", ""));
    }

    #[test]
    fn bi118_one_database_server_per_stack() {
        let two = format!("{DB}  db2: {{ kind: postgres, image: \"postgres:15-alpine\", data: data/pg2, networks: [inner] }}\n");
        let d = expect(
            &spec(&two, "", DB_SECRETS),
            CODE_SINGLE_SERVER,
            "/services/db2/kind",
        );
        assert_eq!(d.len(), 1);
        clean(&spec(DB, "", DB_SECRETS));
    }
}
