//! Loading a spec from YAML, TOML or JSON with source positions.
//!
//! The text is first parsed into a tree of nodes that remember where they were written
//! (YAML and JSON through `yaml-rust2`'s event parser, TOML through `toml_edit`'s spans);
//! the spec types are then deserialized from that tree by a serde deserializer that knows
//! the JSON pointer and position of every value. So every error (syntax, unknown key,
//! wrong type, invalid value, missing key) comes with `file:line:column`, and an unknown
//! key with the closest valid key.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use crate::diagnostic::{escape_token, Code, Diagnostic, Location, Span};
use crate::spec::Spec;

/// The input formats, chosen by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `.yaml` or `.yml` (YAML 1.2 core schema).
    Yaml,
    /// `.toml` (TOML 1.0).
    Toml,
    /// `.json`.
    Json,
}

impl Format {
    /// The format for a path's extension: `.yaml`/`.yml`, `.toml`, `.json`; `None` otherwise.
    ///
    /// ```
    /// use banatie_infra_core::load::Format;
    /// assert_eq!(Format::from_path("examples/banatie.yml".as_ref()), Some(Format::Yaml));
    /// assert_eq!(Format::from_path("spec.txt".as_ref()), None);
    /// ```
    pub fn from_path(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()? {
            "yaml" | "yml" => Some(Self::Yaml),
            "toml" => Some(Self::Toml),
            "json" => Some(Self::Json),
            _ => None,
        }
    }

    /// Parses a format name: `yaml`, `yml`, `toml` or `json`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "yaml" | "yml" => Some(Self::Yaml),
            "toml" => Some(Self::Toml),
            "json" => Some(Self::Json),
            _ => None,
        }
    }
}

/// Why a spec could not be loaded. Every variant but [`LoadError::Io`] and
/// [`LoadError::UnknownFormat`] converts to a [`Diagnostic`] with a position.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path as given.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file extension names no supported format.
    #[error("cannot tell the format of {path}: use a .yaml, .yml, .toml or .json extension")]
    UnknownFormat {
        /// The path as given.
        path: String,
    },
    /// The path is not a regular file, or the file is larger than the input size limit
    /// (`BI150`, `BI151`; see [`crate::input`]).
    #[error("{0}")]
    Input(crate::input::InputError),
    /// The text is not valid YAML, TOML or JSON, or does not match the spec's types.
    /// Holds one diagnostic with code `BI100` (syntax), `BI101` (unknown key), `BI102`
    /// (wrong type or invalid value), `BI103` (missing key) or `BI104` (duplicate key).
    #[error("{}", .0.message)]
    Invalid(Box<Diagnostic>),
}

impl LoadError {
    /// The diagnostic of an [`LoadError::Invalid`] error; for I/O and format errors, a
    /// `BI100` diagnostic naming the file without a position.
    pub fn to_diagnostic(&self) -> Diagnostic {
        match self {
            Self::Invalid(d) => (**d).clone(),
            Self::Input(e) => e.to_diagnostic(),
            Self::Io { path, .. } | Self::UnknownFormat { path } => {
                let mut d = Diagnostic::error(CODE_SYNTAX, "", self.to_string());
                d.span = Some(Span {
                    file: path.clone(),
                    location: None,
                });
                d
            }
        }
    }
}

/// `BI100`: the text is not valid YAML, TOML or JSON.
pub const CODE_SYNTAX: Code = Code("BI100");
/// `BI101`: a key the spec does not have.
pub const CODE_UNKNOWN_KEY: Code = Code("BI101");
/// `BI102`: a value of the wrong type, or one its type's rule rejects.
pub const CODE_BAD_VALUE: Code = Code("BI102");
/// `BI103`: a required key is missing.
pub const CODE_MISSING_KEY: Code = Code("BI103");
/// `BI104`: a key written twice in one mapping.
pub const CODE_DUPLICATE_KEY: Code = Code("BI104");
/// `BI109`: a string (value or key) holds a NUL character, which no file the tool writes
/// can carry: a process's environment and argv are C strings (execve(2)), PostgreSQL
/// refuses it in text, and MinIO in object names.
pub const CODE_NUL: Code = Code("BI109");

/// A loaded spec with the source it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The spec.
    pub spec: Spec,
    /// The text and positions it was loaded from.
    pub source: Source,
}

/// The text a spec was loaded from, and where each value of it was written.
#[derive(Debug, Clone)]
pub struct Source {
    /// The file name as the user gave it (or `<input>`).
    pub name: String,
    /// The full text.
    pub text: String,
    /// The format it was parsed as.
    pub format: Format,
    /// The positioned tree the spec was read from, kept so that positions can be looked
    /// up when a diagnostic needs one.
    tree: Node,
    /// Pointer -> position of every written value, built from `tree` on the first
    /// [`Source::locate`]: a spec without diagnostics never pays for it (at 10,000
    /// services it is ~150,000 pointer strings).
    positions: OnceLock<HashMap<String, Location>>,
}

