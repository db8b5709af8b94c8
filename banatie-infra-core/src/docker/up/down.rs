//! `down`: stop and remove the stack's containers (and, on request, its own networks).

use std::collections::HashMap;

use bollard::query_parameters::ListNetworksOptionsBuilder;

use super::containers::remove_container;
use crate::docker::status::find;
use crate::docker::{DockerError, Engine};
use crate::render::label;
use crate::spec::Spec;

/// What `down` removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DownReport {
    /// Containers removed, by name.
    pub containers: Vec<String>,
    /// Networks removed.
    pub networks: Vec<String>,
}

/// Stops (gracefully, `timeout_secs`) and removes the stack's containers: those labelled
/// with the stack's name, plus containers named like a service only when they carry the
/// stack's label (a foreign container with a service's name is never touched). With
/// `networks`, also removes the stack's own networks (labelled, never external ones).
/// Never touches data directories or volumes.
pub async fn down(
    engine: &Engine,
    spec: &Spec,
    networks: bool,
    timeout_secs: i32,
) -> Result<DownReport, DockerError> {
    let (owned, extra) = find(engine, spec).await?;
    let mut report = DownReport::default();
    let ours = |c: &bollard::models::ContainerInspectResponse| {
        c.config
            .as_ref()
            .and_then(|c| c.labels.as_ref())
            .and_then(|l| l.get(label::STACK))
            .map(String::as_str)
            == Some(spec.stack.name.as_str())
    };
    let targets: Vec<(String, String)> = owned
        .values()
        .chain(extra.iter())
        .filter(|c| ours(c))
        .filter_map(|c| {
            Some((
                c.id.clone()?,
                c.name.clone()?.trim_start_matches('/').to_owned(),
            ))
        })
        .collect();
    let removals = futures_util::future::join_all(
        targets
            .iter()
            .map(|(id, _)| remove_container(engine, id, timeout_secs)),
    )
    .await;
    for (r, (_, name)) in removals.into_iter().zip(targets) {
        r?;
        report.containers.push(name);
    }
    report.containers.sort();
    if networks {
        let filters: HashMap<&str, Vec<String>> = HashMap::from([(
            "label",
            vec![format!("{}={}", label::STACK, spec.stack.name)],
        )]);
        let nets = engine
            .docker
            .list_networks(Some(
                ListNetworksOptionsBuilder::default()
                    .filters(&filters)
                    .build(),
            ))
            .await
            .map_err(DockerError::api)?;
        for n in nets {
            let Some(name) = n.name else { continue };
            let external = spec.networks.get(name.as_str()).is_some_and(|x| x.external);
            if external {
                continue;
            }
            match engine.docker.remove_network(&name).await {
                Ok(())
                | Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 404, ..
                }) => report.networks.push(name),
                Err(e) => return Err(DockerError::api(e)),
            }
        }
    }
    Ok(report)
}
