//! The manifests' YAML, written so that every reader takes each string as
//! a string, byte for byte. kubectl reads manifests with YAML 1.1 rules
//! (sigs.k8s.io/yaml over go-yaml v2), as PyYAML does: a plain `yes`, `on`,
//! `n` or `~` is a boolean or a null there, `2026-12-07T05:00:00Z` a
//! timestamp, `0777` an octal number. serde_yaml_ng quotes by YAML 1.2's
//! rules only and has no setting for this, so the objects are turned into
//! its `Value` (their fields in order) and written here:
//!
//! - every string value is a double-quoted scalar (`\\`, `"`, control and
//!   non-printable characters, YAML 1.1's line breaks U+0085, U+2028,
//!   U+2029 and a BOM escaped), or, when it holds line breaks and nothing
//!   a literal block cannot carry, a literal block (`|`, `|-`, `|+` by its
//!   final line breaks), which no schema resolves to anything but a string;
//! - a key is plain only when it is letters, digits and `_./-` starting
//!   with a letter or `_`, and not one of YAML 1.1's boolean or null words;
//!   otherwise it is quoted too;
//! - numbers, booleans and nulls are written plain, as the objects hold
//!   them.

use serde_yaml_ng::Value;
use std::fmt::Write;

/// `v` as one YAML document (without the `---` marker). Errors: `v` does
/// not serialize, or holds a tagged value (no Kubernetes object does).
pub fn to_yaml<T: serde::Serialize>(v: &T) -> Result<String, String> {
    let value = serde_yaml_ng::to_value(v).map_err(|e| e.to_string())?;
    let mut out = String::new();
    match &value {
        Value::Mapping(m) if !m.is_empty() => mapping(m, 0, &mut out)?,
        Value::Sequence(s) if !s.is_empty() => sequence(s, 0, &mut out)?,
        other => {
            out.push_str(&inline(other)?);
            out.push('\n');
        }
    }
    Ok(out)
}

/// YAML 1.1's words for booleans and null (yaml.org/type/bool.html,
/// null.html), which a plain scalar must not be.
const WORDS: [&str; 13] = [
    "y", "yes", "n", "no", "true", "false", "on", "off", "null", "~", "<<", "=", "",
];

/// A key written plain: what no YAML 1.1 or 1.2 schema resolves to
/// anything but this string.
fn plain_key(k: &str) -> bool {
    k.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./-".contains(c))
        && !WORDS.contains(&k.to_ascii_lowercase().as_str())
}

