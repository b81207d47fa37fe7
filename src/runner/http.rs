//! One HTTP step: send, read, check expectations, classify errors.
//!
//! A response body is streamed and discarded as it arrives, only counted:
//! a hostile or broken target (a huge `Content-Length`, an endless chunked
//! body) costs pace time, bounded by the step's timeout, never memory.
//! `expect.body_contains` is searched chunk by chunk with [`Scan`], which
//! keeps only the last `needle length - 1` bytes between chunks. A step's
//! `max_body` (default [`DEFAULT_MAX_BODY`] when it checks the body, no
//! limit otherwise) fails a longer body as `io` "body too large".

use super::extract::Extractor;
use super::template::{Rendered, StepTemplate, Template};
use crate::plan::bytesize::format_byte_size;
use crate::plan::file::StepSection;
use crate::plan::think::ThinkDraw;
use crate::plan::vars::expand;
use crate::results::sample::ErrorKind;
use memchr::memmem::Finder;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The longest body, in bytes, a step with `expect.body_contains` accepts
/// unless its `max_body` says otherwise: 1 MiB. A page one checks for a
/// word is rarely larger; a body that is (or never ends) fails at once as
/// "body too large" instead of running into the timeout.
pub const DEFAULT_MAX_BODY: u64 = 1 << 20;

/// A step with its variables expanded, ready to send many times.
#[derive(Debug, Clone)]
pub struct Step {
    /// Shared with every sample of the step.
    pub name: std::sync::Arc<str>,
    pub method: reqwest::Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub timeout: Duration,
    /// The pause after the step, drawn per user.
    pub think: ThinkDraw,
    pub expect_status: Option<u16>,
    pub expect_body: Option<String>,
    /// The longest body accepted, in bytes; `None`: no limit.
    pub max_body: Option<u64>,
    /// Bytes of the request in its HTTP/1.1 form (see [`request_size`]):
    /// the same on every send, so computed once here, not per request.
    pub sent_bytes: u64,
    /// Values taken from the response for later steps.
    pub extractors: Vec<Extractor>,
    /// The parts that use runtime variables (test data, extracted values),
    /// rendered for each send; `None`: the step is sent as built.
    pub dynamic: Option<Box<StepTemplate>>,
    /// The request in the client's own types, parsed once here: a send
    /// only clones it (the URL is never parsed again per request).
    pub prepared: Prepared,
}

/// A request's URL, headers and body as the HTTP client takes them. Built
/// once per step (or per rendering of a step with runtime variables).
#[derive(Debug, Clone)]
pub struct Prepared {
    pub url: reqwest::Url,
    pub headers: reqwest::header::HeaderMap,
    /// Shared, not copied, by every send.
    pub body: Option<bytes::Bytes>,
}

impl Prepared {
    /// Parses `url` and the headers (appended in order, so a repeated
    /// name is sent repeated). Errors: what is invalid, in words, without
    /// the value (it may hold a secret).
    pub fn new(
        url: &str,
        headers: &[(String, String)],
        body: Option<&str>,
    ) -> Result<Prepared, String> {
        use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
        let url = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
        let mut map = HeaderMap::with_capacity(headers.len());
        for (k, v) in headers {
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| format!("'{k}' is not a valid header name"))?;
            let value = HeaderValue::from_str(v)
                .map_err(|_| format!("header {k}: not a valid header value"))?;
            map.append(name, value);
        }
        Ok(Prepared {
            url,
            headers: map,
            body: body.map(|b| bytes::Bytes::copy_from_slice(b.as_bytes())),
        })
    }
}

