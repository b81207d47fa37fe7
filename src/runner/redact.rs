//! Secrets kept out of everything a run records.
//!
//! The rule (docs/security.md): every value a `${VAR}` of the plan took
//! from the environment is a secret, and so is the password of a step's
//! URL. Values pace sets itself (`PACE_TARGET`, the embedded target's
//! address) are not. Secrets are replaced by `${VAR}` (a URL password by
//! `***`) in every text a run records, so a reader still sees which
//! variable was there. HTTP libraries format errors with the full URL, and
//! a URL carries its values percent-encoded, so each secret is looked for
//! in the forms a URL gives it too.
//!
//! Values shorter than [`MIN_SECRET_LEN`] characters are left alone: a
//! port or a flag such as `80` or `on` would otherwise be replaced inside
//! every number and word of every message, and a value that short protects
//! nothing.

use reqwest::Url;
use std::borrow::Cow;

/// Secrets shorter than this (in characters) are not redacted.
pub const MIN_SECRET_LEN: usize = 4;

/// What replaces a URL's password.
const PASSWORD_MASK: &str = "***";

/// Every secret of a run and what replaces it.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// (text to find, its replacement), longest first, so a secret that
    /// holds another is replaced whole.
    needles: Vec<(String, String)>,
}

impl Redactor {
    /// Adds the value of the environment variable `name`, as written and
    /// in each form a URL may give it (percent-encoded in a path, query,
    /// fragment or userinfo, or normalised when the value is a whole URL).
    pub fn add_variable(&mut self, name: &str, value: &str) {
        let replacement = format!("${{{name}}}");
        for form in url_forms(value) {
            self.add(form, &replacement);
        }
        self.add(value.to_string(), &replacement);
        // A value that is a whole URL may carry a password of its own.
        if let Ok(u) = Url::parse(value)
            && let Some(p) = u.password()
        {
            self.add(p.to_string(), &replacement);
        }
    }

    /// Adds the password of `url`'s userinfo (`https://user:PASSWORD@host/`),
    /// if it has one, as it appears in the URL and decoded.
    pub fn add_url_password(&mut self, url: &str) {
        let Ok(u) = Url::parse(url) else {
            return;
        };
        if let Some(p) = u.password() {
            self.add(p.to_string(), PASSWORD_MASK);
            if let Ok(decoded) = percent_decode(p) {
                self.add(decoded, PASSWORD_MASK);
            }
        }
    }

    /// True when there is nothing to redact.
    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// `text` with every secret replaced; borrowed when it holds none.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        // The common case (most texts are empty or hold no secret) costs
        // one substring search per secret and allocates nothing.
        if !self.needles.iter().any(|(n, _)| text.contains(n.as_str())) {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        'scan: while i < text.len() {
            let rest = &text[i..];
            for (needle, replacement) in &self.needles {
                if rest.starts_with(needle.as_str()) {
                    out.push_str(replacement);
                    i += needle.len();
                    continue 'scan;
                }
            }
            let c = rest.chars().next().expect("i is on a char boundary");
            out.push(c);
            i += c.len_utf8();
        }
        Cow::Owned(out)
    }

    /// Redacts `text` where it is, allocating only when it holds a secret.
    pub fn redact_in_place(&self, text: &mut String) {
        let redacted = match self.redact(text) {
            Cow::Owned(r) => r,
            Cow::Borrowed(_) => return,
        };
        *text = redacted;
    }

    fn add(&mut self, needle: String, replacement: &str) {
        if needle.chars().count() < MIN_SECRET_LEN || self.needles.iter().any(|(n, _)| *n == needle)
        {
            return;
        }
        self.needles.push((needle, replacement.to_string()));
        // Stable: of two variables with one value, the first named wins.
        self.needles
            .sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
    }
}

/// The forms `value` takes inside a URL, as the `url` crate (the one
/// reqwest formats its errors with) encodes it in each part.
fn url_forms(value: &str) -> Vec<String> {
    let mut forms = Vec::new();
    let Ok(base) = Url::parse("http://pace.invalid/") else {
        return forms;
    };
    let mut u = base.clone();
    u.set_query(Some(value));
    forms.extend(u.query().map(str::to_string));
    let mut u = base.clone();
    u.set_fragment(Some(value));
    forms.extend(u.fragment().map(str::to_string));
    let mut u = base.clone();
    u.set_path(value);
    forms.push(u.path().strip_prefix('/').unwrap_or(u.path()).to_string());
    let mut u = base.clone();
    if u.set_password(Some(value)).is_ok() {
        forms.extend(u.password().map(str::to_string));
    }
    let mut u = base;
    if u.set_username(value).is_ok() {
        forms.push(u.username().to_string());
    }
    if let Ok(whole) = Url::parse(value) {
        forms.push(whole.to_string());
    }
    forms.retain(|f| f != value);
    forms
}

/// `%XX` sequences decoded; an error for text that does not decode to UTF-8.
fn percent_decode(s: &str) -> Result<String, ()> {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push(hi << 4 | lo);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> Redactor {
        let mut r = Redactor::default();
        for (k, v) in vars {
            r.add_variable(k, v);
        }
        r
    }

    #[test]
    fn a_secret_is_replaced_by_its_variable_everywhere() {
        let r = with(&[("SECRET", "hunter2xyz")]);
        assert_eq!(
            r.redact("error sending request for url (http://127.0.0.1:9/api?token=hunter2xyz): hunter2xyz"),
            "error sending request for url (http://127.0.0.1:9/api?token=${SECRET}): ${SECRET}"
        );
        assert!(matches!(r.redact("no secret here"), Cow::Borrowed(_)));
        assert!(matches!(r.redact(""), Cow::Borrowed(_)));
    }

    #[test]
    fn percent_encoded_forms_are_found() {
        let r = with(&[("PASS", "p@ss word/ü#1")]);
        let mut u = Url::parse("http://h/").unwrap();
        u.set_query(Some("k=p@ss word/ü#1"));
        let text = format!("for url ({u})");
        let red = r.redact(&text);
        assert!(!red.contains("ss%20word"), "{red}");
        assert!(red.contains("k=${PASS}"), "{red}");
        let mut u = Url::parse("http://h/").unwrap();
        u.set_path("p@ss word/ü#1");
        let red = r.redact(u.as_str()).into_owned();
        assert_eq!(red, "http://h/${PASS}");
    }

    #[test]
    fn a_url_password_is_masked() {
        let mut r = Redactor::default();
        r.add_url_password("https://me:s%40cret1@example.invalid/x");
        r.add_url_password("not a url");
        r.add_url_password("https://example.invalid/no-userinfo");
        assert_eq!(
            r.redact("url (https://me:s%40cret1@example.invalid/x), s@cret1"),
            "url (https://me:***@example.invalid/x), ***"
        );
    }

    #[test]
    fn short_values_are_left_alone_and_longest_wins() {
        let r = with(&[("PORT", "80"), ("A", "abcd"), ("B", "abcdef")]);
        assert!(!r.is_empty());
        assert_eq!(r.redact("80 abcdefg abcd"), "80 ${B}g ${A}");
        assert!(with(&[("E", ""), ("F", "abc")]).is_empty());
    }

    #[test]
    fn a_whole_url_in_a_variable_is_found_normalised() {
        let r = with(&[("API", "HTTP://user:pw12345@Example.invalid")]);
        let red = r.redact("for url (http://user:pw12345@example.invalid/)");
        assert!(!red.contains("pw12345"), "{red}");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%40b%2"), Ok("a@b%2".to_string()));
        assert_eq!(percent_decode("%ff"), Err(()));
    }
}
