//! A step's text (URL, header value, body) that uses runtime variables
//! (test-data columns, extracted values): split once at build time into
//! literal text and variables, so each send only concatenates. Every other
//! `${VAR}` is expanded at build time, as in a step without runtime ones.

use crate::plan::vars::{Piece, expand, pieces, resolve, unclosed};

/// One piece of a template.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    Text(String),
    /// A runtime variable, with its `:-default` if any.
    Var {
        name: String,
        default: Option<String>,
    },
}

/// A text with runtime variables left in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Template(pub Vec<Segment>);

impl Template {
    /// Splits `text`: variables for which `runtime` is true stay variables,
    /// the others are expanded now with `lookup` (errors as
    /// [`expand`]'s). `None` when it uses no runtime variable.
    pub fn build(
        text: &str,
        runtime: &dyn Fn(&str) -> bool,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Template>, String> {
        let mut segs = Vec::new();
        let mut lit = String::new();
        let mut any = false;
        for p in pieces(text) {
            match p {
                Piece::Text(t) => lit.push_str(t),
                Piece::Var { name, default, .. } if runtime(name) => {
                    any = true;
                    if !lit.is_empty() {
                        segs.push(Segment::Text(std::mem::take(&mut lit)));
                    }
                    segs.push(Segment::Var {
                        name: name.to_string(),
                        default: default.map(str::to_string),
                    });
                }
                Piece::Var { raw, .. } => lit.push_str(&expand(raw, lookup)?),
                Piece::Unclosed => return Err(unclosed(text)),
            }
        }
        if !lit.is_empty() {
            segs.push(Segment::Text(lit));
        }
        Ok(any.then_some(Template(segs)))
    }

    /// The text with `vars`' values; an unset variable without a default
    /// is an error naming it. A set but empty value takes the default, as
    /// at build time.
    pub fn render(&self, vars: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
        let mut out = String::new();
        for s in &self.0 {
            match s {
                Segment::Text(t) => out.push_str(t),
                Segment::Var { name, default } => match resolve(vars(name), default.as_deref()) {
                    Some(v) => out.push_str(&v),
                    None => return Err(name.clone()),
                },
            }
        }
        Ok(out)
    }

    /// The template as the plan wrote it (variables as `${name}`), for
    /// messages: never a runtime value, which may be a secret.
    pub fn plain(&self) -> String {
        let mut out = String::new();
        for s in &self.0 {
            match s {
                Segment::Text(t) => out.push_str(t),
                Segment::Var { name, .. } => {
                    out.push_str("${");
                    out.push_str(name);
                    out.push('}');
                }
            }
        }
        out
    }
}

/// The parts of a step that use runtime variables.
#[derive(Debug, Clone, Default)]
pub struct StepTemplate {
    pub url: Option<Template>,
    /// Header name and value template; the step's other headers are fixed.
    pub headers: Vec<(String, Template)>,
    pub body: Option<Template>,
}

/// A step's request as its runtime variables made it.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Its size, as [`super::http::request_size`] counts it.
    pub sent_bytes: u64,
    /// The request in the client's types: the step's prepared parts,
    /// with the rendered ones parsed once here.
    pub prepared: super::http::Prepared,
}

impl StepTemplate {
    /// True when nothing in the step uses a runtime variable.
    pub fn is_empty(&self) -> bool {
        self.url.is_none() && self.headers.is_empty() && self.body.is_none()
    }

    /// The request for one send: `step`'s fixed parts and these rendered
    /// with `vars`. Errors (one line, naming the field and never a value,
    /// which may be a secret): a variable not set, or a URL or header
    /// value that the values made invalid.
    pub fn render(
        &self,
        step: &super::http::Step,
        vars: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Rendered, RenderError> {
        fn unset(field: &'static str) -> impl Fn(String) -> RenderError {
            move |name| RenderError::Unset(format!("${{{name}}} in its {field}"))
        }
        let mut prepared = step.prepared.clone();
        let url = match &self.url {
            Some(t) => {
                let u = t.render(vars).map_err(unset("url"))?;
                match reqwest::Url::parse(&u) {
                    Ok(p) if p.scheme() == "http" || p.scheme() == "https" => {
                        prepared.url = p;
                        u
                    }
                    _ => {
                        return Err(RenderError::Invalid(format!(
                            "its url '{}' with the values of this iteration is not an http(s) URL",
                            t.plain()
                        )));
                    }
                }
            }
            None => step.url.clone(),
        };
        let mut headers = step.headers.clone();
        for (k, t) in &self.headers {
            let v = t.render(vars).map_err(unset("headers"))?;
            let invalid = || {
                RenderError::Invalid(format!(
                    "its header {k} = '{}' with the values of this iteration is not a valid header value",
                    t.plain()
                ))
            };
            let value = reqwest::header::HeaderValue::from_str(&v).map_err(|_| invalid())?;
            // The name was checked when the step was built.
            let name =
                reqwest::header::HeaderName::from_bytes(k.as_bytes()).map_err(|_| invalid())?;
            // After the step's fixed headers, as a send always put them.
            prepared.headers.append(name, value);
            headers.push((k.clone(), v));
        }
        let body = match &self.body {
            Some(t) => Some(t.render(vars).map_err(unset("body"))?),
            None => step.body.clone(),
        };
        let sent_bytes = super::http::request_size(&step.method, &url, &headers, body.as_deref());
        if self.body.is_some() {
            prepared.body = body.map(bytes::Bytes::from);
        }
        Ok(Rendered {
            sent_bytes,
            prepared,
        })
    }
}

/// Why a step's request could not be made.
#[derive(Debug, Clone, PartialEq)]
pub enum RenderError {
    /// A variable has no value (`${name} in its url`).
    Unset(String),
    /// The values made an invalid URL or header.
    Invalid(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime(n: &str) -> bool {
        n == "user" || n == "token"
    }

    fn env(n: &str) -> Option<String> {
        (n == "HOST").then(|| "127.0.0.1:9".into())
    }

    #[test]
    fn only_runtime_variables_stay_variables() {
        let t = Template::build("http://${HOST}/u/${user}?x=1", &runtime, &env)
            .unwrap()
            .unwrap();
        assert_eq!(
            t.0,
            vec![
                Segment::Text("http://127.0.0.1:9/u/".into()),
                Segment::Var {
                    name: "user".into(),
                    default: None
                },
                Segment::Text("?x=1".into()),
            ]
        );
        assert_eq!(t.plain(), "http://127.0.0.1:9/u/${user}?x=1");
        assert_eq!(
            Template::build("http://${HOST}/", &runtime, &env).unwrap(),
            None
        );
        // Build-time errors are expansion's.
        assert!(
            Template::build("${NOPE}/${user}", &runtime, &env)
                .unwrap_err()
                .contains("NOPE")
        );
        assert!(Template::build("${user", &runtime, &env).is_err());
    }

    #[test]
    fn rendering_takes_values_then_defaults() {
        let t = Template::build("Bearer ${token:-none} for ${user}", &runtime, &env)
            .unwrap()
            .unwrap();
        let vals = |n: &str| match n {
            "user" => Some("ann".to_string()),
            "token" => Some("tok-1".to_string()),
            _ => None,
        };
        assert_eq!(t.render(&vals).unwrap(), "Bearer tok-1 for ann");
        let only_user = |n: &str| (n == "user").then(|| "bob".to_string());
        assert_eq!(t.render(&only_user).unwrap(), "Bearer none for bob");
        assert_eq!(t.render(&|_| None).unwrap_err(), "user");
    }
}
