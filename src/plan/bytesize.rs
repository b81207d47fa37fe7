//! Byte sizes as people write them in a plan: `"1MiB"`, `"512 KiB"`,
//! `"10MB"`, `"4096"` or a TOML integer (bytes).
//!
//! Kept apart from `crate::units` (durations, rates) because nothing else
//! needs sizes yet; the error messages follow the same convention (a short
//! message that the caller prefixes with the key).

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// A size in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// Parses a size: a whole number of bytes (`"4096"`), or a number with a
/// unit, binary (`KiB`, `MiB`, `GiB`: powers of 1024) or decimal (`kB`,
/// `MB`, `GB`: powers of 1000), or `B`. Units are case-insensitive; a space
/// between number and unit is allowed; fractions are allowed with a unit
/// and rounded to the nearest byte (`"1.5KiB"` = 1536). Zero is accepted
/// here (a caller that needs a positive size says so with its key).
pub fn parse_byte_size(text: &str) -> Result<u64, String> {
    let s = text.trim();
    let hint = "use e.g. 1MiB, 512KiB, 10MB or a number of bytes";
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = (&s[..split], s[split..].trim());
    if num.is_empty() {
        return Err(format!(
            "{} is not a size ({hint})",
            crate::visible::quoted(text)
        ));
    }
    let scale: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" => KIB,
        "mib" => MIB,
        "gib" => GIB,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        _ => {
            return Err(format!(
                "unknown unit {} in {} ({hint})",
                crate::visible::quoted(unit),
                crate::visible::quoted(text)
            ));
        }
    };
    if num.bytes().all(|b| b.is_ascii_digit()) {
        return num
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(scale))
            .ok_or_else(|| format!("{} is too large", crate::visible::quoted(text)));
    }
    let v: f64 = num
        .parse()
        .map_err(|_| format!("{} is not a size ({hint})", crate::visible::quoted(text)))?;
    if scale == 1 {
        return Err(format!(
            "{} is not a whole number of bytes",
            crate::visible::quoted(text)
        ));
    }
    let bytes = (v * scale as f64).round();
    // u64::MAX rounds up to 2^64 in f64: anything at or above it does not fit.
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(format!("{} is too large", crate::visible::quoted(text)));
    }
    Ok(bytes as u64)
}

/// The shortest exact spelling: `"1MiB"`, `"1536KiB"`, `"1000B"`. It parses
/// back to the same number ([`parse_byte_size`]).
pub fn format_byte_size(n: u64) -> String {
    for (unit, name) in [(GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")] {
        if n >= unit && n.is_multiple_of(unit) {
            return format!("{}{name}", n / unit);
        }
    }
    format!("{n}B")
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&format_byte_size(self.0))
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ByteSize;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a size such as \"1MiB\", \"512KiB\", \"10MB\" or a number of bytes")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteSize, E> {
                parse_byte_size(v).map(ByteSize).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ByteSize, E> {
                Ok(ByteSize(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ByteSize, E> {
                u64::try_from(v)
                    .map(ByteSize)
                    .map_err(|_| E::custom(format!("a size cannot be negative (got {v})")))
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_byte_size(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        for (text, want) in [
            ("0", 0),
            ("4096", 4096),
            (" 4096 ", 4096),
            ("100B", 100),
            ("1KiB", 1024),
            ("1kib", 1024),
            ("1MiB", 1 << 20),
            ("1 MiB", 1 << 20),
            ("1.5KiB", 1536),
            ("2GiB", 2 << 30),
            ("1kB", 1000),
            ("10MB", 10_000_000),
            ("1GB", 1_000_000_000),
        ] {
            assert_eq!(parse_byte_size(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn bad_sizes_say_why() {
        for (text, says) in [
            ("", "not a size"),
            ("MiB", "not a size"),
            ("-1", "not a size"),
            ("1.5", "whole number of bytes"),
            ("1.5B", "whole number of bytes"),
            ("1 parsec", "unknown unit 'parsec'"),
            ("1Mb/s", "unknown unit"),
            ("1..2MiB", "not a size"),
            ("99999999999999GiB", "too large"),
            ("99999999999999999999", "too large"),
            ("1e30GiB", "unknown unit"),
        ] {
            let e = parse_byte_size(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
    }

    #[test]
    fn formatting_is_exact_and_parses_back() {
        for (n, text) in [
            (0, "0B"),
            (1000, "1000B"),
            (1024, "1KiB"),
            (1536, "1536B"),
            (1 << 20, "1MiB"),
            (3 << 19, "1536KiB"),
            (5 << 30, "5GiB"),
        ] {
            assert_eq!(format_byte_size(n), text);
            assert_eq!(parse_byte_size(text), Ok(n));
        }
    }

    fn plan_with(line: &str) -> Result<crate::plan::file::PlanFile, String> {
        let text = format!(
            "[[group]]\nname = \"g\"\nusers = 1\npacing = {{ mode = \"none\" }}\n\n\
             [[group.step]]\nname = \"s\"\nurl = \"http://127.0.0.1:1/\"\n{line}\n"
        );
        crate::plan::file::PlanFile::parse(&text, "plan.toml").map_err(|e| e.to_string())
    }

    #[test]
    fn the_step_key_max_body() {
        let p = plan_with("max_body = \"2MiB\"").unwrap();
        assert_eq!(p.groups[0].steps[0].max_body, Some(ByteSize(2 << 20)));
        let p = plan_with("max_body = 65536").unwrap();
        assert_eq!(p.groups[0].steps[0].max_body, Some(ByteSize(65536)));
        // It is written back the way it parses.
        let text = toml::to_string(&p).unwrap();
        assert!(text.contains("max_body = \"64KiB\""), "{text}");
        // Errors name the key and its line (line 9).
        for (bad, says) in [
            ("max_body = \"2 parsecs\"", "unknown unit 'parsecs'"),
            ("max_body = -1", "cannot be negative"),
            ("max_body = 1.5", "a size such as"),
            ("max_body = 0", "must be greater than zero"),
            ("max_body = \"0MiB\"", "must be greater than zero"),
        ] {
            let e = plan_with(bad).unwrap_err();
            assert!(e.starts_with("plan.toml:9: "), "{bad}: {e}");
            assert!(e.contains("max_body"), "{bad}: {e}");
            assert!(e.contains(says), "{bad}: {e}");
        }
        let e = plan_with("max_bdy = \"1MiB\"").unwrap_err();
        assert!(e.contains("max_bdy"), "{e}");
    }
}