impl Source {
    /// The position of the value at `pointer` (for a mapping entry, its key). When the
    /// value was not written (a default), the nearest written ancestor's position.
    pub fn locate(&self, pointer: &str) -> Option<Location> {
        let positions = self.positions.get_or_init(|| {
            let mut out = HashMap::new();
            index_positions(&self.tree, &mut String::new(), None, &mut out);
            out
        });
        let mut p = pointer;
        loop {
            if let Some(l) = positions.get(p) {
                return Some(*l);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }

    /// Fills the span of each diagnostic that has none from its pointer.
    pub fn annotate(&self, diags: &mut [Diagnostic]) {
        for d in diags {
            if d.span.is_none() {
                d.span = Some(Span {
                    file: self.name.clone(),
                    location: self.locate(&d.pointer),
                });
            }
        }
    }
}

/// Reads and loads the spec at `path`; the format comes from the extension.
///
/// The file is read through [`crate::input::read_input`] with the process's limit.
///
/// Errors: [`LoadError::Io`] when the file cannot be read (or is not UTF-8, reported as
/// [`LoadError::Invalid`] `BI100` at the first bad byte's line), [`LoadError::Input`]
/// when it is not a regular file or too large, [`LoadError::UnknownFormat`]
/// for another extension, [`LoadError::Invalid`] for anything the spec rejects.
pub fn load_path(path: &Path) -> Result<Loaded, LoadError> {
    let name = path.display().to_string();
    // Read first: a path that is not a regular file (`/dev/zero`) is refused as such,
    // whatever its name.
    let bytes = match crate::input::read_input(path, crate::input::max_input_size()) {
        Ok(b) => b,
        Err(crate::input::InputError::Io { source, .. }) => {
            return Err(LoadError::Io {
                path: name.clone(),
                source,
            })
        }
        Err(e) => return Err(LoadError::Input(e)),
    };
    let format =
        Format::from_path(path).ok_or_else(|| LoadError::UnknownFormat { path: name.clone() })?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
            let column = String::from_utf8_lossy(good)
                .rsplit('\n')
                .next()
                .map_or(0, |l| l.chars().count())
                + 1;
            return Err(invalid_at(
                CODE_SYNTAX,
                &name,
                "",
                Some(Location { line, column }),
                format!(
                    "the file is not UTF-8 text (invalid byte at offset {})",
                    good.len()
                ),
                Some("save the file as UTF-8".into()),
            ));
        }
    };
    load_str(&text, format, &name)
}

/// Loads a spec from `text` in `format`; `name` is used in positions (for example the
/// file name, or `<input>`).
///
/// ```
/// use banatie_infra_core::load::{load_str, Format};
/// let text = "stack: {name: demo}\nservices: {}\n";
/// let loaded = load_str(text, Format::Yaml, "demo.yaml").unwrap();
/// assert_eq!(loaded.spec.stack.name.as_str(), "demo");
///
/// let err = load_str("stack: {nmae: demo}\nservices: {}\n", Format::Yaml, "demo.yaml")
///     .unwrap_err()
///     .to_diagnostic();
/// assert_eq!(err.code.0, "BI101");
/// assert_eq!(err.help.as_deref(), Some("did you mean `name`?"));
/// ```
pub fn load_str(text: &str, format: Format, name: &str) -> Result<Loaded, LoadError> {
    let node = parse_tree(text, format, name)?;
    let spec = from_node(&node, name)?;
    Ok(Loaded {
        spec,
        source: Source {
            name: name.to_owned(),
            text: text.to_owned(),
            format,
            tree: node,
            positions: OnceLock::new(),
        },
    })
}

/// Builds a spec from a JSON value (for example one made by another program). Errors carry
/// JSON pointers but no positions.
pub fn from_json_value(value: &serde_json::Value) -> Result<Spec, LoadError> {
    let node = Node::from_json(value);
    from_node(&node, "<value>")
}

fn from_node(node: &Node, name: &str) -> Result<Spec, LoadError> {
    let de = NodeDe {
        node,
        pointer: String::new(),
    };
    serde::Deserialize::deserialize(de).map_err(|e: DeError| {
        let code = e.code;
        invalid_at(
            code,
            name,
            &e.pointer.unwrap_or_default(),
            e.location,
            e.message,
            e.help,
        )
    })
}

fn invalid_at(
    code: Code,
    file: &str,
    pointer: &str,
    location: Option<Location>,
    message: String,
    help: Option<String>,
) -> LoadError {
    let mut d = Diagnostic::error(code, pointer, message);
    d.help = help;
    d.span = Some(Span {
        file: file.to_owned(),
        location,
    });
    LoadError::Invalid(Box::new(d))
}

// ---------------------------------------------------------------------------------------
// The positioned tree. (TOML nesting is bounded by toml_edit's own parser limit.)

