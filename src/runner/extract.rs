//! Extractors at run time: compiled once per step, applied to a response
//! (its headers, and its body kept up to the step's `max_body`).

use super::json_find::{Token, find, pointer_tokens, simple_jsonpath};
use crate::plan::extract::{ExtractScope, ExtractSection, Source};

/// The longest body a JSONPath with wildcards, slices, filters, unions or
/// `..` is run on, bytes: such a query needs the whole document in memory,
/// which takes 16 to 40 times the body's size (an array of small numbers
/// is the worst), and an extractor runs for every user at once. 256 KiB
/// holds at most about 10 MiB per extraction; a longer body is a failed
/// extraction that says how to name the value instead.
pub const WHOLE_BODY_LIMIT: usize = 256 << 10;

/// How an extractor finds its value.
#[derive(Debug, Clone)]
enum Finder {
    /// A JSON pointer, or a JSONPath of names and indices: followed while
    /// the body is read (super::json_find), nothing else kept.
    Path(Vec<Token>),
    /// Any other JSONPath: the body parsed whole, at most
    /// [`WHOLE_BODY_LIMIT`] bytes of it.
    JsonPath(serde_json_path::JsonPath),
    Regex(regex::Regex),
    Header(reqwest::header::HeaderName),
}

/// One compiled extractor.
#[derive(Debug, Clone)]
pub struct Extractor {
    pub name: String,
    pub scope: ExtractScope,
    default: Option<String>,
    finder: Finder,
    /// `json /token`, for messages.
    what: String,
}

impl Extractor {
    /// Compiles a checked extractor (the plan's checks refused bad ones;
    /// an error here names the key anyway).
    pub fn build(x: &ExtractSection) -> Result<Extractor, (&'static str, String)> {
        let source = x.source().ok_or((
            "name",
            "give exactly one of json, jsonpath, regex or header".to_string(),
        ))?;
        let finder = match source {
            Source::Json(p) => Finder::Path(pointer_tokens(p).ok_or((
                "json",
                format!(
                    "{} is not a JSON pointer: it starts with '/' (or is empty, the whole body)",
                    crate::visible::quoted(p)
                ),
            ))?),
            Source::JsonPath(p) => {
                let q = serde_json_path::JsonPath::parse(p)
                    .map_err(|e| ("jsonpath", format!("'{p}' is not a JSONPath: {e}")))?;
                match simple_jsonpath(p) {
                    Some(tokens) => Finder::Path(tokens),
                    None => Finder::JsonPath(q),
                }
            }
            Source::Regex(r) => Finder::Regex(
                regex::Regex::new(r)
                    .map_err(|e| ("regex", format!("not a regular expression: {e}")))?,
            ),
            Source::Header(h) => Finder::Header(
                reqwest::header::HeaderName::from_bytes(h.as_bytes())
                    .map_err(|_| ("header", format!("'{h}' is not a header name")))?,
            ),
        };
        Ok(Extractor {
            name: x.name.clone(),
            scope: x.scope,
            default: x.default.clone(),
            finder,
            // Echoed in every failed extraction: one line whatever the
            // pointer or pattern holds (a JSON pointer may hold "\n").
            what: crate::visible::one_line(&source.describe()).into_owned(),
        })
    }

    /// True when it reads the body.
    pub fn needs_body(&self) -> bool {
        !matches!(self.finder, Finder::Header(_))
    }

    /// The value found in the response, or its default; the error names
    /// the extractor and `step`, e.g. "extract 'token' (json /token) in
    /// step 'login': not found".
    pub fn apply(
        &self,
        step: &str,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) -> Result<String, String> {
        match (self.find(headers, body), &self.default) {
            (Ok(v), _) => Ok(v),
            (Err(_), Some(d)) => Ok(d.clone()),
            (Err(why), None) => Err(format!(
                "extract '{}' ({}) in step '{step}': {why}",
                self.name, self.what
            )),
        }
    }

    fn find(&self, headers: &reqwest::header::HeaderMap, body: &[u8]) -> Result<String, String> {
        let not_json = |e: serde_json::Error| format!("the body is not JSON ({e})");
        match &self.finder {
            Finder::Header(h) => match headers.get(h) {
                Some(v) => v
                    .to_str()
                    .map(str::to_string)
                    .map_err(|_| "the header is not text".into()),
                None => Err("no such header".into()),
            },
            Finder::Path(path) => find(body, path)
                .map_err(not_json)?
                .ok_or_else(|| "not found".into()),
            Finder::JsonPath(p) => {
                if body.len() > WHOLE_BODY_LIMIT {
                    return Err(format!(
                        "the body is {} bytes: a JSONPath with wildcards, slices, filters, unions or '..' reads at most {} KiB (it holds the whole document); name the value by names and indices ($.a.b[0]) or use json or regex",
                        body.len(),
                        WHOLE_BODY_LIMIT >> 10
                    ));
                }
                let v: serde_json::Value = serde_json::from_slice(body).map_err(not_json)?;
                p.query(&v)
                    .first()
                    .map(scalar)
                    .ok_or_else(|| "not found".into())
            }
            Finder::Regex(r) => {
                let text = String::from_utf8_lossy(body);
                let c = r.captures(&text).ok_or("not found")?;
                Ok(c.get(1).or(c.get(0)).map_or("", |m| m.as_str()).to_string())
            }
        }
    }
}

