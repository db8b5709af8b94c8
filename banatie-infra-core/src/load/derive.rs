//! Defaults derived from what the spec says, not borrowed from the Banatie deployment
//! the tool was first written for. Applied by the loader after deserializing, for every
//! field the spec does not write (the positioned tree says which are written):
//!
//! - a PostgreSQL service's `version` is the major its image's tag names
//!   ([`crate::spec::postgres_major`]: `postgres:16.4-alpine` runs 16), 15 when the tag
//!   names none;
//! - its `database` and `user` are the stack's name with `_db` and `_user`
//!   ([`crate::spec::stack_sql_name`]: stack `banatie` gives `banatie_db` and
//!   `banatie_user`, `my-shop` gives `my_shop_db`).

use super::node::{Node, NodeKind};
use crate::spec::{postgres_major, stack_sql_name, Service, Spec};

/// The value under `key` of mapping `n`, if `n` is a mapping that has it.
fn child<'a>(n: &'a Node, key: &str) -> Option<&'a Node> {
    match &n.kind {
        NodeKind::Map(entries) => entries.iter().find_map(|(k, v)| match &k.kind {
            NodeKind::Str(s) | NodeKind::Plain(_, s) if s == key => Some(v),
            _ => None,
        }),
        _ => None,
    }
}

/// Fills the derived defaults of `spec`, read from `tree`.
pub(super) fn derive(spec: &mut Spec, tree: &Node) {
    let stack = spec.stack.name.as_str().to_owned();
    let services = child(tree, "services");
    for (name, svc) in spec.services.iter_mut() {
        let Service::Postgres(pg) = svc else { continue };
        let node = services.and_then(|s| child(s, name.as_str()));
        let written = |key: &str| node.and_then(|n| child(n, key)).is_some();
        if !written("version") {
            if let Some(major) = postgres_major(&pg.image) {
                pg.version = major;
            }
        }
        if !written("database") {
            pg.database = stack_sql_name(&stack, "db");
        }
        if !written("user") {
            pg.user = stack_sql_name(&stack, "user");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::load::{from_json_value, load_str, Format};
    use crate::spec::Service;

    fn pg(text: &str) -> (u32, String, String) {
        let spec = load_str(text, Format::Yaml, "t.yaml").unwrap().spec;
        let Some(Service::Postgres(p)) = spec.services.values().next() else {
            panic!("no postgres")
        };
        (p.version, p.database.to_string(), p.user.to_string())
    }

    #[test]
    fn defaults_come_from_the_stack_and_the_image() {
        let spec = |stack: &str, db: &str| {
            format!("stack: {{ name: {stack} }}\nservices:\n  db: {{ kind: postgres, {db} }}\n")
        };
        assert_eq!(
            pg(&spec("mini", "image: \"postgres:16.4-alpine\"")),
            (16, "mini_db".into(), "mini_user".into())
        );
        assert_eq!(
            pg(&spec("banatie", "networks: []")),
            (15, "banatie_db".into(), "banatie_user".into())
        );
        assert_eq!(
            pg(&spec("my-shop", "image: \"postgres:latest\"")).0,
            15,
            "a tag without a major keeps the default"
        );
        // What is written stays, even where it disagrees (BI506 reports that).
        assert_eq!(
            pg(&spec(
                "mini",
                "image: \"postgres:16\", version: 15, database: d, user: u"
            )),
            (15, "d".into(), "u".into())
        );
        // The same from a JSON value (Python's entry point).
        let v = serde_json::json!({
            "stack": { "name": "shop" },
            "services": { "db": { "kind": "postgres", "image": "postgres:17-bookworm" } }
        });
        let spec = from_json_value(&v).unwrap();
        let Some(Service::Postgres(p)) = spec.services.values().next() else {
            panic!()
        };
        assert_eq!((p.version, p.database.as_str()), (17, "shop_db"));
    }
}