/// Deeper nesting than this is refused (no spec needs it; it guards the stack).
const MAX_DEPTH: usize = 64;
/// More nodes than this (after alias expansion) are refused; it guards memory against
/// alias bombs ("billion laughs").
const MAX_NODES: usize = 1_000_000;
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
    fn new(kind: NodeKind, loc: Option<Location>) -> Self {
        Self {
            kind,
            loc,
            plain: false,
        }
    }

    fn from_json(v: &serde_json::Value) -> Self {
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
fn index_positions(
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

fn scalar_text(n: &Node) -> Option<String> {
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

pub(crate) fn parse_tree(text: &str, format: Format, name: &str) -> Result<Node, LoadError> {
    // A UTF-8 byte order mark (editors on Windows write one) is not content: Compose and
    // most YAML, JSON and TOML readers skip it. (Columns on line 1 then count from after
    // it.)
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    check_flat_size(text, format, name)?;
    match format {
        Format::Yaml => parse_yaml(text, name),
        Format::Json => {
            // JSON is read through the YAML parser for positions, but YAML accepts more
            // than JSON: check strict JSON syntax first.
            serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(|e| {
                let loc = (e.line() > 0).then(|| Location {
                    line: e.line(),
                    column: e.column().max(1),
                });
                let msg = e.to_string();
                let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
                syntax(name, loc, format!("invalid JSON: {msg}"))
            })?;
            parse_yaml(text, name)
        }
        Format::Toml => parse_toml(text, name),
    }
}

/// The most `,` a YAML or JSON text may hold: the YAML parser buffers every token of a
/// flow collection that could still be a mapping key (a JSON document is one), ~160
/// bytes a value, so 400,000 values take ~150 MiB before the node bound applies.
const MAX_FLOW_ENTRIES: usize = 400_000;
/// The most values (`,`, `=` and `[`) a TOML text may hold: `toml_edit`'s document keeps
/// ~0.5 KiB a value, so 200,000 take ~140 MiB.
const MAX_TOML_VALUES: usize = 200_000;

/// Refuses (`BI100`) a text with more separators than its parser can hold in bounded
/// memory, before parsing it. The count includes separators inside strings: an upper
/// bound, far above any spec (a 10,000-service YAML spec has ~30,000 commas).
fn check_flat_size(text: &str, format: Format, name: &str) -> Result<(), LoadError> {
    let (count, max, what) = match format {
        Format::Yaml | Format::Json => (
            memchr_count(text.as_bytes(), b','),
            MAX_FLOW_ENTRIES,
            "`,`-separated values",
        ),
        Format::Toml => (
            text.bytes()
                .filter(|b| matches!(b, b',' | b'=' | b'['))
                .count(),
            MAX_TOML_VALUES,
            "values",
        ),
    };
    if count > max {
        return Err(syntax(
            name,
            None,
            format!("more than {max} {what}: no spec needs this many (refused before parsing, to bound memory)"),
        ));
    }
    Ok(())
}

fn memchr_count(bytes: &[u8], b: u8) -> usize {
    bytes.iter().filter(|&&x| x == b).count()
}

fn syntax(name: &str, loc: Option<Location>, msg: impl Into<String>) -> LoadError {
    invalid_at(CODE_SYNTAX, name, "", loc, msg.into(), None)
}

struct YamlBuilder<'a> {
    name: &'a str,
    /// Anchor id -> (node, its node count, its size in bytes as [`node_bytes`] counts).
    anchors: HashMap<usize, (Node, usize, usize)>,
    nodes: usize,
    /// Bytes added by aliases so far (bounded by [`MAX_ALIAS_BYTES`]).
    alias_bytes: usize,
}

impl YamlBuilder<'_> {
    fn anchor(&mut self, anchor: usize, n: &Node) {
        if anchor > 0 {
            self.anchors
                .insert(anchor, (n.clone(), count_nodes(n), node_bytes(n)));
        }
    }
}

/// The memory a node takes, roughly: its own size and its scalar text, recursively.
fn node_bytes(n: &Node) -> usize {
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

fn parse_yaml(text: &str, name: &str) -> Result<Node, LoadError> {
    use yaml_rust2::parser::{Event, Parser};
    let mut parser = Parser::new_from_str(text);
    let mut b = YamlBuilder {
        name,
        anchors: HashMap::new(),
        nodes: 0,
        alias_bytes: 0,
    };
    let mut doc: Option<Node> = None;
    loop {
        let (ev, mark) = parser.next_token().map_err(|e| {
            let m = e.marker();
            syntax(
                name,
                Some(Location {
                    line: m.line(),
                    column: m.col() + 1,
                }),
                format!("invalid YAML: {}", e.info()),
            )
        })?;
        match ev {
            Event::StreamEnd => break,
            Event::StreamStart | Event::DocumentEnd => {}
            Event::DocumentStart => {
                if doc.is_some() {
                    return Err(syntax(
                        name,
                        Some(Location {
                            line: mark.line(),
                            column: mark.col() + 1,
                        }),
                        "a spec file holds one YAML document, this is a second one",
                    ));
                }
                let root = b.node(&mut parser, 0)?;
                doc = Some(root);
            }
            _ => {}
        }
    }
    Ok(doc.unwrap_or(Node::new(
        NodeKind::Null,
        Some(Location { line: 1, column: 1 }),
    )))
}

impl YamlBuilder<'_> {
    fn node(
        &mut self,
        parser: &mut yaml_rust2::parser::Parser<std::str::Chars<'_>>,
        depth: usize,
    ) -> Result<Node, LoadError> {
        use yaml_rust2::parser::Event;
        let (ev, mark) = parser.next_token().map_err(|e| {
            let m = e.marker();
            syntax(
                self.name,
                Some(Location {
                    line: m.line(),
                    column: m.col() + 1,
                }),
                format!("invalid YAML: {}", e.info()),
            )
        })?;
        let loc = Some(Location {
            line: mark.line(),
            column: mark.col() + 1,
        });
        if depth > MAX_DEPTH {
            return Err(syntax(
                self.name,
                loc,
                format!("nesting deeper than {MAX_DEPTH} levels"),
            ));
        }
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(syntax(
                self.name,
                loc,
                format!("more than {MAX_NODES} values (after expanding aliases)"),
            ));
        }
        let node = match ev {
            Event::Scalar(value, style, anchor, tag) => {
                let plain = style == yaml_rust2::scanner::TScalarStyle::Plain && tag.is_none();
                let mut n = Node::new(resolve_scalar(value, style, tag.as_ref()), loc);
                n.plain = plain;
                self.anchor(anchor, &n);
                n
            }
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    if let Ok((Event::SequenceEnd, _)) = parser.peek() {
                        parser.next_token().ok();
                        break;
                    }
                    items.push(self.node(parser, depth + 1)?);
                }
                let n = Node::new(NodeKind::Seq(items), loc);
                self.anchor(anchor, &n);
                n
            }
            Event::MappingStart(anchor, _) => {
                let mut entries: Vec<(Node, Node)> = Vec::new();
                let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
                loop {
                    if let Ok((Event::MappingEnd, _)) = parser.peek() {
                        parser.next_token().ok();
                        break;
                    }
                    let k = self.node(parser, depth + 1)?;
                    let v = self.node(parser, depth + 1)?;
                    let key = scalar_text(&k).ok_or_else(|| {
                        syntax(self.name, k.loc, "mapping keys must be plain strings")
                    })?;
                    if !seen.insert(key.clone()) {
                        return Err(invalid_at(
                            CODE_DUPLICATE_KEY,
                            self.name,
                            "",
                            k.loc,
                            format!("the key `{key}` is written twice in this mapping"),
                            Some("keep one; YAML keys are unique and the second would silently win elsewhere".into()),
                        ));
                    }
                    entries.push((k, v));
                }
                let n = Node::new(NodeKind::Map(entries), loc);
                self.anchor(anchor, &n);
                n
            }
            Event::Alias(id) => {
                let (n, count, bytes) = self
                    .anchors
                    .get(&id)
                    .ok_or_else(|| syntax(self.name, loc, "alias to an unknown anchor"))?;
                self.nodes += count;
                if self.nodes > MAX_NODES {
                    return Err(syntax(
                        self.name,
                        loc,
                        format!("more than {MAX_NODES} values (after expanding aliases)"),
                    ));
                }
                self.alias_bytes += bytes;
                if self.alias_bytes > MAX_ALIAS_BYTES {
                    return Err(invalid_at(
                        crate::input::CODE_ALIAS_EXPANSION,
                        self.name,
                        "",
                        loc,
                        format!(
                            "the aliases expand to more than {} MiB (an alias bomb)",
                            MAX_ALIAS_BYTES >> 20
                        ),
                        Some(
                            "write the repeated values out, or alias smaller anchors fewer times"
                                .into(),
                        ),
                    ));
                }
                Node { loc, ..n.clone() }
            }
            other => {
                return Err(syntax(
                    self.name,
                    loc,
                    format!("unexpected YAML event {other:?}"),
                ));
            }
        };
        Ok(node)
    }
}