impl Step {
    /// Expands `${VAR}` and `${VAR:-default}` with `lookup` (the embedded
    /// target's address first, then the environment). Errors name the field.
    pub fn build(
        s: &StepSection,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Step, (&'static str, String)> {
        Step::build_with(s, lookup, &|_| false)
    }

    /// [`Step::build`], leaving the variables for which `runtime` is true
    /// (test-data columns, extracted names) to each send: a URL, header or
    /// body that uses one is kept as a template, checked when it is sent.
    pub fn build_with(
        s: &StepSection,
        lookup: &dyn Fn(&str) -> Option<String>,
        runtime: &dyn Fn(&str) -> bool,
    ) -> Result<Step, (&'static str, String)> {
        let mut dynamic = StepTemplate::default();
        let url_t = Template::build(&s.url, runtime, lookup).map_err(|e| ("url", e))?;
        let mut header_ts = Vec::new();
        for (k, v) in &s.headers {
            if let Some(t) = Template::build(v, runtime, lookup).map_err(|e| ("headers", e))? {
                header_ts.push((k.clone(), t));
            }
        }
        let body_t = match &s.body {
            Some(b) => Template::build(b, runtime, lookup).map_err(|e| ("body", e))?,
            None => None,
        };
        let method = reqwest::Method::from_bytes(s.method.to_ascii_uppercase().as_bytes())
            .map_err(|_| ("method", format!("'{}' is not an HTTP method", s.method)))?;
        // Errors quote what the plan says, never the expanded value: an
        // environment variable may hold a secret.
        let url = match &url_t {
            Some(t) => t.plain(),
            None => expand(&s.url, lookup).map_err(|e| ("url", e))?,
        };
        match reqwest::Url::parse(&url) {
            _ if url_t.is_some() => {}
            Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {}
            Ok(u) => {
                return Err((
                    "url",
                    format!("'{}': scheme '{}' is not http or https", s.url, u.scheme()),
                ));
            }
            Err(e) => return Err(("url", format!("'{}' is not a URL: {e}", s.url))),
        }
        let mut headers = Vec::new();
        for (k, v) in &s.headers {
            if reqwest::header::HeaderName::from_bytes(k.as_bytes()).is_err() {
                return Err(("headers", format!("'{k}' is not a valid header name")));
            }
            if header_ts.iter().any(|(n, _)| n == k) {
                continue;
            }
            let value = expand(v, lookup).map_err(|e| ("headers", e))?;
            if reqwest::header::HeaderValue::from_str(&value).is_err() {
                return Err((
                    "headers",
                    format!(
                        "{k} = '{}' is not a valid header value (control characters or non-ASCII text)",
                        v.escape_debug()
                    ),
                ));
            }
            headers.push((k.clone(), value));
        }
        let body = match (&s.body, &body_t) {
            (Some(_), Some(_)) => None,
            (Some(b), None) => Some(expand(b, lookup).map_err(|e| ("body", e))?),
            (None, _) => None,
        };
        let extractors = s
            .extract
            .iter()
            .map(Extractor::build)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|(_, m)| ("extract", m))?;
        let think = match &s.think {
            Some(t) => t.draw().map_err(|(_, m)| ("think", m))?,
            None => ThinkDraw::ZERO,
        };
        let expect = s.expect.clone().unwrap_or_default();
        let sent_bytes = request_size(&method, &url, &headers, body.as_deref());
        // A templated URL is parsed per rendering; until then its plain
        // form (`${name}` left in) stands in, never sent.
        let prepared = Prepared::new(
            if url_t.is_some() {
                "http://template.invalid/"
            } else {
                &url
            },
            &headers,
            body.as_deref(),
        )
        .map_err(|e| ("url", format!("'{}': {e}", s.url)))?;
        // Body extractors need the body: bounded as `body_contains` is.
        let max_body = s.max_body.map(|b| b.0).or((expect.body_contains.is_some()
            || extractors.iter().any(Extractor::needs_body))
        .then_some(DEFAULT_MAX_BODY));
        dynamic.url = url_t;
        dynamic.headers = header_ts;
        dynamic.body = body_t;
        Ok(Step {
            name: s.name.as_str().into(),
            method,
            url,
            headers,
            body,
            timeout: Duration::from_secs_f64(s.timeout.map(|t| t.0).unwrap_or(10.0)),
            think,
            expect_status: expect.status,
            expect_body: expect.body_contains,
            max_body,
            sent_bytes,
            extractors,
            dynamic: (!dynamic.is_empty()).then(|| Box::new(dynamic)),
            prepared,
        })
    }
}

