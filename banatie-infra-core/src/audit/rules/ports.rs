//! What a service publishes, and on which networks: BI203 (a port reachable from other
//! hosts, PostgreSQL published at all), BI304 (ports on a service whose networks are all
//! internal), BI204 (PostgreSQL on the proxy's external network).

use super::is_postgres;
use crate::audit::{Deployment, Project, Svc};
use crate::diagnostic::Diagnostic;
use crate::rules::secrets as secret_rules;
use crate::validate as v;

/// BI203, BI304, BI204.
pub(super) fn ports_and_networks(
    d: &Deployment,
    project: &Project,
    s: &Svc,
    out: &mut Vec<Diagnostic>,
) {
    let postgres = is_postgres(d, s);
    for p in &s.ports {
        let host = p.host.clone().unwrap_or_else(|| p.container.clone());
        if postgres {
            let finding = secret_rules::postgres_published(&s.name, &host);
            out.push(d.finding_at(finding, &p.at));
        } else if !p.host_ip.as_deref().is_some_and(v::is_loopback) {
            let ip = p.host_ip.as_deref().unwrap_or("0.0.0.0");
            let finding = secret_rules::published_not_loopback(&s.name, &host, &p.container, ip);
            out.push(d.finding_at(finding, &p.at));
        }
    }
    if let Some(first) = s.ports.first() {
        let all_internal = !s.networks.is_empty()
            && s.networks
                .iter()
                .all(|(n, _)| project.network(n).is_some_and(|x| x.internal));
        if all_internal {
            let mut at = first.at.clone();
            at.pointer = format!(
                "/services/{}/ports",
                crate::diagnostic::escape_token(&s.name)
            );
            out.push(d.finding_at(crate::rules::health::published_on_internal(&s.name), &at));
        }
    }
    if postgres {
        for (n, at) in &s.networks {
            if let Some(net) = project.network(n).filter(|x| x.external) {
                let name = net.engine_name.as_deref().unwrap_or(n);
                let finding = secret_rules::postgres_on_proxy(&s.name, name);
                out.push(d.finding_at(finding, at));
            }
        }
    }
}
