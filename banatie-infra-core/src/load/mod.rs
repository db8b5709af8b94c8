//! Loading a spec from YAML, TOML or JSON with source positions.
//!
//! The text is first parsed into a tree of nodes that remember where they were written
//! (YAML and JSON through `yaml-rust2`'s event parser, TOML through `toml_edit`'s spans);
//! the spec types are then deserialized from that tree by a serde deserializer that knows
//! the JSON pointer and position of every value. So every error (syntax, unknown key,
//! wrong type, invalid value, missing key) comes with `file:line:column`, and an unknown
//! key with the closest valid key.

//!
//! The modules: `node` holds the positioned tree, `yaml` and `toml` parse text into
//! it (JSON through the YAML parser, after a strict JSON check), `de` deserializes the
//! spec types from it.

mod de;
mod derive;
mod node;
mod toml;
mod yaml;

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use de::{DeError, NodeDe};
use node::index_positions;
pub use node::MAX_ALIAS_BYTES;
pub(crate) use node::{Node, NodeKind};

use crate::diagnostic::{Code, Diagnostic, Location, Span};
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
    let mut spec: Spec = serde::Deserialize::deserialize(de).map_err(|e: DeError| {
        let code = e.code;
        invalid_at(
            code,
            name,
            &e.pointer.unwrap_or_default(),
            e.location,
            e.message,
            e.help,
        )
    })?;
    derive::derive(&mut spec, node);
    Ok(spec)
}

pub(super) fn invalid_at(
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

pub(crate) fn parse_tree(text: &str, format: Format, name: &str) -> Result<Node, LoadError> {
    // A UTF-8 byte order mark (editors on Windows write one) is not content: Compose and
    // most YAML, JSON and TOML readers skip it. (Columns on line 1 then count from after
    // it.)
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    check_flat_size(text, format, name)?;
    match format {
        Format::Yaml => yaml::parse_yaml(text, name),
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
            yaml::parse_yaml(text, name)
        }
        Format::Toml => toml::parse_toml(text, name),
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

pub(super) fn syntax(name: &str, loc: Option<Location>, msg: impl Into<String>) -> LoadError {
    invalid_at(CODE_SYNTAX, name, "", loc, msg.into(), None)
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
        let li = node::LineIndex::new("ab\nцd\n");
        assert_eq!(li.location(0), Location { line: 1, column: 1 });
        assert_eq!(li.location(3), Location { line: 2, column: 1 });
        assert_eq!(li.location(5), Location { line: 2, column: 2 });
    }
}