/// The bytes of a request as hyper writes it over HTTP/1.1 for pace's
/// client: the request line (origin form), `host`, reqwest's default
/// `accept: */*`, the step's headers, `content-length` when there is a
/// body, the blank line, and the body. What pace asks to send, not what
/// a socket counted: over HTTP/2 (HPACK-compressed headers) or through a
/// proxy the bytes on the wire differ.
pub fn request_size(
    method: &reqwest::Method,
    url: &str,
    headers: &[(String, String)],
    body: Option<&str>,
) -> u64 {
    let Ok(u) = reqwest::Url::parse(url) else {
        return 0;
    };
    let target = u.path().len() + u.query().map_or(0, |q| q.len() + 1);
    // "GET /path?q HTTP/1.1\r\n"
    let mut n = method.as_str().len() + 1 + target + " HTTP/1.1\r\n".len();
    let host = u.host_str().unwrap_or("").len() + u.port().map_or(0, |p| p.to_string().len() + 1);
    let line = |name: usize, value: usize| name + ": ".len() + value + "\r\n".len();
    let sets = |h: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(h));
    if !sets("host") {
        n += line("host".len(), host);
    }
    if !sets("accept") {
        n += line("accept".len(), "*/*".len());
    }
    for (k, v) in headers {
        n += line(k.len(), v.len());
    }
    if let Some(b) = body {
        if !sets("content-length") {
            n += line("content-length".len(), b.len().to_string().len());
        }
        n += b.len();
    }
    (n + "\r\n".len()) as u64
}

pub use super::connection::{ConnectClock, TimedConnect};

/// What one send measured.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub sent: Instant,
    pub latency: Duration,
    /// To the response headers.
    pub ttfb: Duration,
    /// Opening the connection (DNS, TCP, TLS); zero on a reused one.
    /// After a re-send, the new connection's.
    pub connect: Duration,
    /// Times the request was sent again on a new connection after the
    /// target closed the kept-alive connection it went on (see
    /// [`super::connection`]): 0 or 1 (2 if the re-send met another
    /// closed idle connection).
    pub reconnects: u32,
    pub status: u16,
    /// Response body bytes received: the payload after chunked transfer
    /// decoding, headers not counted; also when the body failed part way.
    pub bytes: u64,
    pub error: Option<(ErrorKind, String)>,
    /// The response's headers and body (up to `max_body`), kept only for
    /// a step with extractors and a response that met its expectations.
    pub reply: Option<Box<Reply>>,
}

