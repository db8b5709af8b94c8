//! The desired state: the container of each service, derived from the typed Compose model
//! `render` writes ([`crate::render::compose`]) with the env files of the deployment root
//! read in, and the hash of that configuration `plan` compares with the engine's.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use bollard::models::{
    ContainerCreateBody, HealthConfig, HostConfig, HostConfigLogConfig, PortBinding, RestartPolicy,
    RestartPolicyNameEnum,
};
use sha2::{Digest, Sha256};

use super::{UpError, CONFIG_HASH_LABEL, CONFIG_LABEL};
use crate::envfile;
use crate::render::compose::{ComposeFile, ComposeService};
use crate::spec::Spec;

/// The desired container of one service.
pub(super) struct Desired {
    pub(super) body: ContainerCreateBody,
    pub(super) networks: Vec<String>,
    pub(super) hash: String,
    pub(super) compose: ComposeService,
    pub(super) build: Option<BuildPlan>,
    pub(super) image: String,
}

/// How to build a service's image: the Compose `build` section with `$$` unescaped.
pub(super) struct BuildPlan {
    /// The context directory.
    pub(super) context: PathBuf,
    /// The Dockerfile, relative to the context.
    pub(super) dockerfile: String,
    /// The stage to stop at.
    pub(super) target: Option<String>,
    /// Build arguments (`ARG` values), by name.
    pub(super) args: std::collections::BTreeMap<String, String>,
}

fn unlit(s: &str) -> String {
    s.replace("$$", "$")
}

fn parse_dur(s: &str) -> i64 {
    s.parse::<crate::types::Duration>()
        .map_or(0, |d| d.as_millis() as i64 * 1_000_000)
}

/// The entries of env file `name` of `root`, read without following a symlink; a secret
/// file (`secrets.env`, `secrets/*`) readable by others is refused, and only a secret
/// file's values are registered for redaction.
fn read_env(root: &Path, name: &str) -> Result<Vec<(String, String)>, UpError> {
    use crate::jail::{Node, Root};
    let path = root.join(name);
    let fail = |reason: String| UpError::Root {
        path: path.clone(),
        reason,
    };
    let missing = |e: String| {
        fail(format!("{e}: run `banatie-infra render SPEC --root {0}` and `banatie-infra secrets SPEC --root {0}` first", root.display()))
    };
    // Read through the root's handle: a symlink or FIFO there is refused, never followed.
    let node = Root::open(root)
        .and_then(|r| r.read(name, crate::jail::READ_LIMIT))
        .map_err(|e| missing(e.to_string()))?;
    let (contents, mode) = match node {
        Node::File { contents, mode, .. } => (contents, mode),
        Node::Missing => return Err(missing("No such file or directory".into())),
        Node::Unsafe { path: p, what } => {
            return Err(fail(format!(
                "{} is {what}, not written by banatie-infra: refusing to read it [{}]",
                p.display(),
                crate::jail::CODE_UNSAFE_PATH
            )))
        }
    };
    let secret_file = name == crate::render::SECRETS_FILE
        || name.starts_with(&format!("{}/", crate::environment::SERVICE_SECRETS_DIR));
    if secret_file && mode & 0o077 != 0 {
        // Refused like `banatie-infra secrets` refuses it: the file holds passwords.
        return Err(fail(format!("mode {mode:04o}: group or others can access it; run `chmod 600 {}` and check who read it", path.display())));
    }
    let text = String::from_utf8(contents).map_err(|_| fail("not UTF-8".into()))?;
    let entries = envfile::parse(&text).map_err(|e| UpError::Root {
        path,
        reason: e.to_string(),
    })?;
    // Only a secret file's values are secrets: the public `.env` holds names (the
    // database's, the stack's) that output must show.
    if secret_file {
        entries
            .iter()
            .for_each(|e| crate::redact::register(&e.value));
    }
    Ok(entries.into_iter().map(|e| (e.key, e.value)).collect())
}

/// The image reference each service's container is created from, by service name: the
/// Compose file's `image`, else Compose's name of a build without one,
/// `<project>-<service>` ([`service`] names it so too).
pub(crate) fn image_refs(spec: &Spec) -> BTreeMap<String, String> {
    let layout = crate::render::Layout::for_spec(spec);
    let compose: ComposeFile = crate::render::compose::build(spec, &layout);
    compose
        .services
        .iter()
        .map(|(name, c)| {
            let image = c
                .image
                .as_deref()
                .map(unlit)
                .unwrap_or_else(|| format!("{}-{name}", compose.name));
            (name.clone(), image)
        })
        .collect()
}

