//! A virtual user's cookie jar: the cookies a target sets are sent back on
//! the user's later requests (RFC 6265's storage and matching, by the
//! `cookie_store` crate reqwest's own jar uses), within the limits RFC 6265
//! §6.1 asks a user agent to hold at least: [`MAX_COOKIE_BYTES`] per cookie
//! and [`MAX_COOKIES`] per jar. A target that sets a new cookie every
//! iteration (a tracking id, a timestamped name) would otherwise grow every
//! user's jar, and the run's memory with it, for the whole run.

use reqwest::header::HeaderValue;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The longest `Set-Cookie` value kept, bytes (name, value and attributes):
/// RFC 6265 §6.1's 4096, the size browsers cap a cookie at. A longer one
/// is ignored, as a browser ignores it.
pub const MAX_COOKIE_BYTES: usize = 4096;

/// The most cookies one user's jar holds: RFC 6265 §6.1's 50 per domain
/// (a user of a load test talks to one site or a few). Once full, a new
/// cookie is refused and the ones held are kept: the session a login set
/// early outlives the cookies a misbehaving target keeps adding. Expired
/// cookies are dropped first to make room. At most 50 x 4 KiB = 200 KiB a
/// user, whatever the target sends.
pub const MAX_COOKIES: usize = 50;

/// One virtual user's jar. Empty until the first `Set-Cookie`: a target
/// that sets none (most API load tests) costs no lock, no matching and no
/// empty `Cookie` header per request.
#[derive(Default)]
pub struct UserJar {
    store: Mutex<cookie_store::CookieStore>,
    any: AtomicBool,
    refused: AtomicU64,
}

impl UserJar {
    /// How many cookies were refused because the jar was full or the
    /// cookie too long.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// The cookies held (expired ones included until room is needed).
    pub fn len(&self) -> usize {
        self.store.lock().map_or(0, |s| s.iter_any().count())
    }