/// What extractors read.
#[derive(Debug, Clone, Default)]
pub struct Reply {
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Outcome {
    /// A request sent at `sent` and still in flight when the run was cut
    /// off, after `bytes` body bytes had arrived.
    pub fn cut_off(sent: Instant, bytes: u64) -> Outcome {
        Outcome {
            sent,
            latency: sent.elapsed(),
            ttfb: Duration::ZERO,
            connect: Duration::ZERO,
            reconnects: 0,
            status: 0,
            bytes,
            error: Some((ErrorKind::Cutoff, super::work::CUT_OFF.into())),
            reply: None,
        }
    }
}

/// Sends the step and reads its whole response. `received` counts the
/// body bytes as they arrive, so a caller that drops this future (a cut
/// off) still knows how many came. `clock` is the one `client` was built
/// with (see [`ConnectClock`]); the client's retry policy sends the
/// request again, once, when the target closed a kept-alive connection
/// under it (see [`super::connection`]): the latency is then the whole
/// time, both attempts. `rendered`: the request as its runtime variables
/// made it, for a step that has some.
pub async fn send(
    client: &reqwest::Client,
    clock: &ConnectClock,
    step: &Step,
    rendered: Option<&Rendered>,
    received: &AtomicU64,
) -> Outcome {
    let p = rendered.map_or(&step.prepared, |r| &r.prepared);
    let mut req = reqwest::Request::new(step.method.clone(), p.url.clone());
    if !p.headers.is_empty() {
        *req.headers_mut() = p.headers.clone();
    }
    *req.timeout_mut() = Some(step.timeout);
    if let Some(b) = &p.body {
        *req.body_mut() = Some(b.clone().into());
    }
    clock.reset();
    let sent = Instant::now();
    let resp = client.execute(req).await;
    let ttfb = sent.elapsed();
    let connect = clock.take().min(ttfb);
    let mut reply = None;
    let (status, bytes, error) = match resp {
        Err(e) if clock.stale() => (0, 0, Some(stale(&e, &step.method))),
        Err(e) => (0, 0, Some(classify(&e, clock.failed_host()))),
        Ok(mut r) => {
            let status = r.status().as_u16();
            let mut kept = (!step.extractors.is_empty()).then(|| Reply {
                headers: r.headers().clone(),
                body: Vec::new(),
            });
            let keep_body = step.extractors.iter().any(Extractor::needs_body);
            let body = kept.as_mut().filter(|_| keep_body).map(|k| &mut k.body);
            let read = read_body(&mut r, step, received, body).await;
            let error = match read {
                Err(e) => Some(e),
                Ok(found) => check(step, status, found),
            };
            if error.is_none() {
                reply = kept.map(Box::new);
            }
            (status, received.load(Ordering::Relaxed), error)
        }
    };
    Outcome {
        sent,
        latency: sent.elapsed(),
        ttfb,
        connect,
        reconnects: clock.reconnects(),
        status,
        bytes,
        error,
        reply,
    }
}

/// Streams the body to its end, counting it into `received` and keeping
/// nothing but what the `body_contains` search needs. Returns whether the
/// needle was found (`None` when the step looks for none), or the error
/// that ended the body: a transport failure, the step's timeout, or more
/// than `max_body` bytes (io, "body too large"; the connection is dropped
/// rather than drained).
async fn read_body(
    r: &mut reqwest::Response,
    step: &Step,
    received: &AtomicU64,
    mut keep: Option<&mut Vec<u8>>,
) -> Result<Option<bool>, (ErrorKind, String)> {
    if let (Some(max), Some(len)) = (step.max_body, r.content_length())
        && len > max
    {
        // Announced too large: fail before transferring any of it.
        return Err(too_large(max, &format!("Content-Length is {len} bytes")));
    }
    let mut scan = step.expect_body.as_deref().map(|n| Scan::new(n.as_bytes()));
    let mut total: u64 = 0;
    loop {
        match r.chunk().await {
            Ok(Some(chunk)) => {
                total += chunk.len() as u64;
                received.store(total, Ordering::Relaxed);
                if let Some(max) = step.max_body
                    && total > max
                {
                    return Err(too_large(max, &format!("more than {max} bytes received")));
                }
                if let Some(s) = &mut scan {
                    s.feed(&chunk);
                }
                // Bounded by max_body, checked above.
                if let Some(k) = keep.as_deref_mut() {
                    k.extend_from_slice(&chunk);
                }
            }
            Ok(None) => return Ok(scan.map(|s| s.found())),
            Err(e) => return Err(classify(&e, None)),
        }
    }
}

fn too_large(max: u64, what: &str) -> (ErrorKind, String) {
    (
        ErrorKind::Io,
        format!(
            "body too large: {what}, the step's max_body is {}",
            format_byte_size(max)
        ),
    )
}

/// Finds a needle in a body that arrives in chunks of any size, without
/// keeping the body: between chunks it keeps only the last
/// `needle.len() - 1` bytes seen, the longest prefix of a match that can
/// still be completed by the next chunk. Memory: at most twice the needle.
#[derive(Debug, Clone)]
pub struct Scan {
    finder: Finder<'static>,
    /// The last `needle.len() - 1` bytes seen (fewer at the start).
    tail: Vec<u8>,
    found: bool,
}

impl Scan {
    pub fn new(needle: &[u8]) -> Scan {
        Scan {
            finder: Finder::new(needle).into_owned(),
            tail: Vec::with_capacity(2 * needle.len()),
            found: needle.is_empty(),
        }
    }

