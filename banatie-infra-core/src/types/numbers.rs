//! Numbers: TCP ports ([`Port`], an integer in the spec) and the numbers written as text
//! with a unit, byte sizes ([`ByteSize`]) and durations ([`Duration`]), which keep a
//! canonical text form.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{invalid, InvalidValue};

/// A TCP port number, 1 to 65535. Written as an integer in the spec.
///
/// ```
/// use banatie_infra_core::types::Port;
/// assert_eq!(Port::new(3000).unwrap().get(), 3000);
/// assert!(Port::new(0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Port(u16);

impl Port {
    /// Checks `n`: fails with [`InvalidValue`] for 0, the only u16 that is not a port.
    pub fn new(n: u16) -> Result<Self, InvalidValue> {
        if n == 0 {
            Err(invalid("port", "0", "ports are 1 to 65535"))
        } else {
            Ok(Self(n))
        }
    }

    /// The port number.
    pub fn get(self) -> u16 {
        self.0
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u64::deserialize(d)?;
        let n = u16::try_from(n)
            .map_err(|_| invalid("port", &n.to_string(), "ports are 1 to 65535"))
            .and_then(Port::new)
            .map_err(serde::de::Error::custom)?;
        Ok(n)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Port {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Port".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "integer",
            "minimum": 1,
            "maximum": 65535,
            "description": "A TCP port, 1 to 65535.",
        })
    }
}

/// Declares a newtype over a parsed number that keeps its canonical text form.
macro_rules! text_number_newtype {
    ($(#[$meta:meta])* $name:ident, $inner:ty, $parse:path, $pattern:literal, $desc:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name($inner);

        impl FromStr for $name {
            type Err = InvalidValue;
            fn from_str(s: &str) -> Result<Self, InvalidValue> {
                $parse(s).map(Self)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
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
                schemars::json_schema!({
                    "type": "string",
                    "pattern": $pattern,
                    "description": $desc,
                })
            }
        }
    };
}

const BYTE_UNITS: &[(&str, u64)] = &[
    ("GiB", 1 << 30),
    ("MiB", 1 << 20),
    ("KiB", 1 << 10),
    ("GB", 1_000_000_000),
    ("MB", 1_000_000),
    ("KB", 1_000),
    ("B", 1),
];

fn parse_byte_size(s: &str) -> Result<u64, InvalidValue> {
    let reason =
        "a byte size is a whole number followed by B, KB, MB, GB, KiB, MiB or GiB, like `10MiB`";
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let (num, unit) = s.split_at(digits);
    let factor = BYTE_UNITS
        .iter()
        .find(|(u, _)| *u == unit)
        .map(|(_, f)| *f)
        .ok_or_else(|| invalid("byte size", s, reason))?;
    let n: u64 = num.parse().map_err(|_| invalid("byte size", s, reason))?;
    if n == 0 {
        return Err(invalid(
            "byte size",
            s,
            "a byte size must be more than zero",
        ));
    }
    n.checked_mul(factor)
        .ok_or_else(|| invalid("byte size", s, "the size does not fit in 64 bits"))
}

text_number_newtype!(
    /// A size in bytes, written as a whole number and a unit: `B`, `KB`, `MB`, `GB`
    /// (powers of 1000) or `KiB`, `MiB`, `GiB` (powers of 1024), like `10MiB`.
    /// Displayed in the largest binary unit that divides it exactly, which is the form
    /// Caddy's `roll_size` reads.
    ///
    /// ```
    /// use banatie_infra_core::types::ByteSize;
    /// let s: ByteSize = "10MiB".parse().unwrap();
    /// assert_eq!(s.bytes(), 10 * 1024 * 1024);
    /// assert_eq!(s.to_string(), "10MiB");
    /// assert!("10 MB".parse::<ByteSize>().is_err());
    /// ```
    ByteSize,
    u64,
    parse_byte_size,
    "^[0-9]+(B|KB|MB|GB|KiB|MiB|GiB)$",
    "A byte size: a whole number and B, KB, MB, GB, KiB, MiB or GiB, like `10MiB`."
);

impl ByteSize {
    /// The size in bytes.
    pub fn bytes(self) -> u64 {
        self.0
    }

    /// A size of `bytes` bytes (printed in the largest binary unit that divides it).
    pub const fn from_bytes(bytes: u64) -> Self {
        Self(bytes)
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (unit, factor) in [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
            if self.0 % factor == 0 {
                return write!(f, "{}{unit}", self.0 / factor);
            }
        }
        write!(f, "{}B", self.0)
    }
}

fn parse_duration(s: &str) -> Result<u64, InvalidValue> {
    let reason = "a duration is one or more whole numbers with a unit, h, m, s or ms, like `30s` or `1m30s` (Go duration syntax, as Compose reads it)";
    if s.is_empty() {
        return Err(invalid("duration", s, reason));
    }
    let mut total: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(invalid("duration", s, reason));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| invalid("duration", s, reason))?;
        rest = &rest[digits..];
        let (factor, len) = if rest.starts_with("ms") {
            (1, 2)
        } else if rest.starts_with('h') {
            (3_600_000, 1)
        } else if rest.starts_with('m') {
            (60_000, 1)
        } else if rest.starts_with('s') {
            (1_000, 1)
        } else {
            return Err(invalid("duration", s, reason));
        };
        rest = &rest[len..];
        total = n
            .checked_mul(factor)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| invalid("duration", s, "the duration is too long"))?;
    }
    Ok(total)
}