/// The desired container of every service of `spec`, by service name, with the env files
/// under `root` read in (each file once).
pub(super) fn desired(spec: &Spec, root: &Path) -> Result<BTreeMap<String, Desired>, UpError> {
    desired_pinned(spec, root, &BTreeMap::new())
}

/// [`desired`], with the services of `pins` running the image it names instead of the
/// spec's (never built): `rollback` runs a release's tags.
pub(super) fn desired_pinned(
    spec: &Spec,
    root: &Path,
    pins: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, Desired>, UpError> {
    // Bind mounts need absolute host paths.
    let root = &std::path::absolute(root).map_err(|e| UpError::Root {
        path: root.to_owned(),
        reason: e.to_string(),
    })?;
    let layout = crate::render::Layout::for_spec(spec);
    let compose: ComposeFile = crate::render::compose::build(spec, &layout);
    let mut files: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let mut out = BTreeMap::new();
    for (name, c) in &compose.services {
        let mut env: Vec<(String, String)> = Vec::new();
        for f in &c.env_file {
            let f = f.trim_start_matches("./").to_owned();
            if !files.contains_key(&f) {
                files.insert(f.clone(), read_env(root, &f)?);
            }
            env.extend(files[&f].iter().cloned());
        }
        in_step_with_secrets(spec, root, name, &env, &mut files)?;
        for (k, v) in &c.environment {
            env.retain(|(n, _)| n != k);
            env.push((k.clone(), unlit(v)));
        }
        let pinned;
        let c = match pins.get(name) {
            Some(image) => {
                let mut p = c.clone();
                p.image = Some(crate::render::quote::compose_literal(image));
                p.build = None;
                pinned = p;
                &pinned
            }
            None => c,
        };
        out.insert(name.clone(), service(&compose.name, name, c, &env, root));
    }
    Ok(out)
}

/// Fails when service `name`'s own secrets file (read into `env`) is missing one of the
/// secrets it receives or holds another value than `secrets.env` (the one source of
/// truth): the operator edited `secrets.env` and did not run `banatie-infra secrets`
/// since. Compose would start the container with the old value; `up` refuses instead.
fn in_step_with_secrets(
    spec: &Spec,
    root: &Path,
    name: &str,
    env: &[(String, String)],
    files: &mut HashMap<String, Vec<(String, String)>>,
) -> Result<(), UpError> {
    let wanted = crate::environment::service_secrets(spec, name);
    if wanted.is_empty() {
        return Ok(());
    }
    let source = crate::render::SECRETS_FILE.to_owned();
    if !files.contains_key(&source) {
        files.insert(source.clone(), read_env(root, &source)?);
    }
    let truth = &files[&source];
    for var in &wanted {
        let want = truth
            .iter()
            .rev()
            .find(|(k, _)| k == var.as_str())
            .map(|(_, v)| v);
        let have = env
            .iter()
            .rev()
            .find(|(k, _)| k == var.as_str())
            .map(|(_, v)| v);
        if want.filter(|v| !v.is_empty()) != have {
            let file = crate::environment::service_secrets_file(name);
            return Err(UpError::Root {
                path: root.join(&file),
                reason: format!("`{var}` differs from secrets.env (or is missing): run `banatie-infra secrets SPEC --root {}` to copy secrets.env to each service's file", root.display()),
            });
        }
    }
    Ok(())
}

/// The desired container of the Compose service `c` (named `name` in project `project`),
/// with its environment `env` resolved, and the hash of that configuration in its labels.
fn service(
    project: &str,
    name: &str,
    c: &ComposeService,
    env: &[(String, String)],
    root: &Path,
) -> Desired {
    let image = c
        .image
        .as_deref()
        .map(unlit)
        .unwrap_or_else(|| format!("{project}-{name}"));
    let build = c.build.as_ref().map(|b| BuildPlan {
        context: PathBuf::from(unlit(&b.context)),
        dockerfile: unlit(&b.dockerfile),
        target: b.target.as_deref().map(unlit),
        args: b.args.iter().map(|(k, v)| (k.clone(), unlit(v))).collect(),
    });
    let mut labels: HashMap<String, String> = c
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), unlit(v)))
        .collect();
    let config_json = serde_json::to_string(c).expect("plain data");
    labels.insert(CONFIG_LABEL.into(), config_json);
    let mut body = container_body(c, image.clone(), env, labels, root);
    let hash = config_hash(&hashed(&body, c), &c.networks);
    if let Some(l) = body.labels.as_mut() {
        l.insert(CONFIG_HASH_LABEL.into(), hash.clone());
    }
    Desired {
        body,
        networks: c.networks.clone(),
        hash,
        compose: c.clone(),
        build,
        image,
    }
}