    /// Searches the next chunk, including matches that began in earlier ones.
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.found || chunk.is_empty() {
            return;
        }
        let keep = self.finder.needle().len() - 1;
        // A match straddling the seam starts inside the tail, so it ends
        // within the chunk's first `keep` bytes: search tail + those.
        if !self.tail.is_empty() {
            let old = self.tail.len();
            self.tail.extend_from_slice(&chunk[..chunk.len().min(keep)]);
            self.found = self.finder.find(&self.tail).is_some();
            self.tail.truncate(old);
        }
        self.found = self.found || self.finder.find(chunk).is_some();
        if self.found {
            self.tail = Vec::new();
        } else if chunk.len() >= keep {
            self.tail.clear();
            self.tail.extend_from_slice(&chunk[chunk.len() - keep..]);
        } else {
            self.tail.extend_from_slice(chunk);
            let excess = self.tail.len().saturating_sub(keep);
            self.tail.drain(..excess);
        }
    }

    /// True once the needle has been seen (at once for an empty needle).
    pub fn found(&self) -> bool {
        self.found
    }

    /// Bytes held between chunks (never more than the needle's length - 1).
    pub fn held(&self) -> usize {
        self.tail.len()
    }
}

/// The step's expectations against what arrived. `found`: whether the body
/// held `body_contains`, when the step looks for it.
fn check(step: &Step, status: u16, found: Option<bool>) -> Option<(ErrorKind, String)> {
    match step.expect_status {
        Some(want) if want != status => {
            return Some((
                ErrorKind::Expectation,
                format!("status {status}, expected {want}"),
            ));
        }
        None if status >= 400 => {
            return Some((ErrorKind::Status, format!("HTTP {status}")));
        }
        _ => {}
    }
    if let (Some(needle), Some(false)) = (&step.expect_body, found) {
        return Some((
            ErrorKind::Expectation,
            format!("body does not contain '{needle}'"),
        ));
    }
    None
}

/// `failed_host`: `HOST:PORT` of the attempt that failed, when the client
/// saw it (after a redirect, another host than the URL `e` names: the
/// words then name the host that failed, and the one that redirected).
fn classify(e: &reqwest::Error, failed_host: Option<String>) -> (ErrorKind, String) {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else if e.is_connect() {
        ErrorKind::Connect
    } else {
        ErrorKind::Io
    };
    // The chain says what happened (reset, refused, ...), in words; the
    // host and port only, never the URL's path, query or password.
    let host = host_of(e);
    // Through a proxy, pace's connection is to the proxy. Plain HTTP goes
    // over it whole: whatever failed (refused, reset, no answer) failed
    // there, and a target the proxy cannot reach answers 502. HTTPS is a
    // tunnel through it: only reaching the proxy and opening the tunnel
    // are the proxy's; TLS and what follows are the target's, end to end.
    if let Some(url) = e.url()
        && let Some(proxy) = super::prepare::proxy_for(url)
        && (url.scheme() == "http" || (e.is_connect() && !super::net_error::is_tls(e)))
    {
        let what = format!("the proxy {proxy}");
        // hyper-util says only "tunnel error: unsuccessful" when the proxy
        // answered CONNECT with anything but 2xx: it was reached, and said no.
        if super::net_error::is_tunnel_refused(e) {
            return (
                kind,
                format!(
                    "{what} refused to open a tunnel to {host} (it answered CONNECT with an error status)"
                ),
            );
        }
        let msg = super::net_error::describe(e, &what, e.is_timeout(), e.is_connect());
        let proxy_for = super::net_error::PROXY_FOR;
        return (kind, format!("{msg}{proxy_for}{host})"));
    }
    let (who, after) = match failed_host.filter(|h| *h != host) {
        Some(other) => (other, format!(", after a redirect from {host}")),
        None => (host, String::new()),
    };
    let msg = super::net_error::describe(e, &who, e.is_timeout(), e.is_connect());
    (kind, format!("{msg}{after}"))
}