fn count_nodes(n: &Node) -> usize {
    1 + match &n.kind {
        NodeKind::Seq(items) => items.iter().map(count_nodes).sum(),
        NodeKind::Map(entries) => entries
            .iter()
            .map(|(k, v)| count_nodes(k) + count_nodes(v))
            .sum(),
        _ => 0,
    }
}

/// Resolves a scalar with the YAML 1.2 core schema: plain `null`/`~`/empty, booleans,
/// integers (decimal, `0o`, `0x`) and floats get their types; quoted and block scalars and
/// `!!str` are strings.
fn resolve_scalar(
    value: String,
    style: yaml_rust2::scanner::TScalarStyle,
    tag: Option<&yaml_rust2::parser::Tag>,
) -> NodeKind {
    use yaml_rust2::scanner::TScalarStyle;
    if let Some(t) = tag {
        if t.suffix == "str" || t.suffix.ends_with(":str") {
            return NodeKind::Str(value);
        }
    }
    if style != TScalarStyle::Plain {
        return NodeKind::Str(value);
    }
    let typed = match value.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => Some(NodeKind::Null),
        "true" | "True" | "TRUE" => Some(NodeKind::Bool(true)),
        "false" | "False" | "FALSE" => Some(NodeKind::Bool(false)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            Some(NodeKind::Float(f64::INFINITY))
        }
        "-.inf" | "-.Inf" | "-.INF" => Some(NodeKind::Float(f64::NEG_INFINITY)),
        ".nan" | ".NaN" | ".NAN" => Some(NodeKind::Float(f64::NAN)),
        v => parse_yaml_number(v),
    };
    match typed {
        Some(k) => NodeKind::Plain(Box::new(k), value),
        None => NodeKind::Str(value),
    }
}

fn parse_yaml_number(v: &str) -> Option<NodeKind> {
    if let Some(h) = v.strip_prefix("0x") {
        return i64::from_str_radix(h, 16).ok().map(NodeKind::Int);
    }
    if let Some(o) = v.strip_prefix("0o") {
        return i64::from_str_radix(o, 8).ok().map(NodeKind::Int);
    }
    let body = v.strip_prefix(['-', '+']).unwrap_or(v);
    if !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit()) {
        return v.parse::<i64>().ok().map(NodeKind::Int);
    }
    let is_float = !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && body.bytes().any(|b| b.is_ascii_digit())
        && body
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit() || b == b'.');
    if is_float {
        return v.parse::<f64>().ok().map(NodeKind::Float);
    }
    None
}