    /// True when the jar holds no cookie.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl reqwest::cookie::CookieStore for UserJar {
    fn set_cookies(
        &self,
        cookie_headers: &mut dyn Iterator<Item = &HeaderValue>,
        url: &reqwest::Url,
    ) {
        let mut headers = cookie_headers.peekable();
        if headers.peek().is_none() {
            return;
        }
        self.any.store(true, Ordering::Relaxed);
        let Ok(mut store) = self.store.lock() else {
            return;
        };
        for h in headers {
            if h.len() > MAX_COOKIE_BYTES {
                self.refused.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            let Some(raw) = std::str::from_utf8(h.as_bytes())
                .ok()
                .and_then(|s| cookie_store::RawCookie::parse(s.to_owned()).ok())
            else {
                continue;
            };
            let Ok(c) = cookie_store::Cookie::try_from_raw_cookie(&raw, url) else {
                continue;
            };
            let (domain, path) = (String::from(&c.domain), String::from(&c.path));
            // A cookie the jar holds is replaced (or removed, by an
            // expired one) in place: no growth.
            if !store.contains_any(&domain, &path, c.name()) && !c.is_expired() {
                if store.iter_any().count() >= MAX_COOKIES {
                    let expired: Vec<(String, String, String)> = store
                        .iter_any()
                        .filter(|k| k.is_expired())
                        .map(|k| {
                            (
                                String::from(&k.domain),
                                String::from(&k.path),
                                k.name().to_string(),
                            )
                        })
                        .collect();
                    for (d, p, n) in expired {
                        store.remove(&d, &p, &n);
                    }
                }
                if store.iter_any().count() >= MAX_COOKIES {
                    self.refused.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            }
            let _ = store.insert(c.into_owned(), url);
        }
    }

    fn cookies(&self, url: &reqwest::Url) -> Option<HeaderValue> {
        if !self.any.load(Ordering::Relaxed) {
            return None;
        }
        let store = self.store.lock().ok()?;
        let s = store
            .get_request_values(url)
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        if s.is_empty() {
            return None;
        }
        // from_bytes, not from_str: a value may hold bytes past ASCII
        // (obs-text), which reqwest's own jar sends too.
        HeaderValue::from_bytes(s.as_bytes()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::cookie::CookieStore;

    fn set(jar: &UserJar, url: &reqwest::Url, v: &str) {
        let h = HeaderValue::from_str(v).unwrap();
        jar.set_cookies(&mut std::iter::once(&h), url);
    }

    /// Empty, the jar answers nothing; once a response sets a cookie it
    /// goes back to its site and path only, as reqwest's jar sends it.
    #[test]
    fn the_jar_wakes_at_the_first_cookie_and_then_matches_as_reqwest_does() {
        let jar = UserJar::default();
        let home: reqwest::Url = "http://127.0.0.1:8080/home".parse().unwrap();
        let other: reqwest::Url = "http://127.0.0.2:8080/home".parse().unwrap();
        assert_eq!(jar.cookies(&home), None);
        jar.set_cookies(&mut std::iter::empty(), &home);
        assert_eq!(jar.cookies(&home), None, "no Set-Cookie: still asleep");
        set(&jar, &home, "session=abc; Path=/");
        assert_eq!(
            jar.cookies(&home),
            Some(HeaderValue::from_static("session=abc"))
        );
        assert_eq!(jar.cookies(&other), None, "another host gets none");
        // Replaced in place, and removed by an expired one.
        set(&jar, &home, "session=def; Path=/");
        assert_eq!(
            jar.cookies(&home),
            Some(HeaderValue::from_static("session=def"))
        );
        set(&jar, &home, "session=x; Path=/; Max-Age=0");
        assert_eq!(jar.cookies(&home), None);
        // A value past ASCII goes back as it came.
        let h = HeaderValue::from_bytes("name=caf\u{e9}; Path=/".as_bytes()).unwrap();
        jar.set_cookies(&mut std::iter::once(&h), &home);
        let sent = jar.cookies(&home).unwrap();
        assert!(
            sent.as_bytes().ends_with("name=caf\u{e9}".as_bytes()),
            "{sent:?}"
        );
    }

    /// A target that sets a new cookie on every response: the jar stops at
    /// 50 and keeps the session set first; a 5 KiB cookie is ignored; an
    /// update of a held cookie still lands when the jar is full.
    #[test]
    fn a_jar_fed_a_new_cookie_every_iteration_stays_at_its_limit() {
        let jar = UserJar::default();
        let url: reqwest::Url = "http://127.0.0.1:8080/".parse().unwrap();
        set(&jar, &url, "session=s1; Path=/");
        for i in 0..10_000 {
            set(&jar, &url, &format!("track{i}=x; Path=/"));
        }
        assert_eq!(jar.len(), MAX_COOKIES);
        assert_eq!(jar.refused(), 10_000 - (MAX_COOKIES as u64 - 1));
        set(&jar, &url, "session=s2; Path=/");
        let sent = jar.cookies(&url).unwrap();
        assert!(sent.to_str().unwrap().contains("session=s2"), "{sent:?}");
        let big = format!("big={}; Path=/", "v".repeat(MAX_COOKIE_BYTES));
        let before = jar.refused();
        set(&jar, &url, &big);
        assert_eq!(jar.refused(), before + 1);
        assert!(
            !jar.cookies(&url)
                .unwrap()
                .to_str()
                .unwrap()
                .contains("big=")
        );
        // Expired cookies make room: every tracker removed, new ones fit.
        for i in 0..(MAX_COOKIES - 1) {
            set(&jar, &url, &format!("track{i}=x; Path=/; Max-Age=0"));
        }
        set(&jar, &url, "fresh=1; Path=/");
        assert!(
            jar.cookies(&url)
                .unwrap()
                .to_str()
                .unwrap()
                .contains("fresh=1")
        );
    }
}