/// `HOST:PORT` of the request `e` failed on ("the target" if unknown):
/// never the URL's path, query or password.
fn host_of(e: &reqwest::Error) -> String {
    e.url()
        .and_then(|u| {
            let h = u.host_str()?;
            Some(match u.port_or_known_default() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_string(),
            })
        })
        .unwrap_or_else(|| "the target".into())
}

/// A request of `method` lost on a kept-alive connection and not sent
/// again (see [`super::connection`]): [`ErrorKind::Stale`], naming who
/// closed the connection, the target or, for plain HTTP through a proxy,
/// the proxy (pace's connection is to it).
fn stale(e: &reqwest::Error, method: &reqwest::Method) -> (ErrorKind, String) {
    let host = host_of(e);
    if let Some(url) = e.url()
        && url.scheme() == "http"
        && let Some(proxy) = super::prepare::proxy_for(url)
    {
        let msg = super::connection::stale_message(&format!("the proxy {proxy}"), method);
        let proxy_for = super::net_error::PROXY_FOR;
        return (ErrorKind::Stale, format!("{msg}{proxy_for}{host})"));
    }
    (
        ErrorKind::Stale,
        super::connection::stale_message(&host, method),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Feeds `body` cut at `cuts` (offsets, in order) and returns whether
    /// the needle was found, checking the bound on what is held.
    fn scan_in_pieces(needle: &[u8], body: &[u8], cuts: &[usize]) -> bool {
        let mut s = Scan::new(needle);
        let mut from = 0;
        for &c in cuts.iter().chain([body.len()].iter()) {
            s.feed(&body[from..c]);
            assert!(s.held() < needle.len().max(1), "held {}", s.held());
            from = c;
        }
        s.found()
    }

    fn contains(body: &[u8], needle: &[u8]) -> bool {
        needle.is_empty() || body.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn a_needle_cut_by_a_chunk_boundary_is_found() {
        let body = b"....<title>Welcome home</title>....";
        let needle = b"Welcome home";
        let at = 11; // where the needle starts
        // Every cut inside the needle, and either side of it.
        for cut in at - 1..=at + needle.len() + 1 {
            assert!(scan_in_pieces(needle, body, &[cut]), "cut at {cut}");
        }
        // One byte at a time: the needle spans 12 chunks.
        let every: Vec<usize> = (1..body.len()).collect();
        assert!(scan_in_pieces(needle, body, &every));
        // Three pieces, the middle one shorter than the needle.
        assert!(scan_in_pieces(needle, body, &[at + 2, at + 5]));
    }

    #[test]
    fn a_prefix_at_a_boundary_is_not_a_match() {
        // "Welc" ends one chunk, the next does not go on with "ome home".
        let body = b"xxWelcome homE home";
        assert!(!scan_in_pieces(b"Welcome home", body, &[13]));
        assert!(!scan_in_pieces(b"Welcome home", body, &[6, 7]));
        assert!(!scan_in_pieces(b"Welcome home", b"Welcome hom", &[3]));
        // The needle's last byte in a chunk of its own.
        assert!(scan_in_pieces(b"abc", b"xxabc", &[4]));
        assert!(!scan_in_pieces(b"abc", b"xxab", &[4]));
    }

    #[test]
    fn empty_and_one_byte_needles() {
        assert!(scan_in_pieces(b"", b"", &[]));
        assert!(scan_in_pieces(b"", b"anything", &[3]));
        assert!(scan_in_pieces(b"z", b"abcz", &[1, 2, 3]));
        assert!(!scan_in_pieces(b"z", b"abc", &[1, 2]));
    }

    #[test]
    fn memory_stays_bounded_over_a_long_body() {
        let mut s = Scan::new(b"never there");
        let chunk = vec![b'c'; 64 * 1024];
        for _ in 0..1000 {
            s.feed(&chunk);
        }
        assert!(!s.found());
        assert_eq!(s.held(), "never there".len() - 1);
        assert!(s.tail.capacity() <= 2 * "never there".len());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        /// Any body cut anywhere gives the answer of a search of the whole.
        #[test]
        fn chunked_search_equals_whole_search(
            body in proptest::collection::vec(0u8..3, 0..200),
            needle in proptest::collection::vec(0u8..3, 0..6),
            mut cuts in proptest::collection::vec(0usize..200, 0..20),
        ) {
            cuts.retain(|&c| c <= body.len());
            cuts.sort_unstable();
            prop_assert_eq!(
                scan_in_pieces(&needle, &body, &cuts),
                contains(&body, &needle)
            );
        }
    }

    fn step(extra: &str) -> Step {
        let text = format!(
            "[[group]]\nname = \"g\"\nusers = 1\npacing = {{ mode = \"none\" }}\n\
             [[group.step]]\nname = \"s\"\nurl = \"http://127.0.0.1:1/\"\n{extra}\n"
        );
        let plan = crate::plan::file::PlanFile::parse(&text, "plan.toml").unwrap();
        Step::build(&plan.groups[0].steps[0], &|_| None).unwrap()
    }

    /// The computed request size is what the client writes on the socket
    /// (HTTP/1.1), and the connect time of a new connection is measured,
    /// that of a kept-alive one 0.
    #[test]
    fn sent_bytes_are_the_bytes_on_the_wire_and_connect_is_timed() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        // One connection, two requests on it: each read to its body's end.
        let server = std::thread::spawn(move || {
            let (mut c, _) = listener.accept().unwrap();
            c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut sizes = Vec::new();
            for _ in 0..2 {
                let mut got = Vec::new();
                let mut byte = [0u8; 1];
                while !got.ends_with(b"\r\n\r\n") {
                    c.read_exact(&mut byte).unwrap();
                    got.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&got).to_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .map_or(0, |v| v.trim().parse().unwrap());
                let mut body = vec![0u8; len];
                c.read_exact(&mut body).unwrap();
                sizes.push(got.len() + len);
                c.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                    .unwrap();
            }
            sizes
        });
        let text = format!(
            "[[group]]\nname = \"g\"\nusers = 1\npacing = {{ mode = \"none\" }}\n\
             [[group.step]]\nname = \"s\"\nmethod = \"POST\"\n\
             url = \"http://127.0.0.1:{port}/a/b?q=1&r=two\"\nbody = \"{{\\\"k\\\": 1}}\"\n\
             headers = {{ X-Trace = \"abc\", Content-Type = \"application/json\" }}\n"
        );
        let plan = crate::plan::file::PlanFile::parse(&text, "plan.toml").unwrap();
        let step = Step::build(&plan.groups[0].steps[0], &|_| None).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let clock = ConnectClock::default();
        let client = crate::runner::prepare::client(&clock, false);
        let (first, second) = rt.block_on(async {
            let a = send(&client, &clock, &step, None, &AtomicU64::new(0)).await;
            let b = send(&client, &clock, &step, None, &AtomicU64::new(0)).await;
            (a, b)
        });
        let sizes = server.join().unwrap();
        assert_eq!(first.error, None);
        assert_eq!(sizes, vec![step.sent_bytes as usize; 2]);
        assert!(first.connect > Duration::ZERO, "a new connection");
        assert!(first.connect <= first.ttfb);
        assert_eq!(second.connect, Duration::ZERO, "a kept-alive one");
    }

    #[test]
    fn max_body_defaults_to_1_mib_only_when_the_body_is_checked() {
        assert_eq!(step("").max_body, None);
        assert_eq!(
            step("expect = { body_contains = \"ok\" }").max_body,
            Some(DEFAULT_MAX_BODY)
        );
        assert_eq!(step("max_body = \"4KiB\"").max_body, Some(4096));
        assert_eq!(
            step("max_body = 100\nexpect = { body_contains = \"ok\" }").max_body,
            Some(100)
        );
    }
}