fn parse_toml(text: &str, name: &str) -> Result<Node, LoadError> {
    let lines = LineIndex::new(text);
    let doc = text.parse::<toml_edit::Document<String>>().map_err(|e| {
        let loc = e.span().map(|s| lines.location(s.start));
        syntax(name, loc, format!("invalid TOML: {}", e.message()))
    })?;
    Ok(toml_table(doc.as_table(), &lines))
}

fn toml_table(t: &toml_edit::Table, lines: &LineIndex) -> Node {
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

fn toml_item(item: &toml_edit::Item, lines: &LineIndex) -> Option<Node> {
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

fn toml_value(v: &toml_edit::Value, lines: &LineIndex) -> Node {
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

/// Maps byte offsets to 1-based line and column (in characters).
pub(crate) struct LineIndex<'a> {
    text: &'a str,
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

// ---------------------------------------------------------------------------------------
// The deserializer over the tree.

/// The error of [`NodeDe`]: a message with the pointer and position of the value that
/// caused it (the innermost one wins).
#[derive(Debug)]
pub(crate) struct DeError {
    code: Code,
    message: String,
    help: Option<String>,
    pointer: Option<String>,
    location: Option<Location>,
}

impl DeError {
    fn new(code: Code, message: String) -> Self {
        Self {
            code,
            message,
            help: None,
            pointer: None,
            location: None,
        }
    }

    fn at(mut self, loc: Option<Location>, pointer: &str) -> Self {
        if self.pointer.is_none() {
            self.pointer = Some(pointer.to_owned());
            self.location = loc;
        }
        self
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self::new(CODE_BAD_VALUE, msg.to_string())
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        let mut e = Self::new(CODE_UNKNOWN_KEY, format!("unknown key `{field}`"));
        e.help = Some(match closest(field, expected) {
            Some(best) => format!("did you mean `{best}`?"),
            None if expected.is_empty() => "this mapping takes no keys".into(),
            None => format!("valid keys here: {}", expected.join(", ")),
        });
        e
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let mut e = Self::new(CODE_BAD_VALUE, format!("unknown value `{variant}`"));
        e.help = Some(match closest(variant, expected) {
            Some(best) => format!("did you mean `{best}`? (one of: {})", expected.join(", ")),
            None => format!("expected one of: {}", expected.join(", ")),
        });
        e
    }

    fn missing_field(field: &'static str) -> Self {
        let mut e = Self::new(CODE_MISSING_KEY, format!("missing required key `{field}`"));
        e.help = Some(format!("add `{field}` here"));
        e
    }

    fn invalid_type(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Self::new(CODE_BAD_VALUE, format!("expected {exp}, found {unexp}"))
    }
}

/// The closest of `candidates` to `word` by Jaro-Winkler similarity, if close enough.
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .filter(|(s, _)| *s >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// BI109: every string the spec is read from is NUL-free, whatever its field.
fn no_nul(s: &str) -> Result<(), DeError> {
    match s.find('\0') {
        None => Ok(()),
        Some(at) => {
            let mut e = DeError::new(
                CODE_NUL,
                format!("this string holds a NUL character (at byte {at})"),
            );
            e.help = Some(
                "remove it: no environment, argument, script or SQL text can carry a NUL".into(),
            );
            Err(e)
        }
    }
}

/// The struct name under which a tagged enum asks for its tag key first; see
/// [`crate::spec::Service`]'s `Deserialize`.
pub(crate) const TAG_FIRST: &str = "$banatie_infra::tag_first";

struct NodeDe<'a> {
    node: &'a Node,
    pointer: String,
}

impl<'a> NodeDe<'a> {
    fn is_null(&self) -> bool {
        match &self.node.kind {
            NodeKind::Null => true,
            NodeKind::Plain(inner, _) => matches!(**inner, NodeKind::Null),
            _ => false,
        }
    }

    fn wrap<T>(&self, r: Result<T, DeError>) -> Result<T, DeError> {
        r.map_err(|e| e.at(self.node.loc, &self.pointer))
    }

    fn unexpected(&self) -> de::Unexpected<'a> {
        match &self.node.kind {
            NodeKind::Null => de::Unexpected::Unit,
            NodeKind::Bool(b) => de::Unexpected::Bool(*b),
            NodeKind::Int(i) => de::Unexpected::Signed(*i),
            NodeKind::Float(f) => de::Unexpected::Float(*f),
            NodeKind::Str(s) => de::Unexpected::Str(s),
            NodeKind::Plain(_, raw) => de::Unexpected::Str(raw),
            NodeKind::Seq(_) => de::Unexpected::Seq,
            NodeKind::Map(_) => de::Unexpected::Map,
        }
    }

    fn visit_kind<V: Visitor<'a>>(&self, kind: &'a NodeKind, v: V) -> Result<V::Value, DeError> {
        match kind {
            NodeKind::Null => v.visit_unit(),
            NodeKind::Bool(b) => v.visit_bool(*b),
            NodeKind::Int(i) => v.visit_i64(*i),
            NodeKind::Float(f) => v.visit_f64(*f),
            NodeKind::Str(s) => no_nul(s).and_then(|()| v.visit_borrowed_str(s)),
            NodeKind::Plain(inner, _) => self.visit_kind(inner, v),
            NodeKind::Seq(items) => v.visit_seq(SeqAccess {
                items: items.iter().enumerate(),
                pointer: &self.pointer,
            }),
            NodeKind::Map(entries) => v.visit_map(MapAccess {
                entries: entries.iter().collect::<Vec<_>>().into_iter(),
                pointer: &self.pointer,
                value: None,
            }),
        }
    }
}

impl<'de> de::Deserializer<'de> for NodeDe<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let r = self.visit_kind(&self.node.kind, v);
        self.wrap(r)
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let r = match &self.node.kind {
            NodeKind::Str(s) => no_nul(s).and_then(|()| v.visit_borrowed_str(s)),
            NodeKind::Plain(_, raw) => no_nul(raw).and_then(|()| v.visit_borrowed_str(raw)),
            NodeKind::Int(i) => v.visit_string(i.to_string()),
            NodeKind::Bool(b) => v.visit_string(b.to_string()),
            NodeKind::Float(f) => v.visit_string(f.to_string()),
            _ => Err(de::Error::invalid_type(self.unexpected(), &v)),
        };
        self.wrap(r)
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let r = match &self.node.kind {
            NodeKind::Null => v.visit_none(),
            NodeKind::Plain(inner, _) if matches!(**inner, NodeKind::Null) => v.visit_none(),
            _ => {
                let node = self.node;
                let pointer = self.pointer.clone();
                v.visit_some(NodeDe { node, pointer })
            }
        };
        self.wrap(r)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        if self.is_null() {
            let r = v.visit_map(MapAccess {
                entries: std::iter::empty(),
                pointer: &self.pointer,
                value: None,
            });
            return self.wrap(r);
        }
        let r = match &self.node.kind {
            NodeKind::Map(entries) => {
                let mut ordered: Vec<&(Node, Node)> = entries.iter().collect();
                if name == TAG_FIRST {
                    // The tag key goes first, wherever it was written.
                    let tag = fields.first().copied().unwrap_or("kind");
                    ordered.sort_by_key(|(k, _)| scalar_text(k).as_deref() != Some(tag));
                }
                v.visit_map(MapAccess {
                    entries: ordered.into_iter(),
                    pointer: &self.pointer,
                    value: None,
                })
            }
            _ => Err(de::Error::invalid_type(self.unexpected(), &v)),
        };
        self.wrap(r)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        let r = match &self.node.kind {
            NodeKind::Str(_) | NodeKind::Plain(..) => {
                let s = scalar_text(self.node).unwrap_or_default();
                v.visit_enum(s.into_deserializer())
            }
            NodeKind::Map(entries) if entries.len() == 1 => v.visit_enum(EnumAccess {
                key: &entries[0].0,
                value: &entries[0].1,
                pointer: &self.pointer,
            }),
            NodeKind::Map(_) => Err(DeError::new(
                CODE_BAD_VALUE,
                "expected a mapping with exactly one key (the variant)".into(),
            )),
            _ => Err(de::Error::invalid_type(self.unexpected(), &v)),
        };
        self.wrap(r)
    }

    /// A key written with no value (`env:`, everything under it commented out) reads as
    /// an empty list or mapping, as Compose reads it.
    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        if self.is_null() {
            let r = v.visit_seq(SeqAccess {
                items: std::iter::empty(),
                pointer: &self.pointer,
            });
            return self.wrap(r);
        }
        self.deserialize_any(v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        if self.is_null() {
            let r = v.visit_map(MapAccess {
                entries: std::iter::empty(),
                pointer: &self.pointer,
                value: None,
            });
            return self.wrap(r);
        }
        self.deserialize_any(v)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf
        unit unit_struct newtype_struct tuple tuple_struct ignored_any
    }
}

