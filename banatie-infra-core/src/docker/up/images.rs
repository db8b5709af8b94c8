//! The images `up` needs: pulled from their registry ([`PullPolicy`]), with the Docker
//! client's own credentials, or built from the source checkout.
//!
//! Credentials are the ones `docker login` stored: `config.json` in `DOCKER_CONFIG` (or
//! `~/.docker`), its `auths` entries, `credsStore` and `credHelpers` (the
//! `docker_credential` crate runs the `docker-credential-<helper> get` program as the
//! Docker CLI does). Docker Hub's entry is keyed `https://index.docker.io/v1/`, any other
//! registry by its host (and port), as the Docker CLI keys them. No credential is ever
//! logged or put in an error.

use std::collections::BTreeMap;
use std::path::PathBuf;

use bollard::auth::DockerCredentials;
use bollard::query_parameters::CreateImageOptionsBuilder;
use futures_util::StreamExt;

use super::desired::{BuildPlan, Desired};
use super::{Action, UpError, UpEvent, UpOptions};
use crate::docker::{DockerError, Engine};
use crate::types::image::{pull_reference, registry_of, DOCKER_HUB};

/// The callback `up` reports progress through.
type Events<'a> = &'a (dyn Fn(UpEvent) + Send + Sync);

/// When `up` pulls the image of a service that is not built here (Compose's
/// `pull_policy` and `up --pull` values). A service with a `build` is built, never pulled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PullPolicy {
    /// Pull every image, even one the engine has (a moving tag such as `:16` is then
    /// brought to what the registry serves now).
    Always,
    /// Pull only the images the engine lacks (the default, as Compose's).
    #[default]
    Missing,
    /// Never pull: a missing image is [`UpError::MissingImage`].
    Never,
}

impl std::str::FromStr for PullPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "always" => Ok(Self::Always),
            "missing" | "if_not_present" => Ok(Self::Missing),
            "never" => Ok(Self::Never),
            _ => Err(format!(
                "`{s}` is not a pull policy: expected always, missing or never"
            )),
        }
    }
}

/// Progress of one layer of a pull, as the engine reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullProgress {
    /// The service whose image this is.
    pub service: String,
    /// The image reference pulled.
    pub image: String,
    /// The layer's short id (empty for the image's own status lines).
    pub layer: String,
    /// The engine's status: `Pulling fs layer`, `Downloading`, `Extracting`,
    /// `Pull complete`, `Already exists`, `Digest: ...`, `Status: ...`.
    pub status: String,
    /// Bytes done of this layer's current phase.
    pub current: u64,
    /// The layer's size in bytes, when the engine knows it.
    pub total: Option<u64>,
}

/// The service that brings each image tag of `want`, in the order `up` brings them:
/// the services that build first, then the others, each tag once. So a tag built here is
/// never pulled, and a migration job, which runs its app's tag, brings nothing itself.
pub(super) fn image_owners(want: &BTreeMap<String, Desired>) -> Vec<(&String, &Desired)> {
    let mut seen = std::collections::HashSet::new();
    want.iter()
        .filter(|(_, d)| d.build.is_some())
        .chain(want.iter().filter(|(_, d)| d.build.is_none()))
        .filter(|(_, d)| seen.insert(d.image.as_str()))
        .collect()
}

/// Pulls or builds what `want` needs: a service with a `build` is built when its image is
/// missing (or always with `opts.build`); any other service's image is pulled as
/// `opts.pull` says. A missing image under [`PullPolicy::Never`] is
/// [`UpError::MissingImage`]; a failed pull [`UpError::Pull`]. Returns the steps taken.
pub(super) async fn ensure_images(
    engine: &Engine,
    want: &BTreeMap<String, Desired>,
    opts: &UpOptions,
    events: Events<'_>,
) -> Result<Vec<Action>, UpError> {
    let mut done = Vec::new();
    for (name, d) in image_owners(want) {
        if let Some(b) = &d.build {
            if opts.build || engine.docker.inspect_image(&d.image).await.is_err() {
                build_image(engine, name, &d.image, b, events).await?;
                done.push(Action::Build {
                    service: name.clone(),
                    image: d.image.clone(),
                });
            }
            continue;
        }
        let exists = engine.docker.inspect_image(&d.image).await.is_ok();
        let release = format!("{}/", crate::docker::releases::RELEASE_REPOSITORY);
        if !exists && d.image.starts_with(&release) {
            return Err(UpError::MissingImage {
                service: name.clone(),
                image: d.image.clone(),
                hint: "the release's image was removed from the engine (`docker rmi`, `docker image prune -a`): roll back to another release, or deploy the spec".into(),
            });
        }
        match (opts.pull, exists) {
            (PullPolicy::Always, _) | (PullPolicy::Missing, false) => {
                pull_image(engine, name, &d.image, events).await?;
                done.push(Action::Pull {
                    service: name.clone(),
                    image: d.image.clone(),
                });
            }
            (PullPolicy::Never, false) => {
                return Err(UpError::MissingImage {
                    service: name.clone(),
                    image: d.image.clone(),
                    hint: "`--pull never` was given: pull it (`banatie-infra up --pull missing`) or load it with `docker load`".into(),
                });
            }
            _ => {}
        }
    }
    Ok(done)
}

