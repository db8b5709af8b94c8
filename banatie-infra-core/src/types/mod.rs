//! Validated newtypes for the values a spec holds: names, domains, ports, byte sizes,
//! durations, paths, bucket names, environment variable names and image references.
//!
//! Each type has one constructor that checks its input (`FromStr`/`TryFrom`), and serde
//! goes through that constructor, so a [`crate::Spec`] can only hold valid values. Each
//! error names what is allowed.
//!
//! One file per kind of value, re-exported here: `names.rs` (stack, service and network
//! names, domains, bucket names, environment variable names, PostgreSQL names),
//! `paths.rs` (absolute, relative and HTTP paths), `image.rs` (image references) and
//! `numbers.rs` (ports, byte sizes, durations). This file holds what they share: the
//! error [`InvalidValue`] and the declaring macro of the string newtypes (also used by
//! [`crate::header`]).

pub mod image;
mod names;
mod numbers;
mod paths;

pub use image::ImageRef;
pub use names::{BucketName, Domain, EnvName, Name, SqlIdent};
pub use numbers::{ByteSize, Duration, Port};
pub use paths::{AbsPath, RelPath, UrlPath};

/// A value that failed its newtype's check: which type, the rejected input and the rule.
///
/// The input is kept so the message can quote it; none of these types ever holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} `{input}`: {reason}")]
pub struct InvalidValue {
    /// The kind of value, for example `"domain"`.
    pub kind: &'static str,
    /// The rejected input, as written.
    pub input: String,
    /// What is allowed, for example `"labels are 1 to 63 characters of a-z, 0-9 and -"`.
    pub reason: String,
}

pub(crate) fn invalid(kind: &'static str, input: &str, reason: impl Into<String>) -> InvalidValue {
    InvalidValue {
        kind,
        input: input.to_owned(),
        reason: reason.into(),
    }
}

/// Declares a string newtype whose only constructor is `$check`.
macro_rules! string_newtype {
    ($(#[$meta:meta])* $name:ident, $kind:literal, $check:path, $schema_pattern:expr, $schema_desc:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// The value as written in the spec.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = InvalidValue;
            fn from_str(s: &str) -> Result<Self, InvalidValue> {
                $check(s).map_err(|reason| invalid($kind, s, reason))?;
                Ok(Self(s.to_owned()))
            }
        }

        impl TryFrom<&str> for $name {
            type Error = InvalidValue;
            fn try_from(s: &str) -> Result<Self, InvalidValue> {
                s.parse()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                let pattern: Option<&str> = $schema_pattern;
                match pattern {
                    Some(p) => schemars::json_schema!({
                        "type": "string",
                        "pattern": p,
                        "description": $schema_desc,
                    }),
                    None => schemars::json_schema!({
                        "type": "string",
                        "description": $schema_desc,
                    }),
                }
            }
        }
    };
}

pub(crate) use string_newtype;
