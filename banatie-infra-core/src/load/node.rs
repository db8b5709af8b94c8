//! The positioned value tree every format is parsed into: each node remembers where it
//! was written, and the pointer -> position index [`super::Source::locate`] reads.
//! (TOML nesting is bounded by toml_edit's own parser limit.)

use std::collections::HashMap;

use crate::diagnostic::{escape_token, Location};

/// Deeper nesting than this is refused (no spec needs it; it guards the stack).
pub(super) const MAX_DEPTH: usize = 64;
/// More nodes than this (after alias expansion) are refused; it guards memory against
/// alias bombs ("billion laughs").
pub(super) const MAX_NODES: usize = 1_000_000;
/// The most bytes the aliases of one YAML document may add to it: for each alias, the
/// text of every scalar it repeats plus the size of each node it copies. More is refused
/// with `BI152` before anything is copied: a few kilobytes of anchors aliased thousands
/// of times ("billion laughs", or one long string aliased 3,000 times) would otherwise
/// take gigabytes. Compose files that share blocks with `<<: *defaults` stay far below.
pub const MAX_ALIAS_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) kind: NodeKind,
    pub(crate) loc: Option<Location>,
    /// A YAML plain scalar (unquoted, untagged, not a block scalar): its text is what a
    /// reader's type resolution sees (the audit's BI315).
    pub(crate) plain: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum NodeKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A string; for a YAML plain scalar that resolved to another type, the raw text is
    /// kept in [`NodeKind::Plain`] instead.
    Str(String),
    /// A YAML plain scalar that resolved to a null, bool or number, with its raw text,
    /// so that a string field given `3000` or `true` reads the text as written.
    Plain(Box<NodeKind>, String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    pub(super) fn new(kind: NodeKind, loc: Option<Location>) -> Self {
        Self {
            kind,
            loc,
            plain: false,
        }
    }

    pub(super) fn from_json(v: &serde_json::Value) -> Self {
        use serde_json::Value;
        let kind = match v {
            Value::Null => NodeKind::Null,
            Value::Bool(b) => NodeKind::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => NodeKind::Int(i),
                None => NodeKind::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => NodeKind::Str(s.clone()),
            Value::Array(a) => NodeKind::Seq(a.iter().map(Self::from_json).collect()),
            Value::Object(o) => NodeKind::Map(
                o.iter()
                    .map(|(k, v)| {
                        (
                            Node::new(NodeKind::Str(k.clone()), None),
                            Self::from_json(v),
                        )
                    })
                    .collect(),
            ),
        };
        Node::new(kind, None)
    }
}

/// Records the position of `node` (or of its key) at `pointer`, then of everything below
/// it. `pointer` is one buffer, extended and cut back per child.
pub(super) fn index_positions(
    node: &Node,
    pointer: &mut String,
    key_loc: Option<Location>,
    out: &mut HashMap<String, Location>,
) {
    use std::fmt::Write as _;
    if let Some(l) = key_loc.or(node.loc) {
        out.insert(pointer.clone(), l);
    }
    let len = pointer.len();
    match &node.kind {
        NodeKind::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let _ = write!(pointer, "/{i}");
                index_positions(item, pointer, None, out);
                pointer.truncate(len);
            }
        }
        NodeKind::Map(entries) => {
            for (k, v) in entries {
                let key = scalar_text(k).unwrap_or_default();
                pointer.push('/');
                pointer.push_str(&escape_token(&key));
                index_positions(v, pointer, k.loc, out);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

pub(super) fn scalar_text(n: &Node) -> Option<String> {
    match &n.kind {
        NodeKind::Str(s) => Some(s.clone()),
        NodeKind::Plain(_, raw) => Some(raw.clone()),
        NodeKind::Bool(b) => Some(b.to_string()),
        NodeKind::Int(i) => Some(i.to_string()),
        NodeKind::Float(f) => Some(f.to_string()),
        NodeKind::Null => Some(String::new()),
        _ => None,
    }
}

/// The memory a node takes, roughly: its own size and its scalar text, recursively.
pub(super) fn node_bytes(n: &Node) -> usize {
    std::mem::size_of::<Node>()
        + match &n.kind {
            NodeKind::Str(s) => s.len(),
            NodeKind::Plain(_, raw) => raw.len(),
            NodeKind::Seq(items) => items.iter().map(node_bytes).sum(),
            NodeKind::Map(entries) => entries
                .iter()
                .map(|(k, v)| node_bytes(k) + node_bytes(v))
                .sum(),
            _ => 0,
        }
}

pub(super) fn count_nodes(n: &Node) -> usize {
    1 + match &n.kind {
        NodeKind::Seq(items) => items.iter().map(count_nodes).sum(),
        NodeKind::Map(entries) => entries
            .iter()
            .map(|(k, v)| count_nodes(k) + count_nodes(v))
            .sum(),
        _ => 0,
    }
}

/// Maps byte offsets to 1-based line and column (in characters).
pub(crate) struct LineIndex<'a> {
    pub(super) text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { text, starts }
    }

    pub(crate) fn location(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        Location { line, column }
    }
}
