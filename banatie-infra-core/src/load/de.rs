//! The serde deserializer over the positioned tree: every error carries the JSON
//! pointer and position of the value that caused it, an unknown key the closest valid one.

use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use super::node::{scalar_text, Node, NodeKind};
use super::{CODE_BAD_VALUE, CODE_MISSING_KEY, CODE_NUL, CODE_UNKNOWN_KEY};
use crate::diagnostic::{escape_token, Code, Location};
use crate::spec::TAG_FIRST;

/// The error of [`NodeDe`]: a message with the pointer and position of the value that
/// caused it (the innermost one wins).
#[derive(Debug)]
pub(crate) struct DeError {
    pub(super) code: Code,
    pub(super) message: String,
    pub(super) help: Option<String>,
    pub(super) pointer: Option<String>,
    pub(super) location: Option<Location>,
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
pub(super) fn no_nul(s: &str) -> Result<(), DeError> {
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

pub(super) struct NodeDe<'a> {
    pub(super) node: &'a Node,
    pub(super) pointer: String,
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

pub(super) struct SeqAccess<'a, I> {
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

pub(super) struct MapAccess<'a, 'de, I> {
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

pub(super) struct EnumAccess<'a, 'de> {
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

pub(super) struct VariantAccess<'de> {
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
