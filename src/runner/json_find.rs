//! Finding one value in a JSON body without building the document: the
//! body is walked once, everything off the path skipped as it is read
//! (`serde::de::IgnoredAny`), and only the value found is written out, as
//! compact JSON, by streaming it (serde-transcode). Memory is the path's
//! depth plus the text found, whatever the body: a 1 MiB `[0,0,...]` parsed
//! into a `serde_json::Value` takes 16 to 40 times its size, and an
//! extractor runs for every user at once.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// One step of a path into a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// An RFC 6901 JSON pointer's reference token: a member's name in an
    /// object, an index (decimal, no leading zero) in an array.
    Pointer(String),
    /// A JSONPath name selector: objects only.
    Name(String),
    /// A JSONPath index selector (non-negative): arrays only.
    Index(usize),
}

/// The reference tokens of an RFC 6901 JSON pointer (`""` is the whole
/// document, `/a~1b/0` is `a/b` then `0`); `None` when it does not start
/// with `/`.
pub fn pointer_tokens(pointer: &str) -> Option<Vec<Token>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    let rest = pointer.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|t| Token::Pointer(t.replace("~1", "/").replace("~0", "~")))
            .collect(),
    )
}

/// The tokens of a JSONPath that names one node by names and indices only
/// (`$`, `$.a.b`, `$['a b'][0]`, `$.items[2].id`): the paths that select
/// at most one node and can be followed while reading. `None` for any
/// other query (wildcards, slices, filters, unions, `..`, negative
/// indices, escapes in names), which needs the whole document.
pub fn simple_jsonpath(path: &str) -> Option<Vec<Token>> {
    let mut rest = path.strip_prefix('$')?;
    let mut out = Vec::new();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            // A member-name shorthand: RFC 9535's name-first and name-char
            // (ASCII letters, digits, `_`, or any non-ASCII), not a digit
            // first.
            let end = r
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii()))
                .unwrap_or(r.len());
            let name = &r[..end];
            if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
                return None;
            }
            out.push(Token::Name(name.to_string()));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let close = r.find(']')?;
            let inner = &r[..close];
            let quoted = |q: char| {
                inner
                    .strip_prefix(q)
                    .and_then(|s| s.strip_suffix(q))
                    .filter(|s| !s.contains(['\\', '\'', '"']))
            };
            if let Some(name) = quoted('\'').or_else(|| quoted('"')) {
                out.push(Token::Name(name.to_string()));
            } else if let Some(i) = array_index(inner) {
                out.push(Token::Index(i));
            } else {
                return None;
            }
            rest = &r[close + 1..];
        } else {
            return None;
        }
    }
    Some(out)
}

/// An array index as RFC 6901 and RFC 9535 write one: "0", or decimal
/// digits without a leading zero; `None` for anything else (and for one
/// past `usize`).
fn array_index(t: &str) -> Option<usize> {
    let digits = !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    (digits && (t == "0" || !t.starts_with('0')))
        .then(|| t.parse().ok())
        .flatten()
}

/// The value at `path` in the JSON document `body`, as a variable's text
/// (a string without its quotes, any other value as compact JSON);
/// `Ok(None)` when the path leads nowhere. The whole body is read, so a
/// body that is not JSON is an error wherever the fault is, as a parse of
/// the whole document would say.
pub fn find(body: &[u8], path: &[Token]) -> Result<Option<String>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let found = Walk(path).deserialize(&mut de)?;
    de.end()?;
    match found {
        // A string is given without its quotes and escapes.
        Some(json) if json.starts_with('"') => Ok(Some(serde_json::from_str::<String>(&json)?)),
        other => Ok(other),
    }
}