struct SeqAccess<'a, I> {
    items: I,
    pointer: &'a str,
}

impl<'de, I: Iterator<Item = (usize, &'de Node)>> de::SeqAccess<'de> for SeqAccess<'_, I> {
    type Error = DeError;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.items.next() {
            Some((i, node)) => {
                let pointer = format!("{}/{i}", self.pointer);
                seed.deserialize(NodeDe {
                    node,
                    pointer: pointer.clone(),
                })
                .map(Some)
                .map_err(|e| e.at(node.loc, &pointer))
            }
            None => Ok(None),
        }
    }
}

struct MapAccess<'a, 'de, I> {
    entries: I,
    pointer: &'a str,
    value: Option<(&'de Node, String)>,
}

impl<'de, I: Iterator<Item = &'de (Node, Node)>> de::MapAccess<'de> for MapAccess<'_, 'de, I> {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.entries.next() {
            Some((k, v)) => {
                let key = scalar_text(k).unwrap_or_default();
                let pointer = format!("{}/{}", self.pointer, escape_token(&key));
                self.value = Some((v, pointer.clone()));
                seed.deserialize(NodeDe {
                    node: k,
                    pointer: pointer.clone(),
                })
                .map(Some)
                .map_err(|e| e.at(k.loc, &pointer))
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let (node, pointer) = self
            .value
            .take()
            .ok_or_else(|| DeError::new(CODE_BAD_VALUE, "value without a key".into()))?;
        seed.deserialize(NodeDe {
            node,
            pointer: pointer.clone(),
        })
        .map_err(|e| e.at(node.loc, &pointer))
    }
}

