//! Secret variables (`secrets`): where each value comes from and how a generated one is
//! drawn. The values themselves never appear in the spec.

use serde::{Deserialize, Serialize};

#[cfg(feature = "schema")]
use schemars::JsonSchema;

/// What a secret's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SecretSource {
    /// Generated from the OS random source by `banatie-infra secrets`.
    #[default]
    Generated,
    /// Supplied by the operator (an API key from a provider); never invented.
    Supplied,
}

/// The characters a generated secret is drawn from. Every alphabet is safe unquoted in an
/// env file, in a shell word and in a URL's userinfo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Alphabet {
    /// `A-Z a-z 0-9` (62 symbols, 5.95 bits each). The default.
    #[default]
    Alphanumeric,
    /// `0-9 a-f` (4 bits each).
    Hex,
    /// `A-Z a-z 0-9 - _` (RFC 4648 base64url symbols, 6 bits each).
    UrlSafe,
}

/// A secret variable.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Secret {
    /// Where the value comes from. Default `generated`.
    #[serde(default)]
    pub source: SecretSource,
    /// Length of a generated value, in characters, 16 to 4096. Default `32`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
    /// Alphabet of a generated value. Default `alphanumeric`.
    #[serde(default)]
    pub alphabet: Alphabet,
    /// What the secret is for; shown in `secrets.env.example` and when it is missing.
    /// One line of text: no line breaks or other control characters (BI209).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Secret {
    /// The length of a generated value: `length` or 32.
    pub fn length(&self) -> u32 {
        self.length.unwrap_or(32)
    }
}