/// A JSON value as a variable's text: a string without its quotes, any
/// other value as JSON.
fn scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(toml_text: &str) -> Extractor {
        let x: ExtractSection = toml::from_str(toml_text).unwrap();
        Extractor::build(&x).unwrap()
    }

    fn headers() -> reqwest::header::HeaderMap {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("x-request-id", "abc-1".parse().unwrap());
        h
    }

    const BODY: &[u8] =
        br#"{"token":"tok-ann-1","n":3,"data":{"items":[{"id":7}]},"html":"<input name=\"csrf\" value=\"c5\">"}"#;

    #[test]
    fn a_failed_extraction_is_one_line_whatever_the_pointer_holds() {
        // Found by the fuzz target `extractors`: a JSON pointer with a
        // line break made the step's error two lines.
        let e = ex("name = \"t\"\njson = \"/a\\n/b\"")
            .apply("login", &headers(), b"{}")
            .unwrap_err();
        assert!(!e.contains('\n'), "{e:?}");
        assert!(e.contains("json /a\\n/b"), "{e}");
    }

    #[test]
    fn each_kind_finds_its_value() {
        let h = headers();
        let get = |t: &str| ex(t).apply("login", &h, BODY);
        assert_eq!(get("name = \"t\"\njson = \"/token\"").unwrap(), "tok-ann-1");
        assert_eq!(get("name = \"t\"\njson = \"/n\"").unwrap(), "3");
        assert_eq!(
            get("name = \"t\"\njsonpath = \"$.data.items[0].id\"").unwrap(),
            "7"
        );
        assert_eq!(
            get("name = \"t\"\nregex = 'value=\\\\\"([^\\\\]+)'").unwrap(),
            "c5"
        );
        assert_eq!(
            get("name = \"t\"\nregex = 'tok-[a-z]+'").unwrap(),
            "tok-ann"
        );
        assert_eq!(
            get("name = \"t\"\nheader = \"X-Request-Id\"").unwrap(),
            "abc-1"
        );
    }

    #[test]
    fn not_found_names_the_extractor_or_takes_the_default() {
        let h = headers();
        let get = |t: &str| ex(t).apply("login", &h, BODY);
        assert_eq!(
            get("name = \"token\"\njson = \"/nope\"").unwrap_err(),
            "extract 'token' (json /nope) in step 'login': not found"
        );
        assert!(get("name = \"t\"\njsonpath = \"$.x\"").is_err());
        assert!(get("name = \"t\"\nregex = \"zzz\"").is_err());
        assert_eq!(
            get("name = \"t\"\nheader = \"X-None\"").unwrap_err(),
            "extract 't' (header X-None) in step 'login': no such header"
        );
        assert_eq!(
            get("name = \"t\"\njson = \"/nope\"\ndefault = \"d\"").unwrap(),
            "d"
        );
        let e = ex("name = \"t\"\njson = \"/a\"")
            .apply("login", &h, b"<html>")
            .unwrap_err();
        assert!(e.contains("not JSON"), "{e}");
    }

    /// A JSONPath the stream can follow runs on any body; one that needs
    /// the whole document refuses a body over WHOLE_BODY_LIMIT with one
    /// line saying what to do, instead of holding 16 to 40 times it.
    #[test]
    fn a_whole_document_jsonpath_is_bounded() {
        let h = headers();
        let mut body = br#"{"items":["#.to_vec();
        while body.len() <= WHOLE_BODY_LIMIT {
            body.extend_from_slice(br#"{"sku":"a","price":0},"#);
        }
        body.extend_from_slice(br#"{"sku":"b","price":2}]}"#);
        let simple = ex("name = \"t\"\njsonpath = \"$.items[0].sku\"");
        assert_eq!(simple.apply("s", &h, &body).unwrap(), "a");
        let filter = ex("name = \"t\"\njsonpath = \"$.items[?@.price > 1].sku\"");
        let e = filter.apply("s", &h, &body).unwrap_err();
        assert!(e.contains("reads at most 256 KiB"), "{e}");
        assert!(!e.contains('\n'), "{e}");
        // Under the limit it reads the document as before.
        let small = br#"{"items":[{"sku":"a","price":0},{"sku":"b","price":2}]}"#;
        assert_eq!(filter.apply("s", &h, small).unwrap(), "b");
    }
}
