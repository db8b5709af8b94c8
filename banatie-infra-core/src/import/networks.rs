//! The networks: internal and external ones by their Compose key.

use indexmap::IndexMap;

use super::{facts, name_of, Ctx, NoteKind};
use crate::spec::Network;
use crate::types::Name;

/// The networks of the Compose file, noting the ones that cannot be mapped.
pub(super) fn read(project: &facts::Project, c: &mut Ctx) -> IndexMap<Name, Network> {
    let mut networks: IndexMap<Name, Network> = IndexMap::new();
    for n in &project.networks {
        let Some(name) = name_of(&n.name) else {
            c.note(
                NoteKind::NotMapped,
                format!("networks.{}", n.name),
                "not a valid network name",
            );
            continue;
        };
        if n.external {
            if let Some(e) = n.engine_name.as_deref().filter(|e| *e != n.name) {
                c.note(NoteKind::NotMapped, format!("networks.{}.name", n.name), format!("the external network is `{e}` on the engine; the spec names networks by their key"));
            }
        }
        networks.insert(
            name,
            Network {
                internal: n.internal,
                external: n.external,
            },
        );
    }
    networks
}

/// The proxy's network: the first external one (`proxy-network` when there is none).
pub(super) fn proxy_network(project: &facts::Project) -> Name {
    project
        .networks
        .iter()
        .find(|n| n.external)
        .and_then(|n| name_of(&n.name))
        .unwrap_or_else(|| "proxy-network".parse().expect("valid"))
}
