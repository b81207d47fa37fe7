//! Extractors at run time: compiled once per step, applied to a response
//! (its headers, and its body kept up to the step's `max_body`).

use crate::plan::extract::{ExtractScope, ExtractSection, Source};

/// How an extractor finds its value.
#[derive(Debug, Clone)]
enum Finder {
    Json(String),
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
            Source::Json(p) => Finder::Json(p.to_string()),
            Source::JsonPath(p) => Finder::JsonPath(
                serde_json_path::JsonPath::parse(p)
                    .map_err(|e| ("jsonpath", format!("'{p}' is not a JSONPath: {e}")))?,
            ),
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
        let json = || -> Result<serde_json::Value, String> {
            serde_json::from_slice(body).map_err(|e| format!("the body is not JSON ({e})"))
        };
        match &self.finder {
            Finder::Header(h) => match headers.get(h) {
                Some(v) => v
                    .to_str()
                    .map(str::to_string)
                    .map_err(|_| "the header is not text".into()),
                None => Err("no such header".into()),
            },
            Finder::Json(p) => json()?
                .pointer(p)
                .map(scalar)
                .ok_or_else(|| "not found".into()),
            Finder::JsonPath(p) => {
                let v = json()?;
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
}
