//! `drift`: differences between the live engine and the spec.

use std::collections::{BTreeSet, HashMap};

use bollard::models::ContainerInspectResponse;
use bollard::query_parameters::InspectNetworkOptions;

use super::status::{find, state_of, ContainerState};
use super::{DockerError, Engine};
use crate::diagnostic::{pointer, Diagnostic};
use crate::environment::{public_vars, service_secrets};
use crate::spec::{Service, Spec};
use crate::types::Name;

pub use crate::rules::live::{
    CODE_DRIFT_ENV, CODE_DRIFT_EXTRA, CODE_DRIFT_IMAGE, CODE_DRIFT_MISSING, CODE_DRIFT_NETWORK,
    CODE_DRIFT_NETWORK_INTERNAL, CODE_DRIFT_PORTS,
};

/// A live difference, as a diagnostic whose pointer names the spec value it differs from.
pub type Drift = Diagnostic;

/// Compares the engine with `spec` and returns each difference (empty: no drift).
pub async fn drift(engine: &Engine, spec: &Spec) -> Result<Vec<Drift>, DockerError> {
    let mut out = Vec::new();
    networks(engine, spec, &mut out).await?;
    let (owned, extra) = find(engine, spec).await?;
    let public: BTreeSet<String> = public_vars(spec)
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
        service_networks(spec, name, svc, &live, &mut out);
        service_ports(name, svc, &live, &mut out);
        service_image(name, svc, &live, &mut out);
        if !image_env.contains_key(&live.image) {
            let names = image_env_names(engine, &live.image).await;
            image_env.insert(live.image.clone(), names);
        }
        // Only the secrets this service receives (least privilege): any other one in
        // its container is drift.
        let secret: BTreeSet<String> = service_secrets(spec, name.as_str())
            .into_iter()
            .map(|v| v.to_string())
            .collect();
        let want_env = wanted_env(spec, svc, &public, &secret);
        service_env(name, &live, &want_env, &image_env[&live.image], &mut out);
    }
    extra_containers(spec, extra, &mut out);
    Ok(out)
}

/// The spec's networks against the engine's: each one that does not exist, and each of
/// the stack's own whose `internal` setting differs (not compared for external ones).
async fn networks(engine: &Engine, spec: &Spec, out: &mut Vec<Drift>) -> Result<(), DockerError> {
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
    Ok(())
}

/// The networks a service's container is attached to against the spec's: each extra
/// one (the proxy network for PostgreSQL said so), then each missing one.
fn service_networks(
    spec: &Spec,
    name: &Name,
    svc: &Service,
    live: &ContainerState,
    out: &mut Vec<Drift>,
) {
    let want: BTreeSet<&str> = svc.networks().iter().map(|n| n.as_str()).collect();
    for n in &live.networks {
        if !want.contains(n.as_str()) {
            let msg = if matches!(svc, Service::Postgres(_)) && n == spec.proxy.network.as_str() {
                format!("PostgreSQL `{name}` is attached to the proxy network `{n}`: the database is reachable from Caddy and every stack on it")
            } else {
                format!("`{name}` is attached to network `{n}`, which the spec does not give it")
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
}

/// Host ports the container publishes that the spec does not.
fn service_ports(name: &Name, svc: &Service, live: &ContainerState, out: &mut Vec<Drift>) {
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
}

/// The image the container runs against the spec's (not for an app built here, whose
/// image name is the tag the build gives it).
fn service_image(name: &Name, svc: &Service, live: &ContainerState, out: &mut Vec<Drift>) {
    if let Some(img) = svc.image() {
        let built = matches!(svc, Service::App(a) if a.build.is_some());
        let release = format!("{}/", crate::docker::releases::RELEASE_REPOSITORY);
        if !built && live.image.starts_with(&release) {
            // A rollback pinned the release's own tag: known, not an accident.
            out.push(Diagnostic::warning(
                CODE_DRIFT_IMAGE,
                pointer(&["services", name.as_str(), "image"]),
                format!(
                    "`{name}` runs `{}`, an earlier release's image (a rollback), not the spec's `{img}`; `deploy` returns it to the spec",
                    live.image
                ),
            ));
        } else if !built && live.image != img.as_str() {
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
}

/// The variable names the spec gives a service's container: the secrets it receives,
/// its own environment, and what its kind adds (for apps the public environment and
/// `HOSTNAME`, for workers the public environment).
fn wanted_env(
    spec: &Spec,
    svc: &Service,
    public: &BTreeSet<String>,
    secret: &BTreeSet<String>,
) -> BTreeSet<String> {
    let mut want_env: BTreeSet<String> = secret.clone();
    want_env.extend(svc.environment().keys().map(ToString::to_string));
    match svc {
        Service::App(_) => {
            want_env.extend(public.iter().cloned());
            want_env.insert("HOSTNAME".into());
        }
        Service::Worker(_) => want_env.extend(public.iter().cloned()),
        Service::Postgres(_) => {
            want_env.insert("POSTGRES_DB".into());
            want_env.insert("POSTGRES_USER".into());
        }
        Service::Minio(_) => {
            want_env.insert("MINIO_BROWSER_REDIRECT_URL".into());
            want_env.insert("MINIO_SERVER_URL".into());
        }
        // A migration runs with its app's environment (the render's `job_service`).
        Service::Job(j) => {
            if let Some(app) = j.migrates().and_then(|a| spec.services.get(a)) {
                want_env.extend(app.environment().keys().map(ToString::to_string));
                if matches!(app, Service::App(_) | Service::Worker(_)) {
                    want_env.extend(public.iter().cloned());
                }
            }
        }
        Service::Generic(_) => {}
    }
    want_env
}

/// The variable names `image` sets (its config's `Env`); empty when it cannot be
/// inspected.
async fn image_env_names(engine: &Engine, image: &str) -> BTreeSet<String> {
    match engine.docker.inspect_image(image).await {
        Ok(i) => i
            .config
            .and_then(|c| c.env)
            .unwrap_or_default()
            .iter()
            .map(|kv| kv.split('=').next().unwrap_or_default().to_owned())
            .collect(),
        Err(_) => BTreeSet::new(),
    }
}

/// Environment names: what the spec gives (`want_env`), against what the container has
/// less what its image sets (`from_image`). One warning for the missing names, one for
/// the extra ones.
fn service_env(
    name: &Name,
    live: &ContainerState,
    want_env: &BTreeSet<String>,
    from_image: &BTreeSet<String>,
    out: &mut Vec<Drift>,
) {
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

/// Containers labelled as part of the stack that no service of the spec owns.
fn extra_containers(spec: &Spec, extra: Vec<ContainerInspectResponse>, out: &mut Vec<Drift>) {
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
}

/// Variables that the spec derives only when their source exists (a site for MinIO's
/// URLs), so their absence is not drift.
fn optional_env(name: &str) -> bool {
    matches!(name, "MINIO_BROWSER_REDIRECT_URL" | "MINIO_SERVER_URL")
}