/// Follows the rest of a path into the value being read.
struct Walk<'p>(&'p [Token]);

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        if self.0.is_empty() {
            // The value found: written out as it is read.
            let mut out = Vec::new();
            serde_transcode::transcode(d, &mut serde_json::Serializer::new(&mut out))
                .map_err(de::Error::custom)?;
            return String::from_utf8(out).map(Some).map_err(de::Error::custom);
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    // A scalar has nothing inside: the path ends here unfound.
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (head, rest) = (&self.0[0], &self.0[1..]);
        let want = match head {
            Token::Pointer(name) | Token::Name(name) => Some(name.as_str()),
            Token::Index(_) => None,
        };
        let mut found = None;
        // Every member is read (the document must be JSON to its end); of
        // a repeated name the last one counts, as in a parsed object.
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if want == Some(key.as_ref()) {
                found = map.next_value_seed(Walk(rest))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let (head, rest) = (&self.0[0], &self.0[1..]);
        let want = match head {
            Token::Index(i) => Some(*i),
            Token::Pointer(t) => array_index(t),
            Token::Name(_) => None,
        };
        let mut found = None;
        let mut i = 0usize;
        loop {
            if Some(i) == want {
                match seq.next_element_seed(Walk(rest))? {
                    Some(v) => found = v,
                    None => break,
                }
            } else if seq.next_element::<IgnoredAny>()?.is_none() {
                break;
            }
            i += 1;
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DOC: &str = r#"{"token":"tok-1","n":3,"f":1e3,"a/b":1,"m~n":2,"":0,
        "data":{"items":[{"id":7,"tags":["x","y"]},{"id":8}]},"nul":null,"t":true,
        "s":"q\"uote\u00e9\n"}"#;

    fn by_value(pointer: &str) -> Option<String> {
        let v: serde_json::Value = serde_json::from_str(DOC).unwrap();
        v.pointer(pointer).map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }

    /// Every pointer of RFC 6901's kinds gives what `serde_json::Value`'s
    /// `pointer` gives on the parsed document, text for text.
    #[test]
    fn the_stream_agrees_with_the_parsed_document() {
        for p in [
            "",
            "/token",
            "/n",
            "/f",
            "/a~1b",
            "/m~0n",
            "/",
            "/data",
            "/data/items",
            "/data/items/0",
            "/data/items/1/id",
            "/data/items/0/tags/1",
            "/data/items/2",
            "/data/items/01",
            "/data/items/-",
            "/data/items/+1",
            "/nul",
            "/t",
            "/s",
            "/token/0",
            "/n/x",
            "/nope",
            "/data/items/0/tags/0/x",
        ] {
            let got = find(DOC.as_bytes(), &pointer_tokens(p).unwrap()).unwrap();
            assert_eq!(got, by_value(p), "{p:?}");
        }
        assert_eq!(pointer_tokens("token"), None);
        // A repeated member name: the last one counts, as in a parsed
        // object (a value found is written as the body has it, so an
        // object found keeps both of its repeated members).
        let dup = br#"{"d":1,"d":{"x":2}}"#;
        assert_eq!(
            find(dup, &pointer_tokens("/d/x").unwrap()).unwrap(),
            Some("2".into())
        );
    }

    #[test]
    fn a_simple_jsonpath_is_a_path_of_names_and_indices() {
        use Token::{Index, Name};
        assert_eq!(simple_jsonpath("$"), Some(vec![]));
        assert_eq!(
            simple_jsonpath("$.data.items[0].id"),
            Some(vec![
                Name("data".into()),
                Name("items".into()),
                Index(0),
                Name("id".into())
            ])
        );
        assert_eq!(
            simple_jsonpath("$['a b'][\"c\"][10]"),
            Some(vec![Name("a b".into()), Name("c".into()), Index(10)])
        );
        for q in [
            "$..id",
            "$[*]",
            "$.a[-1]",
            "$[0:1]",
            "$[?@.x]",
            "$['a','b']",
            "$.1a",
            "$.",
            "$[01]",
            "$['a\\'b']",
            "token",
            "$ .a",
            "$[ 0]",
        ] {
            assert_eq!(simple_jsonpath(q), None, "{q}");
        }
        // Typed: a name never indexes an array, an index never names a
        // member (a pointer's "0" does both).
        let doc = br#"{"0":"zero","l":["a"]}"#;
        assert_eq!(find(doc, &simple_jsonpath("$[0]").unwrap()).unwrap(), None);
        assert_eq!(
            find(doc, &simple_jsonpath("$.l[0]").unwrap()).unwrap(),
            Some("a".into())
        );
        assert_eq!(
            find(doc, &simple_jsonpath("$['0']").unwrap()).unwrap(),
            Some("zero".into())
        );
        assert_eq!(
            find(doc, &pointer_tokens("/0").unwrap()).unwrap(),
            Some("zero".into())
        );
    }

    #[test]
    fn a_body_that_is_not_json_is_an_error_wherever_the_fault_is() {
        let path = pointer_tokens("/a").unwrap();
        for bad in [
            &b"<html>"[..],
            b"{\"a\":1,",
            b"{\"a\":1} x",
            b"{\"b\":[1,}",
            b"",
        ] {
            assert!(
                find(bad, &path).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    /// The memory bound: finding one number in a 4 MiB array of zeros
    /// holds no more than the found text, where a parsed document holds
    /// tens of MiB (measured by the fuzz target `extractors`).
    #[test]
    fn a_long_array_is_walked_not_held() {
        let mut body = b"{\"x\":[".to_vec();
        for _ in 0..(2 << 20) {
            body.extend_from_slice(b"0,");
        }
        body.extend_from_slice(b"42]}");
        let last = (2usize << 20).to_string();
        let got = find(&body, &pointer_tokens(&format!("/x/{last}")).unwrap()).unwrap();
        assert_eq!(got.as_deref(), Some("42"));
    }

    proptest! {
        /// On any JSON document, a pointer's stream answer is the parsed
        /// document's.
        #[test]
        fn any_document_any_pointer(
            v in arb_json(),
            path in proptest::collection::vec(prop_oneof!["[a-c]", "[0-2]", Just("".to_string())], 0..4),
        ) {
            let text = serde_json::to_string(&v).unwrap();
            let p: String = path.iter().map(|t| format!("/{t}")).collect();
            let want = v.pointer(&p).map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            prop_assert_eq!(find(text.as_bytes(), &pointer_tokens(&p).unwrap()).unwrap(), want);
        }
    }

    fn arb_json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(|n| serde_json::json!(n)),
            (-1e6f64..1e6).prop_map(|f| serde_json::json!(f)),
            "[a-z\"\\\\é]{0,4}".prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                proptest::collection::btree_map("[a-c0-2]{0,1}", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
