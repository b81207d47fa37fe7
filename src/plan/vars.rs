//! `${VAR}` and `${VAR:-default}` in plan values: expanded by the runner
//! before sending, and by exporters that print a step's URL.

/// `${VAR}` and `${VAR:-default}`; an unset variable without default is an error.
pub fn expand(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            return Err(format!("unclosed '${{' in '{text}'"));
        };
        let inner = &after[..end];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (inner, None),
        };
        match (lookup(name), default) {
            (Some(v), _) if !v.is_empty() => out.push_str(&v),
            (_, Some(d)) => out.push_str(d),
            (Some(v), None) => out.push_str(&v),
            (None, None) => {
                return Err(format!(
                    "${{{name}}} is not set (use ${{{name}:-default}} for a default)"
                ));
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The variables `text` uses, in order: (name, whether it has a
/// `:-default`). An unclosed `${` ends the list (expansion reports it).
pub fn references(text: &str) -> Vec<(&str, bool)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else { break };
        let inner = &after[..end];
        out.push(match inner.split_once(":-") {
            Some((n, _)) => (n, true),
            None => (inner, false),
        });
        rest = &after[end + 1..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