/// The engine's create body of the Compose service `c`: `$$` unescaped, bind mounts made
/// absolute under `root`, ports as bindings, durations in nanoseconds.
fn container_body(
    c: &ComposeService,
    image: String,
    env: &[(String, String)],
    labels: HashMap<String, String>,
    root: &Path,
) -> ContainerCreateBody {
    let binds: Vec<String> = c
        .volumes
        .iter()
        .map(|v| {
            let v = unlit(v);
            match v.strip_prefix("./") {
                Some(rest) => format!("{}/{rest}", root.display()),
                None => v,
            }
        })
        .collect();
    let mut port_bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for p in &c.ports {
        if let Some((ip, host, container)) = split_port(p) {
            port_bindings.insert(
                format!("{container}/tcp"),
                Some(vec![PortBinding {
                    host_ip: Some(ip.into()),
                    host_port: Some(host.into()),
                }]),
            );
        }
    }
    let restart = match c.restart.as_str() {
        "no" => RestartPolicyNameEnum::NO,
        "always" => RestartPolicyNameEnum::ALWAYS,
        "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
        _ => RestartPolicyNameEnum::UNLESS_STOPPED,
    };
    ContainerCreateBody {
        image: Some(image),
        env: Some(env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
        entrypoint: c
            .entrypoint
            .as_ref()
            .map(|e| e.iter().map(|s| unlit(s)).collect()),
        cmd: c
            .command
            .as_ref()
            .map(|e| e.iter().map(|s| unlit(s)).collect()),
        labels: Some(labels),
        healthcheck: c.healthcheck.as_ref().map(|h| HealthConfig {
            // The Engine API's `["NONE"]` is Compose's `disable: true`.
            test: Some(if h.runs() {
                h.test.iter().map(|s| unlit(s)).collect()
            } else {
                vec!["NONE".into()]
            }),
            interval: Some(parse_dur(&h.interval)),
            timeout: Some(parse_dur(&h.timeout)),
            retries: Some(i64::from(h.retries)),
            start_period: Some(parse_dur(&h.start_period)),
            start_interval: h.start_interval.as_deref().map(parse_dur),
        }),
        host_config: Some(HostConfig {
            binds: Some(binds),
            port_bindings: (!port_bindings.is_empty()).then_some(port_bindings),
            restart_policy: Some(RestartPolicy {
                name: Some(restart),
                maximum_retry_count: None,
            }),
            network_mode: c.networks.first().cloned(),
            memory: c.mem_limit.as_deref().and_then(parse_bytes),
            nano_cpus: c.cpus.map(|n| (n * 1e9).round() as i64),
            pids_limit: c.pids_limit.map(i64::from),
            shm_size: c.shm_size.as_deref().and_then(parse_bytes),
            init: c.init.then_some(true),
            security_opt: (!c.security_opt.is_empty()).then(|| c.security_opt.clone()),
            log_config: c.logging.as_ref().map(|l| HostConfigLogConfig {
                typ: Some(l.driver.clone()),
                config: Some(l.options.clone().into_iter().collect()),
            }),
            readonly_rootfs: c.read_only.then_some(true),
            tmpfs: (!c.tmpfs.is_empty())
                .then(|| c.tmpfs.iter().map(|t| (unlit(t), String::new())).collect()),
            cap_add: (!c.cap_add.is_empty()).then(|| c.cap_add.clone()),
            cap_drop: (!c.cap_drop.is_empty()).then(|| c.cap_drop.clone()),
            ..Default::default()
        }),
        user: c.user.as_deref().map(unlit),
        working_dir: c.working_dir.as_deref().map(unlit),
        stop_timeout: c
            .stop_grace_period
            .as_deref()
            .map(|d| parse_dur(d) / 1_000_000_000),
        ..Default::default()
    }
}

/// A size as [`crate::spec::compose_bytes`] writes it (`512m`, `1g`, `64k`, `1000b`), in
/// bytes; `None` for anything else.
fn parse_bytes(s: &str) -> Option<i64> {
    let (n, unit) = s.split_at(s.len().checked_sub(1)?);
    let factor: i64 = match unit {
        "g" => 1 << 30,
        "m" => 1 << 20,
        "k" => 1 << 10,
        "b" => 1,
        _ => return None,
    };
    n.parse::<i64>().ok()?.checked_mul(factor)
}

/// The hash of a create body and its networks: the first 16 bytes of SHA-256, in hex.
/// What the configuration hash covers: the create body, except the value of a variable
/// the image reads only when it initialises an empty data directory. The `postgres`
/// image's entrypoint reads `POSTGRES_PASSWORD` only for `initdb`
/// (docker-library/postgres, `docker-entrypoint.sh`: `docker_setup_env` and
/// `docker_setup_db` run only without `PG_VERSION`), so a rotated password
/// (`secrets rotate`, which sets it with `ALTER ROLE`) does not recreate the database.
fn hashed(body: &ContainerCreateBody, c: &ComposeService) -> ContainerCreateBody {
    let kind = c.labels.get(crate::render::label::KIND).map(|v| unlit(v));
    if kind.as_deref() != Some(crate::spec::ServiceKind::Postgres.as_str()) {
        return body.clone();
    }
    let prefix = format!("{}=", crate::spec::POSTGRES_PASSWORD);
    let mut b = body.clone();
    if let Some(env) = b.env.as_mut() {
        for e in env.iter_mut().filter(|e| e.starts_with(&prefix)) {
            *e = format!("{prefix}(read only by initdb)");
        }
    }
    b
}

fn config_hash(body: &ContainerCreateBody, networks: &[String]) -> String {
    let mut h = Sha256::new();
    // Hash a canonical form: the body holds `HashMap`s (labels, port bindings) whose
    // serialization order changes from one map to the next.
    let canonical = canonical_json(serde_json::to_value(body).expect("plain data"));
    h.update(serde_json::to_vec(&canonical).expect("plain data"));
    h.update(serde_json::to_vec(networks).expect("plain data"));
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `v` with the keys of every object sorted, so equal values serialize to equal bytes.
fn canonical_json(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => {
            let mut entries: Vec<(String, serde_json::Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, canonical_json(v)))
                    .collect(),
            )
        }
        serde_json::Value::Array(a) => {
            serde_json::Value::Array(a.into_iter().map(canonical_json).collect())
        }
        other => other,
    }
}

