//! TOML into the positioned tree, through `toml_edit`'s spans.

use super::node::{LineIndex, Node, NodeKind};
use super::{syntax, LoadError};

pub(super) fn parse_toml(text: &str, name: &str) -> Result<Node, LoadError> {
    let lines = LineIndex::new(text);
    let doc = text.parse::<toml_edit::Document<String>>().map_err(|e| {
        let loc = e.span().map(|s| lines.location(s.start));
        syntax(name, loc, format!("invalid TOML: {}", e.message()))
    })?;
    Ok(toml_table(doc.as_table(), &lines))
}

pub(super) fn toml_table(t: &toml_edit::Table, lines: &LineIndex) -> Node {
    let entries = t
        .iter()
        .filter_map(|(k, item)| {
            let key_loc = t
                .key(k)
                .and_then(toml_edit::Key::span)
                .map(|s| lines.location(s.start));
            let v = toml_item(item, lines)?;
            Some((Node::new(NodeKind::Str(k.to_owned()), key_loc), v))
        })
        .collect();
    Node::new(
        NodeKind::Map(entries),
        t.span().map(|s| lines.location(s.start)),
    )
}

pub(super) fn toml_item(item: &toml_edit::Item, lines: &LineIndex) -> Option<Node> {
    use toml_edit::Item;
    Some(match item {
        Item::None => return None,
        Item::Value(v) => toml_value(v, lines),
        Item::Table(t) => toml_table(t, lines),
        Item::ArrayOfTables(a) => Node::new(
            NodeKind::Seq(a.iter().map(|t| toml_table(t, lines)).collect()),
            a.span().map(|s| lines.location(s.start)),
        ),
    })
}

pub(super) fn toml_value(v: &toml_edit::Value, lines: &LineIndex) -> Node {
    use toml_edit::Value;
    let loc = v.span().map(|s| lines.location(s.start));
    // A parsed document's values are spans of the source text.
    let written = |v: &Value| {
        v.span()
            .and_then(|s| lines.text.get(s))
            .map(|t| t.trim().to_owned())
    };
    let kind = match v {
        Value::String(s) => NodeKind::Str(s.value().clone()),
        // The number, and the text as written: a string field gets what the user wrote
        // (`1.10`, `0o755`, `1_000`, `1e3`), not the number's own rendering (`1.1`,
        // `493`, `1000`), as a YAML plain scalar does.
        Value::Integer(i) => NodeKind::Plain(
            Box::new(NodeKind::Int(*i.value())),
            written(v).unwrap_or_else(|| i.value().to_string()),
        ),
        Value::Float(f) => NodeKind::Plain(
            Box::new(NodeKind::Float(*f.value())),
            written(v).unwrap_or_else(|| f.value().to_string()),
        ),
        Value::Boolean(b) => NodeKind::Bool(*b.value()),
        Value::Datetime(d) => NodeKind::Str(d.value().to_string()),
        Value::Array(a) => NodeKind::Seq(a.iter().map(|v| toml_value(v, lines)).collect()),
        Value::InlineTable(t) => NodeKind::Map(
            t.iter()
                .map(|(k, v)| {
                    let key_loc = t
                        .key(k)
                        .and_then(toml_edit::Key::span)
                        .map(|s| lines.location(s.start));
                    (
                        Node::new(NodeKind::Str(k.to_owned()), key_loc),
                        toml_value(v, lines),
                    )
                })
                .collect(),
        ),
    };
    Node::new(kind, loc)
}
