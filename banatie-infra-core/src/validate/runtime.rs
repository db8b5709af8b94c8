//! What every container runs with (`spec/runtime.rs`): each name a service receives under
//! `secrets` resolves (BI110), every secret reaches a service (BI213), limits the engine
//! accepts (BI330), limits that fit the host (BI329), and one mount per container path
//! (BI333).

use std::collections::HashSet;

use crate::diagnostic::Diagnostic;
use crate::environment::{secret_vars, service_secrets};
use crate::rules::health::{CODE_LIMIT_OUT_OF_RANGE, CODE_MEMORY_OVER_HOST, CODE_MOUNT_POINT};
use crate::rules::secrets::CODE_SECRET_UNUSED;
use crate::spec::{Service, Spec, MIN_MEM_LIMIT};

/// BI110 for a name under a service's `secrets` that is no secret variable of the stack,
/// and BI213 for a secret variable no service receives.
pub(super) fn service_secrets_resolve(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let vars = secret_vars(spec);
    let known: HashSet<&str> = vars.iter().map(|v| v.name.as_str()).collect();
    let mut received: HashSet<String> = HashSet::new();
    for (name, svc) in &spec.services {
        for (i, s) in svc.secrets().iter().enumerate() {
            if !known.contains(s.as_str()) {
                let finding = crate::rules::spec::unknown_service_secret(
                    name.as_str(),
                    s.as_str(),
                    vars.iter().map(|v| v.name.as_str()),
                );
                out.push(finding.at(ptr!("services", name, "secrets", i)));
            }
        }
        received.extend(
            service_secrets(spec, name.as_str())
                .into_iter()
                .map(|v| v.to_string()),
        );
    }
    // Declared secrets only: a derived one nobody reads (a connection URL) is harmless.
    for v in vars.iter().filter(|v| spec.secrets.contains_key(&v.name)) {
        if received.contains(v.name.as_str()) {
            continue;
        }
        out.push(
            Diagnostic::warning(
                CODE_SECRET_UNUSED,
                v.pointer.clone(),
                format!("secret `{}` reaches no service: no service lists it under `secrets` and no kind needs it, so an application that reads it starts without it", v.name),
            )
            .with_help(format!("add `{}` to the `secrets` of the services that read it (each service receives only the secrets it names), or remove it", v.name)),
        );
    }
}

/// BI333: each path inside a container is mounted once (Docker: "Duplicate mount point"),
/// and no `tmpfs` hides the root filesystem.
pub(super) fn mount_points(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let Some(p) = svc.process() else { continue };
        let (volumes, _) = svc.mounts();
        let mut seen: Vec<(String, String)> = Vec::new();
        let targets = volumes
            .iter()
            .map(|m| (m.target.as_str(), "a volume"))
            .chain(p.tmpfs.iter().map(|t| (t.as_str(), "a tmpfs")));
        for (i, (target, what)) in targets.enumerate() {
            let clean = target.trim_end_matches('/');
            let at = if i < volumes.len() {
                ptr!("services", name, "volumes", i)
            } else {
                ptr!("services", name, "tmpfs", i - volumes.len())
            };
            if clean.is_empty() {
                out.push(
                    Diagnostic::error(CODE_MOUNT_POINT, at, format!("service `{name}` mounts {what} over `/`: Docker refuses it, and the image's files would be hidden"))
                        .with_help("mount the tmpfs at the directory the process writes, for example `/tmp` or `/run`; for a read-only root, set `read_only: true`"),
                );
            } else if let Some((_, first)) = seen.iter().find(|(t, _)| t == clean) {
                out.push(
                    Diagnostic::error(CODE_MOUNT_POINT, at, format!("service `{name}` mounts {what} at `{target}`, where {first} is mounted already: Docker refuses the container (\"Duplicate mount point\")"))
                        .with_help("keep one mount per path: a volume for what must survive a restart, a tmpfs for scratch space"),
                );
            } else {
                seen.push((clean.to_owned(), what.to_owned()));
            }
        }
    }
}