/// Splits the Compose short syntax `HOST_IP:HOST:CONTAINER` the renderer writes
/// ([`crate::spec::PublishedPort::compose_short`]) into (address, host port, container
/// port), an IPv6 address without its brackets (as the engine takes it).
fn split_port(short: &str) -> Option<(&str, &str, &str)> {
    let mut parts = short.rsplitn(3, ':');
    let (container, host, ip) = (parts.next()?, parts.next()?, parts.next()?);
    let ip = ip
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(ip);
    Some((ip, host, container))
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_secret_files_are_registered_for_redaction() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join(".env"), "POSTGRES_DB='storefront'\n").unwrap();
        std::fs::create_dir(d.path().join("secrets")).unwrap();
        let secret = d.path().join("secrets/api.env");
        std::fs::write(&secret, "API_TOKEN=zq8RkV2mWf5Lp0TnHc\n").unwrap();
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
        super::read_env(d.path(), ".env").unwrap();
        super::read_env(d.path(), "secrets/api.env").unwrap();
        let shown = crate::redact::redact("storefront-api uses zq8RkV2mWf5Lp0TnHc");
        assert_eq!(
            shown,
            format!("storefront-api uses {}", crate::redact::MARKER)
        );
    }

    use super::split_port;
    use crate::spec::PublishedPort;

    #[test]
    fn published_ports_split_back_ipv6_included() {
        for (ip, want) in [
            ("127.0.0.1", "127.0.0.1"),
            ("::1", "::1"),
            ("[::1]", "::1"),
            ("0.0.0.0", "0.0.0.0"),
            ("fd00::2", "fd00::2"),
        ] {
            let p = PublishedPort {
                host: crate::types::Port::new(8080).unwrap(),
                container: crate::types::Port::new(3000).unwrap(),
                host_ip: ip.into(),
            };
            assert_eq!(
                split_port(&p.compose_short()),
                Some((want, "8080", "3000")),
                "{ip}"
            );
        }
    }
}
