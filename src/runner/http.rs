//! One HTTP step: send, read, check expectations, classify errors.

use crate::plan::file::StepSection;
use crate::plan::vars::expand;
use crate::results::sample::ErrorKind;
use std::time::{Duration, Instant};

/// A step with its variables expanded, ready to send many times.
#[derive(Debug, Clone)]
pub struct Step {
    pub name: String,
    pub method: reqwest::Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub timeout: Duration,
    pub think: Duration,
    pub expect_status: Option<u16>,
    pub expect_body: Option<String>,
}

impl Step {
    /// Expands `${VAR}` and `${VAR:-default}` with `lookup` (the embedded
    /// target's address first, then the environment). Errors name the field.
    pub fn build(
        s: &StepSection,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Step, (&'static str, String)> {
        let method = reqwest::Method::from_bytes(s.method.to_ascii_uppercase().as_bytes())
            .map_err(|_| ("method", format!("'{}' is not an HTTP method", s.method)))?;
        // Errors quote what the plan says, never the expanded value: an
        // environment variable may hold a secret.
        let url = expand(&s.url, lookup).map_err(|e| ("url", e))?;
        match reqwest::Url::parse(&url) {
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
            let value = expand(v, lookup).map_err(|e| ("headers", e))?;
            if reqwest::header::HeaderName::from_bytes(k.as_bytes()).is_err() {
                return Err(("headers", format!("'{k}' is not a valid header name")));
            }
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
        let body = match &s.body {
            Some(b) => Some(expand(b, lookup).map_err(|e| ("body", e))?),
            None => None,
        };
        let expect = s.expect.clone().unwrap_or_default();
        Ok(Step {
            name: s.name.clone(),
            method,
            url,
            headers,
            body,
            timeout: Duration::from_secs_f64(s.timeout.map(|t| t.0).unwrap_or(10.0)),
            think: Duration::from_secs_f64(s.think.map(|t| t.0).unwrap_or(0.0)),
            expect_status: expect.status,
            expect_body: expect.body_contains,
        })
    }
}

/// What one send measured.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub sent: Instant,
    pub latency: Duration,
    /// To the response headers.
    pub ttfb: Duration,
    pub status: u16,
    pub bytes: u64,
    pub error: Option<(ErrorKind, String)>,
}

impl Outcome {
    /// A request sent at `sent` and still in flight when the run was cut off.
    pub fn cut_off(sent: Instant) -> Outcome {
        Outcome {
            sent,
            latency: sent.elapsed(),
            ttfb: Duration::ZERO,
            status: 0,
            bytes: 0,
            error: Some((ErrorKind::Cutoff, super::work::CUT_OFF.into())),
        }
    }
}

pub async fn send(client: &reqwest::Client, step: &Step) -> Outcome {
    let mut req = client
        .request(step.method.clone(), &step.url)
        .timeout(step.timeout);
    for (k, v) in &step.headers {
        req = req.header(k, v);
    }
    if let Some(b) = &step.body {
        req = req.body(b.clone());
    }
    let sent = Instant::now();
    let resp = req.send().await;
    let ttfb = sent.elapsed();
    let (status, bytes, error) = match resp {
        Err(e) => (0, 0, Some(classify(&e))),
        Ok(r) => {
            let status = r.status().as_u16();
            match r.bytes().await {
                Err(e) => (status, 0, Some(classify(&e))),
                Ok(body) => {
                    let err = check(step, status, &body);
                    (status, body.len() as u64, err)
                }
            }
        }
    };
    Outcome {
        sent,
        latency: sent.elapsed(),
        ttfb,
        status,
        bytes,
        error,
    }
}

fn check(step: &Step, status: u16, body: &[u8]) -> Option<(ErrorKind, String)> {
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
    if let Some(needle) = &step.expect_body {
        let hay = String::from_utf8_lossy(body);
        if !hay.contains(needle.as_str()) {
            return Some((
                ErrorKind::Expectation,
                format!("body does not contain '{needle}'"),
            ));
        }
    }
    None
}

fn classify(e: &reqwest::Error) -> (ErrorKind, String) {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else if e.is_connect() {
        ErrorKind::Connect
    } else {
        ErrorKind::Io
    };
    // The whole chain says what happened (reset, refused, ...).
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    (kind, msg)
}