/// BI330: limits the engine refuses (`mem_limit` under 6MiB: "Minimum memory limit
/// allowed is 6MB") or that cannot work (no CPUs, no process, no log file, a
/// `shm_size` that fills the memory limit).
pub(super) fn limits_in_range(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let mut bad = |field: &str, what: String, help: &str| {
            out.push(
                Diagnostic::error(CODE_LIMIT_OUT_OF_RANGE, ptr!("services", name, field), what)
                    .with_help(help.to_owned()),
            );
        };
        if svc.mem_limit().bytes() < MIN_MEM_LIMIT {
            bad(
                "mem_limit",
                format!("service `{name}` has `mem_limit: {}`: Docker refuses a memory limit under 6MiB", svc.mem_limit()),
                "give it at least what it uses at peak, for example `256MiB`",
            );
        }
        // Docker's NanoCPUs is an int64 of 1e-9 CPUs and the engine refuses more CPUs than
        // the host has; 1024 is far above any VPS and far below where the number loses
        // its meaning (`1e300` reads as infinity in Compose's YAML).
        if let Some(c) = svc
            .cpus()
            .filter(|c| !(c.is_finite() && *c > 0.0 && *c <= 1024.0))
        {
            bad(
                "cpus",
                format!("service `{name}` has `cpus: {c}`: the limit must be above 0 and at most 1024"),
                "give a fraction or a number of CPUs, for example `0.5` or `2`, or remove it for no limit",
            );
        }
        if svc.pids_limit() == Some(0) {
            bad(
                "pids_limit",
                format!("service `{name}` has `pids_limit: 0`: no process could start"),
                "give a bound such as `256`, or remove it for no limit",
            );
        }
        if svc.logging().driver.rotates_itself() && svc.logging().max_file == 0 {
            out.push(
                Diagnostic::error(
                    CODE_LIMIT_OUT_OF_RANGE,
                    ptr!("services", name, "logging", "max_file"),
                    format!("service `{name}` has `logging.max_file: 0`: Docker refuses it (at least one file is kept)"),
                )
                .with_help("keep at least `1` file; the default is `3`"),
            );
        }
        if let Service::Postgres(pg) = svc {
            if pg.shm_size.bytes() >= svc.mem_limit().bytes() {
                out.push(
                    Diagnostic::error(
                        CODE_LIMIT_OUT_OF_RANGE,
                        ptr!("services", name, "shm_size"),
                        format!("PostgreSQL service `{name}` has `shm_size: {}` and a memory limit of {}: /dev/shm counts against the limit, so filling it kills the server", pg.shm_size, svc.mem_limit()),
                    )
                    .with_help("keep `shm_size` well below `mem_limit` (the defaults are 256MiB and 1GiB)"),
                );
            }
        }
    }
}