struct EnumAccess<'a, 'de> {
    key: &'de Node,
    value: &'de Node,
    pointer: &'a str,
}

impl<'de> de::EnumAccess<'de> for EnumAccess<'_, 'de> {
    type Error = DeError;
    type Variant = VariantAccess<'de>;
    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, VariantAccess<'de>), DeError> {
        let key = scalar_text(self.key).unwrap_or_default();
        let pointer = format!("{}/{}", self.pointer, escape_token(&key));
        let v = seed.deserialize(NodeDe {
            node: self.key,
            pointer: pointer.clone(),
        })?;
        Ok((
            v,
            VariantAccess {
                node: self.value,
                pointer,
            },
        ))
    }
}

struct VariantAccess<'de> {
    node: &'de Node,
    pointer: String,
}

impl<'de> de::VariantAccess<'de> for VariantAccess<'de> {
    type Error = DeError;
    fn unit_variant(self) -> Result<(), DeError> {
        Ok(())
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        seed.deserialize(NodeDe {
            node: self.node,
            pointer: self.pointer,
        })
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_seq(
            NodeDe {
                node: self.node,
                pointer: self.pointer,
            },
            v,
        )
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_struct(
            NodeDe {
                node: self.node,
                pointer: self.pointer,
            },
            "",
            fields,
            v,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINI: &str = "stack:\n  name: demo\nservices: {}\n";

    fn err(text: &str, format: Format) -> Diagnostic {
        load_str(text, format, "t").unwrap_err().to_diagnostic()
    }

    #[test]
    fn a_byte_order_mark_is_skipped_in_every_format() {
        for (text, format) in [
            (MINI, Format::Yaml),
            (
                "{\"stack\": {\"name\": \"demo\"}, \"services\": {}}",
                Format::Json,
            ),
            ("services = {}\n[stack]\nname = \"demo\"\n", Format::Toml),
        ] {
            let loaded = load_str(&format!("\u{feff}{text}"), format, "t")
                .unwrap_or_else(|e| panic!("{format:?}: {e}"));
            assert_eq!(loaded.spec.stack.name.to_string(), "demo");
        }
    }

    #[test]
    fn locate_finds_written_values_keys_items_and_nearest_ancestor() {
        let text = "stack:\n  name: demo\nservices:\n  api:\n    kind: app\n    image: \"x:1\"\n    environment:\n      A_B: v\n    networks: [inner, edge]\n";
        let src = match load_str(text, Format::Yaml, "t") {
            Ok(l) => l.source,
            // The spec may be invalid for validation; loading it must work.
            Err(e) => panic!("{:?}", e.to_diagnostic()),
        };
        let at = |line, column| Some(Location { line, column });
        // A mapping entry is located at its key.
        assert_eq!(src.locate("/services/api/image"), at(6, 5));
        assert_eq!(src.locate("/services/api/environment/A_B"), at(8, 7));
        // Sequence items by index.
        assert_eq!(src.locate("/services/api/networks/1"), at(9, 23));
        // A value that was not written (a default): its nearest written ancestor.
        assert_eq!(src.locate("/services/api/health_path"), at(4, 3));
        // Nothing written on the way: the document itself.
        assert_eq!(src.locate("/nothing/here"), src.locate(""));
        // The same answer the second time (the index is built once, on first use).
        assert_eq!(src.locate("/services/api/networks/1"), at(9, 23));
    }

    #[test]
    fn a_toml_number_in_a_string_field_keeps_its_written_text() {
        let text = "[stack]\nname = \"t\"\n[services]\n[env]\nA = 1.10\nB = 0o755\nC = 1_000\nD = 1e3\nE = 0x1F\nF = +7\n";
        let spec = load_str(text, Format::Toml, "t.toml").unwrap().spec;
        let got: Vec<(&str, &str)> = spec
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("A", "1.10"),
                ("B", "0o755"),
                ("C", "1_000"),
                ("D", "1e3"),
                ("E", "0x1F"),
                ("F", "+7")
            ]
        );
    }

    #[test]
    fn loads_each_format() {
        load_str(MINI, Format::Yaml, "t").unwrap();
        load_str("[stack]\nname = \"demo\"\n[services]\n", Format::Toml, "t").unwrap();
        load_str(
            "{\"stack\": {\"name\": \"demo\"}, \"services\": {}}",
            Format::Json,
            "t",
        )
        .unwrap();
        load_str(
            "{\n\t\"stack\": {\"name\": \"demo\"},\n\t\"services\": {}\n}",
            Format::Json,
            "t",
        )
        .unwrap();
    }

    #[test]
    fn unknown_key_has_position_and_suggestion() {
        let d = err(
            "stack:\n  name: demo\n  roots: /x\nservices: {}\n",
            Format::Yaml,
        );
        assert_eq!(d.code, CODE_UNKNOWN_KEY);
        assert_eq!(d.pointer, "/stack/roots");
        assert_eq!(
            d.span.unwrap().location,
            Some(Location { line: 3, column: 3 })
        );
        assert_eq!(d.help.as_deref(), Some("did you mean `root`?"));

        let d = err(
            "[stack]\nname = \"demo\"\nroots = \"/x\"\n[services]\n",
            Format::Toml,
        );
        assert_eq!(d.pointer, "/stack/roots");
        assert_eq!(
            d.span.unwrap().location,
            Some(Location { line: 3, column: 1 })
        );
    }

    #[test]
    fn bad_value_inside_a_service_is_located() {
        let text = "stack: {name: demo}\nservices:\n  db:\n    image: x:1\n    kind: postgres\n    database: Bad-Name\n";
        let d = err(text, Format::Yaml);
        assert_eq!(d.code, CODE_BAD_VALUE, "{d:?}");
        assert_eq!(d.pointer, "/services/db/database");
        assert_eq!(
            d.span.unwrap().location,
            Some(Location {
                line: 6,
                column: 15
            })
        );
    }

    #[test]
    fn unknown_key_in_a_service_suggests() {
        let text = "stack: {name: demo}\nservices:\n  web:\n    kind: app\n    image: web:1\n    prot: 80\n";
        let d = err(text, Format::Yaml);
        assert_eq!(d.pointer, "/services/web/prot");
        assert_eq!(d.help.as_deref(), Some("did you mean `port`?"));
        assert_eq!(
            d.span.unwrap().location,
            Some(Location { line: 6, column: 5 })
        );
    }

    #[test]
    fn missing_kind_and_unknown_kind() {
        let d = err(
            "stack: {name: demo}\nservices:\n  web: {image: x}\n",
            Format::Yaml,
        );
        assert_eq!(d.code, CODE_MISSING_KEY);
        assert_eq!(d.pointer, "/services/web");
        let d = err(
            "stack: {name: demo}\nservices:\n  web: {kind: ap}\n",
            Format::Yaml,
        );
        assert_eq!(d.code, CODE_BAD_VALUE);
        assert!(d.help.unwrap().contains("`app`"));
    }

    #[test]
    fn syntax_errors_are_located() {
        let d = err("stack:\n  name: [demo\n", Format::Yaml);
        assert_eq!(d.code, CODE_SYNTAX);
        assert!(d.span.unwrap().location.is_some());
        let d = err("[stack\n", Format::Toml);
        assert_eq!(d.code, CODE_SYNTAX);
        assert_eq!(d.span.unwrap().location.map(|l| l.line), Some(1));
        let d = err("{\"stack\": }", Format::Json);
        assert_eq!(d.code, CODE_SYNTAX);
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let d = err(
            "stack: {name: demo}\nservices: {}\nstack: {name: x}\n",
            Format::Yaml,
        );
        assert_eq!(d.code, CODE_DUPLICATE_KEY);
        assert_eq!(d.span.unwrap().location.map(|l| l.line), Some(3));
    }

    #[test]
    fn empty_and_alias_bombs() {
        let d = err("", Format::Yaml);
        assert_eq!(d.code, CODE_MISSING_KEY);
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..8 {
            let prev = if i == 0 {
                "a".to_string()
            } else {
                format!("b{}", i - 1)
            };
            bomb.push_str(&format!("b{i}: &b{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let d = err(&bomb, Format::Yaml);
        assert_eq!(d.code, crate::input::CODE_ALIAS_EXPANSION);
        // Few nodes, many bytes: one 100 KB string aliased 200 times (20 MB).
        let long = format!(
            "x: &s \"{}\"\nl: [{}]\n",
            "y".repeat(100_000),
            vec!["*s"; 200].join(",")
        );
        let d = err(&long, Format::Yaml);
        assert_eq!(d.code, crate::input::CODE_ALIAS_EXPANSION, "{}", d.message);
        // Shared blocks well under the bound load.
        let shared = format!(
            "x: &s \"{}\"\nl: [{}]\n",
            "y".repeat(1000),
            vec!["*s"; 100].join(",")
        );
        assert_eq!(err(&shared, Format::Yaml).code, CODE_UNKNOWN_KEY);
        let deep = "[".repeat(500);
        let d = err(&deep, Format::Yaml);
        assert_eq!(d.code, CODE_SYNTAX);
    }

    #[test]
    fn plain_scalars_read_as_written_into_strings() {
        let text =
            "stack: {name: demo}\nservices: {}\nenv:\n  PORT: 3000\n  FLAG: true\n  RATIO: 1.50\n";
        let l = load_str(text, Format::Yaml, "t").unwrap();
        assert_eq!(l.spec.env["PORT"], "3000");
        assert_eq!(l.spec.env["FLAG"], "true");
        assert_eq!(l.spec.env["RATIO"], "1.50");
    }

    #[test]
    fn a_key_without_value_is_an_empty_collection() {
        let l = load_str(
            "stack: {name: demo}\nservices:\nenv:\nsites:\n",
            Format::Yaml,
            "t",
        )
        .unwrap();
        assert!(l.spec.env.is_empty() && l.spec.sites.is_empty() && l.spec.services.is_empty());
        let d = err("stack:\nservices: {}\n", Format::Yaml);
        assert_eq!(d.code, CODE_MISSING_KEY);
        assert_eq!(d.pointer, "/stack");
    }

    #[test]
    fn line_index_counts_characters() {
        let li = LineIndex::new("ab\nцd\n");
        assert_eq!(li.location(0), Location { line: 1, column: 1 });
        assert_eq!(li.location(3), Location { line: 2, column: 1 });
        assert_eq!(li.location(5), Location { line: 2, column: 2 });
    }
}