/// The credentials `docker login` stored for `registry`, if any. A helper that fails or
/// a config that cannot be read is an error naming the helper or file, never a value.
fn credentials(registry: &str) -> Result<Option<DockerCredentials>, String> {
    use docker_credential::{CredentialRetrievalError as E, DockerCredential};
    let keys: Vec<String> = if registry == DOCKER_HUB {
        vec!["https://index.docker.io/v1/".into(), DOCKER_HUB.into()]
    } else {
        vec![
            registry.into(),
            format!("https://{registry}"),
            format!("http://{registry}"),
        ]
    };
    let Some(path) = docker_config_file() else {
        return Ok(None);
    };
    let config = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let parsed: serde_json::Value = serde_json::from_slice(&config)
        .map_err(|e| format!("{} is not valid JSON: {e}", path.display()))?;
    let helper = keys.iter().find_map(|k| {
        parsed["credHelpers"][k.as_str()]
            .as_str()
            .or_else(|| parsed["credsStore"].as_str())
            .map(|h| format!("docker-credential-{h}"))
    });
    for key in &keys {
        match docker_credential::get_credential_from_reader(&config[..], key) {
            Ok(DockerCredential::UsernamePassword(username, password)) => {
                return Ok(Some(DockerCredentials {
                    username: Some(username),
                    password: Some(password),
                    serveraddress: Some(key.clone()),
                    ..Default::default()
                }))
            }
            Ok(DockerCredential::IdentityToken(token)) => {
                return Ok(Some(DockerCredentials {
                    identitytoken: Some(token),
                    serveraddress: Some(key.clone()),
                    ..Default::default()
                }))
            }
            Err(E::NoCredentialConfigured | E::ConfigNotFound) => {}
            Err(E::HelperFailure { helper, .. }) => {
                return Err(format!(
                    "the credential helper `{helper}` failed for {registry} (run `echo {registry} | {helper} get` to see why)"
                ))
            }
            Err(E::HelperCommunicationError) => {
                let h = helper.as_deref().unwrap_or("docker-credential-*");
                return Err(format!(
                    "the credential helper `{h}` named in {} for {registry} cannot be run: is it installed and on PATH?",
                    path.display()
                ));
            }
            Err(e) => {
                return Err(format!(
                    "the Docker client's credentials for {registry} could not be read from {}: {e}",
                    path.display()
                ))
            }
        }
    }
    Ok(None)
}

/// The Docker client's `config.json`: in `DOCKER_CONFIG` when set, else `~/.docker`.
fn docker_config_file() -> Option<PathBuf> {
    match std::env::var_os("DOCKER_CONFIG") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir).join("config.json")),
        _ => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker/config.json")),
    }
}

/// Pulls `image` for `service`, reporting each layer's progress. Errors name the image,
/// the registry and the engine's reason, with what to do for the usual ones.
async fn pull_image(
    engine: &Engine,
    service: &str,
    image: &str,
    events: Events<'_>,
) -> Result<(), UpError> {
    let registry = registry_of(image).to_owned();
    let reference = pull_reference(image);
    let fail = |reason: String| {
        let hint = pull_hint(&reason, &registry);
        UpError::Pull {
            service: service.into(),
            image: image.into(),
            registry: registry.clone(),
            reason,
            hint,
        }
    };
    let creds = credentials(&registry).map_err(&fail)?;
    events(UpEvent::Step(Action::Pull {
        service: service.into(),
        image: image.into(),
    }));
    let opts = CreateImageOptionsBuilder::default()
        .from_image(&reference)
        .build();
    let mut stream = engine.docker.create_image(Some(opts), None, creds);
    while let Some(item) = stream.next().await {
        let info = item.map_err(|e| fail(DockerError::api(e).to_string()))?;
        if let Some(message) = info.error_detail.and_then(|d| d.message) {
            return Err(fail(message));
        }
        let detail = info.progress_detail.unwrap_or_default();
        events(UpEvent::Pull(PullProgress {
            service: service.into(),
            image: image.into(),
            layer: info.id.unwrap_or_default(),
            status: info.status.unwrap_or_default(),
            current: detail.current.map_or(0, |c| c.max(0) as u64),
            total: detail.total.filter(|t| *t > 0).map(|t| t as u64),
        }));
    }
    // A pull that ended without an error has the image; check, as the CLI does.
    engine.docker.inspect_image(image).await.map_err(|e| {
        fail(format!(
            "the pull ended but the engine has no such image: {}",
            DockerError::api(e)
        ))
    })?;
    Ok(())
}