text_number_newtype!(
    /// A duration in whole milliseconds, written in Go's duration syntax as Compose reads it:
    /// numbers with units `h`, `m`, `s`, `ms`, like `30s` or `1m30s`. Displayed in the same
    /// syntax, canonical form (`90s` displays as `1m30s`).
    ///
    /// ```
    /// use banatie_infra_core::types::Duration;
    /// let d: Duration = "1m30s".parse().unwrap();
    /// assert_eq!(d.as_millis(), 90_000);
    /// assert_eq!("90s".parse::<Duration>().unwrap().to_string(), "1m30s");
    /// assert!("30".parse::<Duration>().is_err());
    /// ```
    Duration,
    u64,
    parse_duration,
    "^([0-9]+(h|m|s|ms))+$",
    "A duration: numbers with units h, m, s or ms, like `30s` or `1m30s`."
);

impl Duration {
    /// A duration of `secs` seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs * 1000)
    }

    /// The duration in milliseconds.
    pub fn as_millis(self) -> u64 {
        self.0
    }

    /// The duration as a [`std::time::Duration`].
    pub fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_millis(self.0)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ms = self.0;
        if ms == 0 {
            return f.write_str("0s");
        }
        for (unit, factor) in [("h", 3_600_000u64), ("m", 60_000), ("s", 1_000), ("ms", 1)] {
            if ms >= factor {
                write!(f, "{}{unit}", ms / factor)?;
                ms %= factor;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes_round_trip() {
        for (s, n, shown) in [
            ("10MiB", 10 << 20, "10MiB"),
            ("50MiB", 50 << 20, "50MiB"),
            ("1024KiB", 1 << 20, "1MiB"),
            ("1000B", 1000, "1000B"),
            ("1GB", 1_000_000_000, "1000000000B"),
        ] {
            let b: ByteSize = s.parse().unwrap();
            assert_eq!(b.bytes(), n);
            assert_eq!(b.to_string(), shown);
        }
        for bad in [
            "",
            "10",
            "MiB",
            "10mib",
            "0MiB",
            "-1MiB",
            "99999999999999999999GiB",
        ] {
            assert!(bad.parse::<ByteSize>().is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_like_go() {
        for (s, ms, shown) in [
            ("30s", 30_000, "30s"),
            ("1m30s", 90_000, "1m30s"),
            ("90s", 90_000, "1m30s"),
            ("1h", 3_600_000, "1h"),
            ("500ms", 500, "500ms"),
            ("1s500ms", 1_500, "1s500ms"),
        ] {
            let d: Duration = s.parse().unwrap();
            assert_eq!(d.as_millis(), ms);
            assert_eq!(d.to_string(), shown);
        }
        for bad in ["", "30", "s", "1.5s", "1d", "-1s"] {
            assert!(bad.parse::<Duration>().is_err(), "{bad}");
        }
    }
}
