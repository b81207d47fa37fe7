//! Correlation: `[[group.step.extract]]` takes a value out of a step's
//! response into a variable for the steps after it (JMeter's extractors,
//! LoadRunner's web_reg_save_param). The plan holds and checks them; the
//! runner applies them (runner/extract.rs).

use super::check::PathPart;
use super::data::is_variable_name;
use super::file::GroupSection;
use super::vars::references;
use serde::{Deserialize, Serialize};

/// How long an extracted value lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExtractScope {
    /// Cleared at the start of each iteration.
    #[default]
    Iteration,
    /// Kept for the user's later iterations (until extracted again).
    User,
}

impl ExtractScope {
    /// The plan's own word for it.
    pub fn name(self) -> &'static str {
        match self {
            ExtractScope::Iteration => "iteration",
            ExtractScope::User => "user",
        }
    }
}

/// One extractor: exactly one of `json`, `jsonpath`, `regex`, `header`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtractSection {
    /// The variable, used later as `${name}`.
    pub name: String,
    /// An RFC 6901 JSON pointer into the body, e.g. `/token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<String>,
    /// An RFC 9535 JSONPath into the body, e.g. `$.data.token` (the first match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jsonpath: Option<String>,
    /// A regular expression over the body: its first capture group, or the
    /// whole match when it has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// A response header's (first) value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// Used when nothing is found; then the step does not fail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default)]
    pub scope: ExtractScope,
}

/// Where an extractor looks, with its expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source<'a> {
    Json(&'a str),
    JsonPath(&'a str),
    Regex(&'a str),
    Header(&'a str),
}

impl Source<'_> {
    /// The plan key and its expression, e.g. `json /token`.
    pub fn describe(&self) -> String {
        match self {
            Source::Json(p) => format!("json {p}"),
            Source::JsonPath(p) => format!("jsonpath {p}"),
            Source::Regex(r) => format!("regex {r}"),
            Source::Header(h) => format!("header {h}"),
        }
    }

    /// True when it reads the body (not only the headers).
    pub fn needs_body(&self) -> bool {
        !matches!(self, Source::Header(_))
    }
}

impl ExtractSection {
    /// The one source it names (`None` when there is not exactly one).
    pub fn source(&self) -> Option<Source<'_>> {
        let all = [
            self.json.as_deref().map(Source::Json),
            self.jsonpath.as_deref().map(Source::JsonPath),
            self.regex.as_deref().map(Source::Regex),
            self.header.as_deref().map(Source::Header),
        ];
        let mut set = all.into_iter().flatten();
        match (set.next(), set.next()) {
            (Some(s), None) => Some(s),
            _ => None,
        }
    }

    /// The checks of one extractor; errors name its key.
    fn check(&self) -> Result<(), (&'static str, String)> {
        if !is_variable_name(&self.name) {
            return Err((
                "name",
                format!(
                    "{} is not a variable name (a letter or _, then letters, digits or _)",
                    crate::visible::quoted(&self.name)
                ),
            ));
        }
        let given: Vec<&str> = [
            ("json", self.json.is_some()),
            ("jsonpath", self.jsonpath.is_some()),
            ("regex", self.regex.is_some()),
            ("header", self.header.is_some()),
        ]
        .iter()
        .filter(|(_, v)| *v)
        .map(|(k, _)| *k)
        .collect();
        match self.source() {
            None if given.is_empty() => Err((
                "name",
                "give exactly one of json, jsonpath, regex or header".into(),
            )),
            None => Err((
                key_static(given[1]),
                format!(
                    "give exactly one of json, jsonpath, regex or header (found {})",
                    given.join(" and ")
                ),
            )),
            Some(Source::Json(p)) if !(p.is_empty() || p.starts_with('/')) => Err((
                "json",
                format!(
                    "{} is not a JSON pointer: it must start with '/' (e.g. \"/token\"; \"\" is the whole body)",
                    crate::visible::quoted(p)
                ),
            )),
            Some(Source::JsonPath(p)) => {
                serde_json_path::JsonPath::parse(p)
                    .map(|_| ())
                    .map_err(|e| {
                        let e = e.to_string();
                        (
                            "jsonpath",
                            format!(
                                "{} is not a JSONPath: {}",
                                crate::visible::quoted(p),
                                crate::visible::one_line(&e)
                            ),
                        )
                    })
            }
            Some(Source::Regex(r)) => regex::Regex::new(r)
                .map(|_| ())
                .map_err(|e| ("regex", regex_error(r, &e))),
            // A field name is a token (RFC 9110 5.1, 5.6.2): what the
            // runner's HeaderName accepts, so a plan that loads runs.
            Some(Source::Header(h))
                if h.is_empty()
                    || !h
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)) =>
            {
                Err((
                    "header",
                    format!("{} is not a header name", crate::visible::quoted(h)),
                ))
            }
            _ => Ok(()),
        }
    }
}