/// What to do about a failed pull, from the engine's reason.
fn pull_hint(reason: &str, registry: &str) -> String {
    let r = reason.to_ascii_lowercase();
    if r.contains("unauthorized")
        || r.contains("authentication required")
        || r.contains("denied")
        || r.contains("no basic auth credentials")
    {
        format!("log in with `docker login {registry}` (the credentials are read from the Docker client's config.json), or check the image's name")
    } else if r.contains("not found") || r.contains("manifest unknown") {
        "check the image's name and tag in the spec: the registry has no such image".into()
    } else if r.contains("no such host")
        || r.contains("connection refused")
        || r.contains("timeout")
        || r.contains("dial tcp")
    {
        format!("the registry {registry} cannot be reached from the engine: check the network, DNS and proxy settings of dockerd, or load the image with `docker load`")
    } else if r.contains("credential helper") || r.contains("credentials") {
        "fix the Docker client's credential configuration (config.json)".into()
    } else {
        "see the engine's reason above".into()
    }
}

/// Builds `image` from the build plan of `service`: the context streamed with
/// `.dockerignore` applied ([`super::context`]), build args passed.
async fn build_image(
    engine: &Engine,
    service: &str,
    image: &str,
    build: &BuildPlan,
    events: Events<'_>,
) -> Result<(), UpError> {
    events(UpEvent::Step(Action::Build {
        service: service.into(),
        image: image.into(),
    }));
    let root_err = |reason: String| UpError::Root {
        path: build.context.clone(),
        reason,
    };
    if !build.context.is_dir() {
        return Err(root_err(format!("the build context of `{service}` is not a directory: set `stack.source` (or the service's `build.context`) to the source checkout")));
    }
    if !build.context.join(&build.dockerfile).is_file() {
        return Err(root_err(format!("the build context of `{service}` has no `{}`: check the service's `build.dockerfile` (relative to the context)", build.dockerfile)));
    }
    let ctx = super::context::stream(&build.context, &build.dockerfile)
        .map_err(|e| root_err(format!("cannot read the build context: {e}")))?;
    let args: std::collections::HashMap<&str, &str> = build
        .args
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut opts = bollard::query_parameters::BuildImageOptionsBuilder::default()
        .dockerfile(&build.dockerfile)
        .t(image)
        .buildargs(&args)
        .rm(true);
    if let Some(t) = &build.target {
        opts = opts.target(t);
    }
    let body = futures_util::stream::unfold(ctx.body, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let mut stream =
        engine
            .docker
            .build_image(opts.build(), None, Some(bollard::body_try_stream(body)));
    let mut tail: Vec<String> = Vec::new();
    let failed = |message: String, tail: &[String]| UpError::Build {
        service: service.into(),
        message,
        output: tail.join("\n"),
    };
    while let Some(item) = stream.next().await {
        let info = match item {
            Ok(info) => info,
            Err(e) => {
                return Err(context_error(ctx.walker, &build.context)
                    .await
                    .unwrap_or_else(|| failed(DockerError::api(e).to_string(), &tail)))
            }
        };
        for line in info
            .stream
            .iter()
            .flat_map(|s| s.lines())
            .filter(|l| !l.trim().is_empty())
        {
            events(UpEvent::BuildOutput(service.into(), line.to_owned()));
            tail.push(line.to_owned());
            if tail.len() > 30 {
                tail.remove(0);
            }
        }
        if let Some(err) = info.error_detail.and_then(|d| d.message) {
            return Err(failed(err, &tail));
        }
    }
    match ctx.walker.await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(root_err(format!("cannot read the build context: {e}"))),
        Err(e) => Err(failed(e.to_string(), &tail)),
    }
}

/// The context's own error, when reading it is why the engine's request failed.
async fn context_error(
    walker: tokio::task::JoinHandle<std::io::Result<u64>>,
    context: &std::path::Path,
) -> Option<UpError> {
    match walker.await {
        Ok(Err(e)) => Some(UpError::Root {
            path: context.to_path_buf(),
            reason: format!("cannot read the build context: {e}"),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_policies_parse_as_compose_spells_them() {
        assert_eq!("always".parse(), Ok(PullPolicy::Always));
        assert_eq!("missing".parse(), Ok(PullPolicy::Missing));
        assert_eq!("if_not_present".parse(), Ok(PullPolicy::Missing));
        assert_eq!("never".parse(), Ok(PullPolicy::Never));
        assert!("sometimes"
            .parse::<PullPolicy>()
            .unwrap_err()
            .contains("always, missing or never"));
    }

    #[test]
    fn hints_follow_the_engines_reason() {
        assert!(pull_hint("unauthorized: authentication required", "r:5000")
            .contains("docker login r:5000"));
        assert!(pull_hint("manifest unknown", "docker.io").contains("no such image"));
        assert!(
            pull_hint("dial tcp: lookup ghcr.io: no such host", "ghcr.io")
                .contains("cannot be reached")
        );
    }
}
