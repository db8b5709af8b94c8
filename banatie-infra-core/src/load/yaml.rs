//! YAML (and JSON, read through the same event parser for positions) into the
//! positioned tree, with YAML 1.2 core-schema scalar resolution and bounds on depth,
//! node count and alias expansion.

use std::collections::HashMap;

use super::node::{
    count_nodes, node_bytes, scalar_text, Node, NodeKind, MAX_ALIAS_BYTES, MAX_DEPTH, MAX_NODES,
};
use super::{invalid_at, syntax, LoadError, CODE_DUPLICATE_KEY};
use crate::diagnostic::Location;

/// Where each line starts, in characters, counting lines as every consumer of a position
/// does (an editor, `render_human`, the fuzz targets' check): at `\n` only. yaml-rust2's
/// own line numbers also count a lone `\r` as a line break (YAML 1.2, 5.4), which put a
/// finding on line 68 of a five-line file (found by fuzzing); positions are therefore
/// taken from the marker's character index, not its line.
struct CharLines {
    /// The character index where each line starts.
    starts: Vec<usize>,
    /// The text's length in characters.
    len: usize,
}

impl CharLines {
    fn of(text: &str) -> Self {
        let mut starts = vec![0];
        let mut len = 0;
        for (i, c) in text.chars().enumerate() {
            len = i + 1;
            if c == '\n' {
                starts.push(i + 1);
            }
        }
        Self { starts, len }
    }

    /// The 1-based position of the character at `index`, clamped to the text: at most one
    /// past the end of its line (yaml-rust2 places some errors past the end of the stream,
    /// or past a line's end; found by fuzzing).
    fn at(&self, index: usize) -> Location {
        let index = index.min(self.len);
        let line = self.starts.partition_point(|&s| s <= index).max(1);
        let start = self.starts[line - 1];
        // The line's length without its `\n`.
        let width = self
            .starts
            .get(line)
            .map_or(self.len - start, |next| next - start - 1);
        Location {
            line,
            column: (index - start).min(width) + 1,
        }
    }
}

pub(super) struct YamlBuilder<'a> {
    name: &'a str,
    /// The input's line starts, to place nodes and errors within it.
    lines: CharLines,
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

/// A YAML scan error as BI100 at its position. yaml-rust2 places some errors at the end
/// of the stream, past the last line by its count (found by fuzzing); the character index
/// is always within the input.
fn scan_error(name: &str, lines: &CharLines, e: &yaml_rust2::ScanError) -> LoadError {
    syntax(
        name,
        Some(lines.at(e.marker().index())),
        format!("invalid YAML: {}", e.info()),
    )
}

pub(super) fn parse_yaml(text: &str, name: &str) -> Result<Node, LoadError> {
    use yaml_rust2::parser::{Event, Parser};
    let mut parser = Parser::new_from_str(text);
    let mut b = YamlBuilder {
        name,
        lines: CharLines::of(text),
        anchors: HashMap::new(),
        nodes: 0,
        alias_bytes: 0,
    };
    let mut doc: Option<Node> = None;
    loop {
        let (ev, mark) = parser
            .next_token()
            .map_err(|e| scan_error(name, &b.lines, &e))?;
        match ev {
            Event::StreamEnd => break,
            Event::StreamStart | Event::DocumentEnd => {}
            Event::DocumentStart => {
                if doc.is_some() {
                    return Err(syntax(
                        name,
                        Some(b.lines.at(mark.index())),
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
        let (ev, mark) = parser
            .next_token()
            .map_err(|e| scan_error(self.name, &self.lines, &e))?;
        let loc = Some(self.lines.at(mark.index()));
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

/// Resolves a scalar with the YAML 1.2 core schema: plain `null`/`~`/empty, booleans,
/// integers (decimal, `0o`, `0x`) and floats get their types; quoted and block scalars and
/// `!!str` are strings.
pub(super) fn resolve_scalar(
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

pub(super) fn parse_yaml_number(v: &str) -> Option<NodeKind> {
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

#[cfg(test)]
mod position_tests {
    use crate::load::{load_str, Format};

    /// Lines are counted at `\n` only and columns in characters, whatever yaml-rust2 counts
    /// (it also breaks lines at a lone `\r`).
    #[test]
    fn positions_count_lines_at_newlines_and_columns_in_characters() {
        let d = |text: &str| {
            load_str(text, Format::Yaml, "t.yaml")
                .unwrap_err()
                .to_diagnostic()
                .span
                .and_then(|s| s.location)
                .map(|l| (l.line, l.column))
        };
        assert_eq!(
            d("stack: {name: a\r\r\r\r}\nservices: {}\n---\nx: 1\n"),
            Some((3, 1))
        );
        // yaml-rust2's marker index counts characters: a byte count would put this at
        // column 15.
        assert_eq!(d("# é€é€\nstack: {nmae: b}\n"), Some((2, 9)));
    }
}