/// One line for a pattern the regex crate refuses: its syntax error's
/// text spans lines (the pattern, a caret, `error: ...`), so only the
/// last line's words are kept, with the pattern quoted.
fn regex_error(pattern: &str, e: &regex::Error) -> String {
    let why = match e {
        regex::Error::Syntax(text) => text
            .lines()
            .rev()
            .find_map(|l| l.trim().strip_prefix("error: "))
            .unwrap_or_else(|| text.lines().last().unwrap_or("").trim())
            .to_string(),
        other => other
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    };
    format!(
        "not a regular expression: {why} (at {})",
        crate::visible::quoted(pattern)
    )
}

fn key_static(k: &str) -> &'static str {
    match k {
        "json" => "json",
        "jsonpath" => "jsonpath",
        "regex" => "regex",
        _ => "header",
    }
}

/// Every problem of a group's extractors and of the variables its steps
/// use before they are extracted; `path` prefixes each key (`group[i]`).
pub fn check(g: &GroupSection, path: &[PathPart]) -> Vec<(Vec<PathPart>, String)> {
    let mut errors = Vec::new();
    let at = |j: usize, rest: &[PathPart]| {
        let mut p = path.to_vec();
        p.push(PathPart::Key("step".into()));
        p.push(PathPart::Index(j));
        p.extend_from_slice(rest);
        p
    };
    // name -> (first step extracting it, scope, has a default)
    let mut first: std::collections::HashMap<&str, (usize, ExtractScope)> = Default::default();
    for (j, s) in g.steps.iter().enumerate() {
        for (k, x) in s.extract.iter().enumerate() {
            let here = |f: &str| {
                at(
                    j,
                    &[
                        PathPart::Key("extract".into()),
                        PathPart::Index(k),
                        PathPart::Key(f.into()),
                    ],
                )
            };
            if let Err((f, m)) = x.check() {
                errors.push((here(f), m));
            } else if let Some((prev, _)) = first.get(x.name.as_str()) {
                errors.push((
                    here("name"),
                    format!(
                        "'{}' is already extracted by step '{}': give each extractor its own name",
                        x.name, g.steps[*prev].name
                    ),
                ));
            } else {
                first.insert(&x.name, (j, x.scope));
            }
        }
    }
    for (j, s) in g.steps.iter().enumerate() {
        let mut texts: Vec<(&str, &str)> = vec![("url", &s.url)];
        texts.extend(s.headers.values().map(|v| ("headers", v.as_str())));
        if let Some(b) = &s.body {
            texts.push(("body", b));
        }
        for (field, text) in texts {
            for (name, has_default) in references(text) {
                if let Some(&(k, ExtractScope::Iteration)) = first.get(name)
                    && k >= j
                    && !has_default
                {
                    errors.push((
                        at(j, &[PathPart::Key(field.into())]),
                        format!(
                            "${{{name}}} is used before step '{}' extracts it (in this iteration); use ${{{name}:-default}} or a later step",
                            g.steps[k].name
                        ),
                    ));
                }
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use crate::plan::file::PlanFile;

    fn plan(steps: &str) -> Result<PlanFile, String> {
        let text =
            format!("[[group]]\nname = \"g\"\nusers = 1\npacing = {{ mode = \"none\" }}\n{steps}");
        PlanFile::parse(&text, "plan.toml").map_err(|e| e.to_string())
    }

    const LOGIN: &str = "[[group.step]]\nname = \"login\"\nurl = \"http://h/login\"\n";

    #[test]
    fn a_header_name_that_is_not_a_token_is_refused_at_load() {
        // Found by the fuzz target `extractors`: "X-Token${PACE_TARGET}/"
        // loaded, then failed to build when the run started.
        for h in ["X-Token${PACE_TARGET}/", "a/b", "x{y}", "a\\\"b", "(x)"] {
            let e = plan(&format!(
                "{LOGIN}[[group.step.extract]]\nname = \"v\"\nheader = '{h}'\n"
            ))
            .unwrap_err();
            assert!(e.contains("is not a header name"), "{h}: {e}");
        }
        assert!(
            plan(&format!(
                "{LOGIN}[[group.step.extract]]\nname = \"v\"\nheader = \"X-Req_id.1~\"\n"
            ))
            .is_ok()
        );
    }

    #[test]
    fn a_good_extractor_loads() {
        let p = plan(&format!(
            "{LOGIN}[[group.step.extract]]\nname = \"token\"\njson = \"/token\"\n\
             [[group.step]]\nname = \"acc\"\nurl = \"http://h/a\"\nheaders = {{ Authorization = \"Bearer ${{token}}\" }}\n"
        ))
        .unwrap();
        assert_eq!(p.groups[0].steps[0].extract[0].name, "token");
    }

    #[test]
    fn table_fields_are_named_with_their_indices() {
        let key = |text: &str| PlanFile::parse(text, "p").unwrap_err().key;
        let g = "[[group]]\nname = \"g\"\nusers = 1\npacing = { mode = \"fixed\", interval = \"1s\" }\n";
        let s = "[[group.step]]\nname = \"a\"\nurl = \"http://h/\"\n";
        let x = "[[group.step.extract]]\nname = \"t\"\n";
        assert_eq!(
            key(&format!("{g}{s}{x}scope = \"usr\"\njson = \"/a\"\n")),
            "group[0].step[0].extract[0].scope"
        );
        assert_eq!(
            key(&format!("{g}{s}{x}json = \"/a\"\n{x}jsn = \"/a\"\n")),
            "group[0].step[0].extract[1].jsn"
        );
        assert_eq!(
            key(&format!("{g}{s}{s}{x}jsn = \"/a\"\n")),
            "group[0].step[1].extract[0].jsn"
        );
        assert_eq!(
            key(&format!(
                "{g}data = {{ file = \"d.csv\", per = \"xx\" }}\n{s}"
            )),
            "group[0].data.per"
        );
        assert_eq!(
            key(&format!(
                "{g}[group.data]\nfile = \"d.csv\"\nper = \"xx\"\n{s}"
            )),
            "group[0].data.per"
        );
        assert_eq!(
            key(&format!(
                "{g}{s}think = {{ dist = \"nope\", mean = \"1s\" }}\n"
            )),
            "group[0].step[0].think.dist"
        );
        assert_eq!(
            key(&format!(
                "{g}{s}[group.step.think]\ndist = \"nope\"\nmean = \"1s\"\n"
            )),
            "group[0].step[0].think.dist"
        );
        assert_eq!(
            key(&format!("{g}{s}{g}{s}{s}timeout = \"x\"\n")),
            "group[1].step[1].timeout"
        );
        let e = PlanFile::parse(
            &format!("{g}{s}think = {{ dist = \"nope\", mean = \"1s\" }}\n"),
            "p",
        )
        .unwrap_err();
        assert!(!e.message.contains("in `dist`"), "{}", e.message);
    }

    #[test]
    fn bad_extractors_name_their_key() {
        let e = plan(&format!(
            "{LOGIN}[[group.step.extract]]\nname = \"t\"\njson = \"/a\"\nregex = \"x\"\n"
        ))
        .unwrap_err();
        assert!(e.contains("group[0].step[0].extract[0].regex"), "{e}");
        assert!(e.contains("exactly one"), "{e}");
        let e = plan(&format!(
            "{LOGIN}[[group.step.extract]]\nname = \"t\"\nregex = \"(unclosed\"\n"
        ))
        .unwrap_err();
        assert!(
            e.contains(
                "extract[0].regex: not a regular expression: unclosed group (at '(unclosed')"
            ),
            "{e}"
        );
        let e = plan(&format!(
            "{LOGIN}[[group.step.extract]]\nname = \"t\"\nregex = 'token\": \"([a-f0-9+'\n"
        ))
        .unwrap_err();
        assert!(
            e.ends_with(
                "regex: not a regular expression: unclosed character class (at 'token\": \"([a-f0-9+')"
            ),
            "{e}"
        );
        let e = plan(&format!(
            "{LOGIN}[[group.step.extract]]\nname = \"t\"\njson = \"token\"\n"
        ))
        .unwrap_err();
        assert!(
            e.contains("'token' is not a JSON pointer: it must start with '/'"),
            "{e}"
        );
        let e = plan(&format!(
            "{LOGIN}[[group.step.extract]]\nname = \"t\"\njsonpath = \"$[\"\n"
        ))
        .unwrap_err();
        assert!(e.contains("extract[0].jsonpath"), "{e}");
        let e = plan(&format!(
            "{LOGIN}[[group.step.extract]]\nname = \"t\"\nheader = \"X\"\n[[group.step.extract]]\nname = \"t\"\nheader = \"Y\"\n"
        ))
        .unwrap_err();
        assert!(
            e.contains("extract[1].name") && e.contains("already extracted"),
            "{e}"
        );
        let e = plan(&format!(
            "{LOGIN}[[group.step.extract]]\nname = \"t\"\nfoo = 1\n"
        ))
        .unwrap_err();
        assert!(e.contains("unknown field `foo`"), "{e}");
    }

    #[test]
    fn a_variable_used_before_it_is_extracted_is_refused() {
        let e = plan(&format!(
            "[[group.step]]\nname = \"first\"\nurl = \"http://h/${{token}}\"\n{LOGIN}[[group.step.extract]]\nname = \"token\"\njson = \"/token\"\n"
        ))
        .unwrap_err();
        assert!(e.contains("group[0].step[0].url"), "{e}");
        assert!(e.contains("before step 'login' extracts it"), "{e}");
        // With a default, or kept for the user's later iterations: fine.
        plan(&format!(
            "[[group.step]]\nname = \"first\"\nurl = \"http://h/${{token:-none}}\"\n{LOGIN}[[group.step.extract]]\nname = \"token\"\njson = \"/token\"\n"
        ))
        .unwrap();
        plan(&format!(
            "[[group.step]]\nname = \"first\"\nurl = \"http://h/${{token}}\"\n{LOGIN}[[group.step.extract]]\nname = \"token\"\njson = \"/token\"\nscope = \"user\"\n"
        ))
        .unwrap();
    }
}
