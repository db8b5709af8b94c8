//! The positioned YAML tree of a Compose file: the loader's [`crate::load`] tree, with
//! the file each node came from (a Compose project may merge an override file into the
//! base file) and plain scalars kept as written.

use crate::diagnostic::Location;
use crate::load::{Node, NodeKind};

/// Index of a file in the audit's list of files.
pub(crate) type FileId = usize;

/// A mapping key with its position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Key {
    /// The key text.
    pub(crate) text: String,
    /// Where the key is written.
    pub(crate) loc: Option<Location>,
    /// The file it is in.
    pub(crate) file: FileId,
}

/// A value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// `null`, `~` or nothing.
    Null,
    /// `true` or `false` (plain).
    Bool(bool),
    /// Any other scalar, as text (plain numbers as written).
    Str(String),
    /// A sequence.
    Seq(Vec<Y>),
    /// A mapping, in file order.
    Map(Vec<(Key, Y)>),
}

/// A node: a value with the position and file it was written in.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Y {
    /// The value.
    pub(crate) kind: Kind,
    /// Where it starts (for a block scalar, the `|` or `>` indicator).
    pub(crate) loc: Option<Location>,
    /// The file it is in.
    pub(crate) file: FileId,
    /// For a YAML plain scalar (unquoted, untagged, not a block scalar), the text as
    /// written (before interpolation): what a reader's type resolution sees.
    pub(crate) plain: Option<String>,
}

impl Y {
    /// Converts the loader's tree of `file`.
    pub(crate) fn from_node(n: &Node, file: FileId) -> Y {
        let kind = match &n.kind {
            NodeKind::Null => Kind::Null,
            NodeKind::Bool(b) => Kind::Bool(*b),
            NodeKind::Int(i) => Kind::Str(i.to_string()),
            NodeKind::Float(f) => Kind::Str(f.to_string()),
            NodeKind::Str(s) => Kind::Str(s.clone()),
            NodeKind::Plain(inner, raw) => match **inner {
                NodeKind::Null => Kind::Null,
                NodeKind::Bool(b) => Kind::Bool(b),
                _ => Kind::Str(raw.clone()),
            },
            NodeKind::Seq(items) => {
                Kind::Seq(items.iter().map(|i| Y::from_node(i, file)).collect())
            }
            NodeKind::Map(entries) => Kind::Map(
                entries
                    .iter()
                    .map(|(k, v)| {
                        let text = match &k.kind {
                            NodeKind::Str(s) | NodeKind::Plain(_, s) => s.clone(),
                            NodeKind::Int(i) => i.to_string(),
                            NodeKind::Bool(b) => b.to_string(),
                            NodeKind::Float(f) => f.to_string(),
                            _ => String::new(),
                        };
                        (
                            Key {
                                text,
                                loc: k.loc,
                                file,
                            },
                            Y::from_node(v, file),
                        )
                    })
                    .collect(),
            ),
        };
        let plain = match &n.kind {
            NodeKind::Str(s) | NodeKind::Plain(_, s) if n.plain => Some(s.clone()),
            _ => None,
        };
        Y {
            kind,
            loc: n.loc,
            file,
            plain,
        }
    }

    /// The value of key `k`, if this is a mapping that has it.
    pub(crate) fn get(&self, k: &str) -> Option<&Y> {
        self.entry(k).map(|(_, v)| v)
    }

    /// The entry of key `k`, if this is a mapping that has it.
    pub(crate) fn entry(&self, k: &str) -> Option<(&Key, &Y)> {
        match &self.kind {
            Kind::Map(entries) => entries
                .iter()
                .find(|(key, _)| key.text == k)
                .map(|(a, b)| (a, b)),
            _ => None,
        }
    }

    /// The entries, if this is a mapping.
    pub(crate) fn entries(&self) -> &[(Key, Y)] {
        match &self.kind {
            Kind::Map(entries) => entries,
            _ => &[],
        }
    }

    /// The items, if this is a sequence.
    pub(crate) fn items(&self) -> &[Y] {
        match &self.kind {
            Kind::Seq(items) => items,
            _ => &[],
        }
    }

    /// The scalar as text: strings as they are, booleans as `true`/`false`, null as
    /// `None`; `None` for collections.
    pub(crate) fn text(&self) -> Option<String> {
        match &self.kind {
            Kind::Str(s) => Some(s.clone()),
            Kind::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Merges `over` (an override file's node) into `self`, the way Compose merges files:
    /// mappings key by key; the sequences named in `APPENDED` are appended (without
    /// duplicates); everything else is replaced.
    pub(crate) fn merge(&mut self, over: &Y, key: &str) {
        const APPENDED: &[&str] = &[
            "ports",
            "volumes",
            "env_file",
            "expose",
            "dns",
            "dns_search",
            "extra_hosts",
            "cap_add",
            "cap_drop",
            "devices",
            "secrets",
            "configs",
            "networks",
            "depends_on",
            "external_links",
            "links",
            "security_opt",
            "tmpfs",
            "environment",
            "labels",
        ];
        match (&mut self.kind, &over.kind) {
            (Kind::Map(mine), Kind::Map(theirs)) => {
                for (k, v) in theirs {
                    match mine.iter_mut().find(|(mk, _)| mk.text == k.text) {
                        Some((_, mv)) => mv.merge(v, &k.text),
                        None => mine.push((k.clone(), v.clone())),
                    }
                }
            }
            (Kind::Seq(mine), Kind::Seq(theirs)) if APPENDED.contains(&key) => {
                for v in theirs {
                    if !mine.iter().any(|m| m.kind == v.kind) {
                        mine.push(v.clone());
                    }
                }
            }
            _ => *self = over.clone(),
        }
    }
}