/// A string as a double-quoted scalar: every character YAML reads
/// otherwise, or may not carry raw, escaped.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if !printable(c) || c == '\u{FEFF}' => {
                let n = c as u32;
                if n <= 0xFF {
                    let _ = write!(out, "\\x{n:02X}");
                } else if n <= 0xFFFF {
                    let _ = write!(out, "\\u{n:04X}");
                } else {
                    let _ = write!(out, "\\U{n:08X}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// YAML's c-printable (YAML 1.1 and 1.2, production 1): what a stream may
/// hold raw.
fn printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Whether `s` can be a literal block scalar that reads back as `s`: it
/// has a line break, every character is printable and none is a line
/// break of another kind (CR, NEL, LS, PS) or a BOM, and its first line
/// starts with neither a space nor a tab (the block's indentation is read
/// from it) nor is empty.
fn literal_block(s: &str) -> bool {
    s.contains('\n')
        && !s.starts_with([' ', '\t', '\n'])
        && s.chars().all(|c| {
            printable(c) && !matches!(c, '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}')
        })
}

/// A scalar or an empty collection, on the line of its key or dash.
fn inline(v: &Value) -> Result<String, String> {
    Ok(match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quoted(s),
        Value::Mapping(m) if m.is_empty() => "{}".into(),
        Value::Sequence(s) if s.is_empty() => "[]".into(),
        Value::Tagged(_) => return Err("a tagged YAML value".into()),
        _ => unreachable!("non-empty collections are written as blocks"),
    })
}

/// `s` as a literal block after its key or dash: the indicator, then its
/// lines at `indent` (empty lines left empty).
fn block(s: &str, indent: usize, out: &mut String) {
    let body = s.trim_end_matches('\n');
    let chomp = match s.len() - body.len() {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let _ = writeln!(out, "|{chomp}");
    for line in body.split('\n') {
        if !line.is_empty() {
            out.push_str(&" ".repeat(indent));
            out.push_str(line);
        }
        out.push('\n');
    }
    // Kept final line breaks (`|+`) beyond the one that ends the body.
    for _ in 1..(s.len() - body.len()) {
        out.push('\n');
    }
}

/// What follows a key's `:` or a sequence's `-`: a scalar on the same
/// line, or a block below at `indent`.
fn node(v: &Value, indent: usize, out: &mut String) -> Result<(), String> {
    match v {
        Value::Mapping(m) if !m.is_empty() => {
            out.push('\n');
            mapping(m, indent, out)
        }
        Value::Sequence(s) if !s.is_empty() => {
            out.push('\n');
            sequence(s, indent, out)
        }
        Value::String(s) if literal_block(s) => {
            out.push(' ');
            block(s, indent, out);
            Ok(())
        }
        other => {
            out.push(' ');
            out.push_str(&inline(other)?);
            out.push('\n');
            Ok(())
        }
    }
}

fn key(k: &Value) -> Result<String, String> {
    match k {
        Value::String(s) if plain_key(s) => Ok(s.clone()),
        other => inline(other),
    }
}

fn mapping(m: &serde_yaml_ng::Mapping, indent: usize, out: &mut String) -> Result<(), String> {
    for (k, v) in m {
        out.push_str(&" ".repeat(indent));
        out.push_str(&key(k)?);
        out.push(':');
        node(v, indent + 2, out)?;
    }
    Ok(())
}

/// Items as `- ` at `indent`; a collection item starts on the dash's line.
fn sequence(s: &[Value], indent: usize, out: &mut String) -> Result<(), String> {
    for item in s {
        let nested = matches!(item, Value::Mapping(m) if !m.is_empty())
            || matches!(item, Value::Sequence(s) if !s.is_empty());
        if nested {
            let mut inner = String::new();
            match item {
                Value::Mapping(m) => mapping(m, indent + 2, &mut inner)?,
                Value::Sequence(s) => sequence(s, indent + 2, &mut inner)?,
                _ => unreachable!("matched above"),
            }
            out.push_str(&" ".repeat(indent));
            out.push_str("- ");
            out.push_str(&inner[indent + 2..]);
        } else {
            out.push_str(&" ".repeat(indent));
            out.push('-');
            node(item, indent + 2, out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Values YAML 1.1 or 1.2 resolves to something other than a string
    /// when plain, and characters a stream may not carry raw.
    const HOSTILE: &[&str] = &[
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "Y",
        "NO",
        "true",
        "null",
        "~",
        "",
        "0777",
        "1e3",
        "0x1F",
        "1_000",
        "12:30",
        ".inf",
        "2026-12-07T05:00:00Z",
        "2026-12-07",
        "pa$$w0rd",
        "$(PACE_START_AT)",
        "a: b",
        "# not a comment",
        " lead",
        "trail ",
        "'single'",
        "\"double\"",
        "back\\slash",
        "tab\there",
        "ünïcode — 雪 😀",
        "nul\0",
        "bell\u{7}",
        "del\u{7F}",
        "nel\u{85}",
        "ls\u{2028}ps\u{2029}",
        "\u{FEFF}bom",
        "cr\r\n",
        "- item",
        "[flow]",
        "{flow}",
        "&anchor",
        "*alias",
        "!tag",
        "%directive",
        "@at",
        "`tick",
        "|",
        ">",
        "---",
        "...",
        "line\nbreak",
        "two\n\n",
        "\nfirst empty",
        " spaced\nlines",
        "keep trailing  \nspaces  \n",
        "\ttabbed\nx",
        "a\n   ",
        "a\n  \nb",
    ];

    #[test]
    fn strings_are_double_quoted_with_escapes() {
        assert_eq!(quoted("yes"), "\"yes\"");
        assert_eq!(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(quoted("t\tn\nz\0"), "\"t\\tn\\nz\\0\"");
        assert_eq!(quoted("\u{7}\u{7F}\u{85}"), "\"\\x07\\x7F\\N\"");
        assert_eq!(quoted("\u{2028}\u{FEFF}\u{FFFE}"), "\"\\L\\uFEFF\\uFFFE\"");
        assert_eq!(quoted("ü😀"), "\"ü😀\"");
    }

    #[test]
    fn keys_are_plain_only_when_nothing_can_misread_them() {
        for k in ["name", "app.kubernetes.io/name", "plan.toml", "_x", "a-b"] {
            assert!(plain_key(k), "{k}");
        }
        for k in [
            "y", "N", "Yes", "off", "null", "1a", "", "a b", "a:b", "#", "~", ".x",
        ] {
            assert!(!plain_key(k), "{k}");
        }
    }

    #[test]
    fn literal_blocks_only_where_they_read_back() {
        assert!(literal_block("a\nb\n"));
        assert!(literal_block("# c\twith tab   \n[x]\n"));
        for s in [
            "one line",
            " a\nb",
            "\na",
            "\ta\nb",
            "a\r\nb",
            "a\u{85}\nb",
            "a\u{7}\nb",
        ] {
            assert!(!literal_block(s), "{s:?}");
        }
        let mut out = String::new();
        block("a\n\n  b\n\n\n", 2, &mut out);
        assert_eq!(out, "|+\n  a\n\n    b\n\n\n");
        out.clear();
        block("a\nb", 4, &mut out);
        assert_eq!(out, "|-\n    a\n    b\n");
    }

    /// Every hostile string, as a value, a key and a sequence item, reads
    /// back from the YAML as the same string (serde_yaml_ng reads YAML 1.2;
    /// tests/k8s_cli.rs reads it with PyYAML's YAML 1.1 too).
    #[test]
    fn every_string_reads_back_byte_for_byte() {
        let map: BTreeMap<String, String> = HOSTILE
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("k{i:02}"), s.to_string()))
            .collect();
        let keys: BTreeMap<String, u32> = HOSTILE.iter().map(|s| (s.to_string(), 1)).collect();
        let doc = serde_json::json!({
            "values": map,
            "keys": keys,
            "list": HOSTILE,
            "nested": [[HOSTILE[0], {"a": HOSTILE[1]}], {}, []],
            "numbers": [1, -2, 3.5, true, null],
        });
        let yaml = to_yaml(&doc).unwrap();
        let back: serde_json::Value = serde_yaml_ng::from_str(&yaml).unwrap();
        assert_eq!(back, doc, "{yaml}");
        // Nothing a value of HOSTILE gave is plain after a key.
        assert!(yaml.contains("k00: \"yes\"\n"), "{yaml}");
    }
}