/// BI329: the memory limits of the long-running services (not one-shot jobs) add up to
/// more than `stack.host_memory`.
pub(super) fn memory_fits_host(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let Some(host) = spec.stack.host_memory else {
        return;
    };
    let total: u64 = spec
        .services
        .values()
        .filter(|s| !matches!(s, Service::Job(_)))
        .map(|s| s.mem_limit().bytes())
        .sum();
    if total > host.bytes() {
        out.push(
            Diagnostic::warning(
                CODE_MEMORY_OVER_HOST,
                ptr!("stack", "host_memory"),
                format!("the memory limits of the long-running services add up to {}, more than the host's {host}: under load the services together can take more than the host has, and the kernel's OOM killer then picks its victim host-wide", crate::types::ByteSize::from_bytes(total)),
            )
            .with_help("lower the services' `mem_limit`s (defaults: 1GiB for PostgreSQL and MinIO, 512MiB otherwise) to a sum of about 75% of the host's memory, or correct `stack.host_memory`"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::health::{CODE_LIMIT_OUT_OF_RANGE, CODE_MEMORY_OVER_HOST};
    use crate::rules::secrets::CODE_SECRET_UNUSED;
    use crate::rules::spec::CODE_UNRESOLVED_REFERENCE;
    use crate::validate::tests::{clean, expect, run_all, spec, DB, DB_SECRETS};

    #[test]
    fn bi110_a_service_receives_an_undeclared_secret() {
        let web = "  api: { kind: app, build: { dockerfile: D }, networks: [inner], secrets: [DATABASE_URL, JWT_SECRT] }\n";
        let d = expect(
            &spec(
                &format!("{DB}{web}"),
                "",
                "secrets: { POSTGRES_PASSWORD: {}, JWT_SECRET: {} }\n",
            ),
            CODE_UNRESOLVED_REFERENCE,
            "/services/api/secrets/1",
        );
        assert_eq!(d[0].help.as_deref(), Some("did you mean `JWT_SECRET`?"));
        // A derived variable (the database URL) resolves.
        clean(&spec(
            &format!("{DB}  api: {{ kind: app, build: {{ dockerfile: D }}, networks: [inner], secrets: [DATABASE_URL] }}\n"),
            "",
            DB_SECRETS,
        ));
    }

    #[test]
    fn bi213_a_declared_secret_no_service_receives() {
        let text = spec("", "", "secrets: { JWT_SECRET: {} }\n");
        let d = run_all(&text);
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(
            (d[0].code, d[0].pointer.as_str()),
            (CODE_SECRET_UNUSED, "/secrets/JWT_SECRET")
        );
        let given = spec(
            "  api: { kind: app, build: { dockerfile: D }, networks: [inner], secrets: [JWT_SECRET] }\n",
            "",
            "secrets: { JWT_SECRET: {} }\n",
        );
        assert!(run_all(&given).is_empty(), "{:#?}", run_all(&given));
        // What a kind needs is delivered without naming it.
        assert!(run_all(&spec(DB, "", DB_SECRETS)).is_empty());
    }

    #[test]
    fn bi333_one_mount_per_container_path() {
        let worker = |extra: &str| {
            spec(
                &format!("  w: {{ kind: worker, image: example/w:1.0, networks: [inner], health: {{ exec: [w, --check] }}{extra} }}\n"),
                "",
                "",
            )
        };
        let at = |text: &str| -> Vec<String> {
            run_all(text)
                .into_iter()
                .filter(|d| d.code == crate::rules::health::CODE_MOUNT_POINT)
                .map(|d| d.pointer)
                .collect()
        };
        assert_eq!(
            at(&worker(
                ", volumes: [{ source: data/w, target: /data }], tmpfs: [/data/]"
            )),
            ["/services/w/tmpfs/0"]
        );
        assert_eq!(at(&worker(", tmpfs: [/]")), ["/services/w/tmpfs/0"]);
        assert_eq!(at(&worker(", tmpfs: [/tmp, /run]")), Vec::<String>::new());
    }

    #[test]
    fn bi330_limits_the_engine_refuses() {
        for (field, at) in [
            ("mem_limit: 4MiB", "/services/api/mem_limit"),
            ("cpus: 0", "/services/api/cpus"),
            ("cpus: -1.5", "/services/api/cpus"),
            ("cpus: 1e300", "/services/api/cpus"),
            ("pids_limit: 0", "/services/api/pids_limit"),
            ("logging: { max_file: 0 }", "/services/api/logging/max_file"),
        ] {
            let svc = format!(
                "  api: {{ kind: app, build: {{ dockerfile: D }}, networks: [inner], {field} }}\n"
            );
            expect(&spec(&svc, "", ""), CODE_LIMIT_OUT_OF_RANGE, at);
        }
        // journald keeps no files of Docker's: max_file does not apply.
        clean(&spec("  api: { kind: app, build: { dockerfile: D }, networks: [inner], mem_limit: 6MiB, cpus: 0.25, logging: { driver: journald, max_file: 0 } }\n", "", ""));
        let db = "  db: { kind: postgres, image: \"postgres:15-alpine\", networks: [inner], mem_limit: 256MiB }\n";
        expect(
            &spec(db, "", DB_SECRETS),
            CODE_LIMIT_OUT_OF_RANGE,
            "/services/db/shm_size",
        );
    }

    #[test]
    fn bi329_limits_add_up_to_more_than_the_host() {
        // web (512MiB) + db (1GiB) = 1.5GiB.
        let text = |host: &str| {
            spec(DB, "", DB_SECRETS).replace(
                "stack: { name: t, source: /src }",
                &format!("stack: {{ name: t, source: /src, host_memory: {host} }}"),
            )
        };
        expect(&text("1GiB"), CODE_MEMORY_OVER_HOST, "/stack/host_memory");
        clean(&text("1536MiB"));
        // One-shot jobs do not count.
        let job = "  once: { kind: job, image: \"busybox:1.36\", task: { command: { argv: [\"true\"] } }, networks: [inner], mem_limit: 8GiB }\n";
        clean(&spec(&format!("{DB}{job}"), "", DB_SECRETS).replace(
            "stack: { name: t, source: /src }",
            "stack: { name: t, source: /src, host_memory: 2GiB }",
        ));
    }
}
