//! `${VAR}` and `${VAR:-default}` in plan values: expanded by the runner
//! before sending, and by exporters that print a step's URL.

/// One piece of a text with `${VAR}`s, as [`pieces`] splits it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Piece<'a> {
    /// Text outside any `${...}`.
    Text(&'a str),
    /// `${name}` or `${name:-default}`; `raw` is the whole `${...}`.
    Var {
        name: &'a str,
        default: Option<&'a str>,
        raw: &'a str,
    },
    /// A `${` with no `}` after it (the rest of the text): always last.
    Unclosed,
}

/// Splits `text` into literal text and `${VAR}`/`${VAR:-default}`
/// references, in order. The one reader of the syntax: expansion, the
/// runtime templates, the lists of references and the Kubernetes check
/// all go through it, so they cannot disagree on what a variable is.
pub fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        if i > 0 {
            out.push(Piece::Text(&rest[..i]));
        }
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            out.push(Piece::Unclosed);
            return out;
        };
        let inner = &after[..end];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (inner, None),
        };
        out.push(Piece::Var {
            name,
            default,
            raw: &rest[i..i + 2 + end + 1],
        });
        rest = &after[end + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

/// The value `${name:-default}` takes when the variable's value is
/// `value`: a set, non-empty value; else the default; else a set empty
/// value; `None` when unset without a default (shell's `:-`).
pub fn resolve(value: Option<String>, default: Option<&str>) -> Option<String> {
    match (value, default) {
        (Some(v), _) if !v.is_empty() => Some(v),
        (_, Some(d)) => Some(d.to_string()),
        (v, None) => v,
    }
}

/// The error for a `${` without its `}`.
pub fn unclosed(text: &str) -> String {
    format!("unclosed '${{' in {}", crate::visible::quoted(text))
}

/// `${VAR}` and `${VAR:-default}`; an unset variable without default is an error.
pub fn expand(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    for p in pieces(text) {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Var { name, default, .. } => match resolve(lookup(name), default) {
                Some(v) => out.push_str(&v),
                None => {
                    return Err(format!(
                        "${{{name}}} is not set (use ${{{name}:-default}} for a default)"
                    ));
                }
            },
            Piece::Unclosed => return Err(unclosed(text)),
        }
    }
    Ok(out)
}

/// The variables `text` uses, in order: (name, whether it has a
/// `:-default`). An unclosed `${` ends the list (expansion reports it).
pub fn references(text: &str) -> Vec<(&str, bool)> {
    pieces(text)
        .into_iter()
        .filter_map(|p| match p {
            Piece::Var { name, default, .. } => Some((name, default.is_some())),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_split_text_variables_and_an_unclosed_tail() {
        assert_eq!(
            pieces("a${X}b${Y:-d:-e}${Z"),
            vec![
                Piece::Text("a"),
                Piece::Var {
                    name: "X",
                    default: None,
                    raw: "${X}"
                },
                Piece::Text("b"),
                Piece::Var {
                    name: "Y",
                    default: Some("d:-e"),
                    raw: "${Y:-d:-e}"
                },
                Piece::Unclosed,
            ]
        );
        assert_eq!(resolve(Some(String::new()), Some("d")), Some("d".into()));
        assert_eq!(resolve(Some(String::new()), None), Some(String::new()));
        assert_eq!(resolve(None, None), None);
    }

    #[test]
    fn references_are_listed_with_their_defaults() {
        assert_eq!(
            references("http://${HOST}/u/${user:-x}?t=${t"),
            vec![("HOST", false), ("user", true)]
        );
        assert!(references("plain").is_empty());
    }

    #[test]
    fn variables_expand() {
        let env = |k: &str| match k {
            "HOST" => Some("127.0.0.1:9".to_string()),
            _ => None,
        };
        assert_eq!(
            expand("http://${HOST}/x", &env).unwrap(),
            "http://127.0.0.1:9/x"
        );
        assert_eq!(expand("${NOPE:-http://d}/", &env).unwrap(), "http://d/");
        assert!(expand("${NOPE}", &env).unwrap_err().contains("NOPE"));
        assert!(expand("${HOST", &env).is_err());
    }
}
