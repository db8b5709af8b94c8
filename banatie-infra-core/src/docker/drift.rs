//! `drift`: differences between the live engine and the spec.

use std::collections::{BTreeSet, HashMap};

use bollard::query_parameters::InspectNetworkOptions;

use super::status::{find, state_of};
use super::{DockerError, Engine};
use crate::diagnostic::{pointer, Diagnostic};
use crate::environment::{public_vars, secret_vars};
use crate::spec::{Service, Spec};

pub use crate::rules::live::{
    CODE_DRIFT_ENV, CODE_DRIFT_EXTRA, CODE_DRIFT_IMAGE, CODE_DRIFT_MISSING, CODE_DRIFT_NETWORK,
    CODE_DRIFT_NETWORK_INTERNAL, CODE_DRIFT_PORTS,
};

/// A live difference, as a diagnostic whose pointer names the spec value it differs from.
pub type Drift = Diagnostic;

/// Compares the engine with `spec` and returns each difference (empty: no drift).
pub async fn drift(engine: &Engine, spec: &Spec) -> Result<Vec<Drift>, DockerError> {
    let mut out = Vec::new();
    for (name, n) in &spec.networks {
        match engine
            .docker
            .inspect_network(name.as_str(), None::<InspectNetworkOptions>)
            .await
        {
            Ok(live) => {
                let internal = live.internal.unwrap_or(false);
                if !n.external && internal != n.internal {
                    out.push(
                        Diagnostic::error(
                            CODE_DRIFT_NETWORK_INTERNAL,
                            pointer(&["networks", name.as_str(), "internal"]),
                            format!(
                                "network `{name}` is {}internal on the engine, the spec says {}",
                                if internal { "" } else { "not " },
                                n.internal
                            ),
                        )
                        .with_help("networks cannot change in place: stop the stack, remove the network and bring the stack up again"),
                    );
                }
            }
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => out.push(Diagnostic::error(
                CODE_DRIFT_NETWORK_INTERNAL,
                pointer(&["networks", name.as_str()]),
                format!("network `{name}` does not exist"),
            )),
            Err(e) => return Err(DockerError::api(e)),
        }
    }
    let (owned, extra) = find(engine, spec).await?;
    let public: BTreeSet<String> = public_vars(spec)
        .into_iter()
        .map(|v| v.name.to_string())
        .collect();
    let secret: BTreeSet<String> = secret_vars(spec)
        .into_iter()
        .map(|v| v.name.to_string())
        .collect();
    let mut image_env: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (name, svc) in &spec.services {
        let base = pointer(&["services", name.as_str()]);
        let Some(c) = owned.get(name.as_str()) else {
            out.push(Diagnostic::error(
                CODE_DRIFT_MISSING,
                base,
                format!("`{name}` has no container"),
            ));
            continue;
        };
        let live = state_of(c);
        // Networks.
        let want: BTreeSet<&str> = svc.networks().iter().map(|n| n.as_str()).collect();
        for n in &live.networks {
            if !want.contains(n.as_str()) {
                let msg = if matches!(svc, Service::Postgres(_)) && n == spec.proxy.network.as_str()
                {
                    format!("PostgreSQL `{name}` is attached to the proxy network `{n}`: the database is reachable from Caddy and every stack on it")
                } else {
                    format!(
                        "`{name}` is attached to network `{n}`, which the spec does not give it"
                    )
                };
                out.push(
                    Diagnostic::error(
                        CODE_DRIFT_NETWORK,
                        pointer(&["services", name.as_str(), "networks"]),
                        msg,
                    )
                    .with_help(format!("docker network disconnect {n} {}", live.name)),
                );
            }
        }
        for n in &want {
            if !live.networks.iter().any(|l| l == n) {
                out.push(Diagnostic::error(
                    CODE_DRIFT_NETWORK,
                    pointer(&["services", name.as_str(), "networks"]),
                    format!("`{name}` is not attached to network `{n}`"),
                ));
            }
        }
        // Ports.
        let want_ports: BTreeSet<String> = svc
            .publish()
            .iter()
            .map(|p| {
                // The engine reports an IPv6 address without brackets.
                let ip = p
                    .host_addr()
                    .map_or_else(|| p.host_ip.clone(), |a| a.to_string());
                format!("{ip}:{}->{}/tcp", p.host, p.container)
            })
            .collect();
        for p in &live.published {
            if !want_ports.contains(p) {
                out.push(Diagnostic::error(
                    CODE_DRIFT_PORTS,
                    pointer(&["services", name.as_str(), "publish"]),
                    format!("`{name}` publishes host port {p}, which the spec does not"),
                ));
            }
        }
        // Image.
        if let Some(img) = svc.image() {
            let built = matches!(svc, Service::App(a) if a.build.is_some());
            if !built && live.image != img.as_str() {
                out.push(Diagnostic::error(
                    CODE_DRIFT_IMAGE,
                    pointer(&["services", name.as_str(), "image"]),
                    format!(
                        "`{name}` runs image `{}`, the spec says `{img}`",
                        live.image
                    ),
                ));
            }
        }
        // Environment names: what the spec gives, against what the container has less
        // what its image sets.
        let mut want_env: BTreeSet<String> = secret.clone();
        want_env.extend(svc.environment().keys().map(ToString::to_string));
        match svc {
            Service::App(_) => {
                want_env.extend(public.iter().cloned());
                want_env.insert("HOSTNAME".into());
            }
            Service::Postgres(_) => {
                want_env.insert("POSTGRES_DB".into());
                want_env.insert("POSTGRES_USER".into());
            }
            Service::Minio(_) => {
                want_env.insert("MINIO_BROWSER_REDIRECT_URL".into());
                want_env.insert("MINIO_SERVER_URL".into());
            }
            Service::Job(_) => {}
        }
        if !image_env.contains_key(&live.image) {
            let names = match engine.docker.inspect_image(&live.image).await {
                Ok(i) => i
                    .config
                    .and_then(|c| c.env)
                    .unwrap_or_default()
                    .iter()
                    .map(|kv| kv.split('=').next().unwrap_or_default().to_owned())
                    .collect(),
                Err(_) => BTreeSet::new(),
            };
            image_env.insert(live.image.clone(), names);
        }
        let from_image = &image_env[&live.image];
        let have: BTreeSet<String> = live.env_names.iter().cloned().collect();
        let missing: Vec<&String> = want_env
            .iter()
            .filter(|n| !have.contains(*n) && !optional_env(n))
            .collect();
        let extra_env: Vec<&String> = have
            .iter()
            .filter(|n| {
                !want_env.contains(*n)
                    && !from_image.contains(*n)
                    && n.as_str() != "HOSTNAME"
                    && n.as_str() != "PATH"
            })
            .collect();
        if !missing.is_empty() {
            out.push(Diagnostic::warning(
                CODE_DRIFT_ENV,
                pointer(&["services", name.as_str(), "environment"]),
                format!(
                    "`{name}` lacks variables: {}",
                    missing
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if !extra_env.is_empty() {
            out.push(Diagnostic::warning(
                CODE_DRIFT_ENV,
                pointer(&["services", name.as_str(), "environment"]),
                format!(
                    "`{name}` has variables the spec does not give it: {}",
                    extra_env
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    for c in extra {
        let labels = c
            .config
            .as_ref()
            .and_then(|c| c.labels.clone())
            .unwrap_or_default();
        if labels.get(crate::render::label::STACK).map(String::as_str)
            == Some(spec.stack.name.as_str())
        {
            let name = c.name.unwrap_or_default();
            out.push(Diagnostic::warning(
                CODE_DRIFT_EXTRA,
                "/services",
                format!("container `{}` is labelled as part of stack `{}` but the spec has no such service", name.trim_start_matches('/'), spec.stack.name),
            ));
        }
    }
    Ok(out)
}

/// Variables that the spec derives only when their source exists (a site for MinIO's
/// URLs), so their absence is not drift.
fn optional_env(name: &str) -> bool {
    matches!(name, "MINIO_BROWSER_REDIRECT_URL" | "MINIO_SERVER_URL")
}
