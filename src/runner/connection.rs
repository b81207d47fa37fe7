//! A virtual user's connections: how long opening each one took, and what
//! pace does when the target closes a kept-alive connection under a
//! request.
//!
//! Servers close keep-alive connections that stay idle too long (nginx
//! `keepalive_timeout`, Node.js `keepAliveTimeout`, Jetty `idleTimeout`)
//! without a `Connection: close` on the last answer. A request sent on
//! such a connection as the server closes it never reaches the
//! application: the connection is reset or ends before any answer. HTTP
//! lets a client send such a request again on a new connection when its
//! method is idempotent (RFC 9112 §9.3.1, RFC 9110 §9.2.2), as browsers,
//! curl and Go's net/http do. pace does so once, through its HTTP
//! client's retry policy ([`policy`]), so a redirect's follow-up request
//! is judged on its own method; a re-send is counted in the sample's
//! `reconnects`, never as an error. A request whose method is not
//! idempotent is not sent again: it fails as [`ErrorKind::Stale`], named
//! as pace's stale connection, not as the target's failure.
//!
//! [`ErrorKind::Stale`]: crate::results::sample::ErrorKind::Stale

use std::error::Error;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

/// What one user's connections did during its current send, shared by its
/// client's connector layer (which opens connections) and its retry
/// policy (which sees each attempt's result). A user sends one request at
/// a time on its own client, so after a send this is that request's:
/// [`take`](ConnectClock::take) its connect time, 0 when it went on a
/// kept-alive connection; [`reconnects`](ConnectClock::reconnects) how
/// often it was sent again; [`stale`](ConnectClock::stale) whether it was
/// lost on a kept-alive connection and not sent again.
#[derive(Debug, Clone, Default)]
pub struct ConnectClock(Arc<Conns>);

#[derive(Debug, Default)]
struct Conns {
    /// Nanoseconds the last connection took to open (DNS, TCP, TLS); 0
    /// when none was opened since the last reset.
    nanos: AtomicU64,
    /// A connection was opened since the retry policy last looked: the
    /// attempt it looks at did not go on a kept-alive connection.
    opened: AtomicBool,
    /// Times the current request was sent again.
    resent: AtomicU32,
    /// The current request's last attempt was lost on a kept-alive
    /// connection and was not sent again (its method is not idempotent).
    stale: AtomicBool,
    /// `HOST:PORT` of the current request's last attempt that failed
    /// without an answer: after a redirect, another host than the step's.
    failed_at: std::sync::Mutex<Option<String>>,
}

impl ConnectClock {
    /// Forgets the last send, before a new one.
    pub fn reset(&self) {
        self.0.nanos.store(0, Ordering::Relaxed);
        self.0.opened.store(false, Ordering::Relaxed);
        self.0.resent.store(0, Ordering::Relaxed);
        self.0.stale.store(false, Ordering::Relaxed);
        *self.failed_at() = None;
    }

    fn failed_at(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        // A poisoned lock holds a plain string: still good to read.
        self.0
            .failed_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `HOST:PORT` of the last attempt since the last reset that failed
    /// without an answer (a redirect's follow-up included): the host
    /// that refused or timed out, which a redirect makes another than the
    /// one the step's URL names.
    pub fn failed_host(&self) -> Option<String> {
        self.failed_at().clone()
    }

    /// The connect time since the last [`reset`](Self::reset): that of the
    /// last connection opened (after a re-send, the new connection's).
    pub fn take(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(self.0.nanos.swap(0, Ordering::Relaxed))
    }

    /// How many times the request was sent again since the last reset
    /// (0; 1 after a kept-alive connection was closed under it; 2 if the
    /// re-send met another closed idle one).
    pub fn reconnects(&self) -> u32 {
        self.0.resent.load(Ordering::Relaxed)
    }

    /// Whether the request was lost on a kept-alive connection and, its
    /// method not idempotent, not sent again.
    pub fn stale(&self) -> bool {
        self.0.stale.load(Ordering::Relaxed)
    }

    /// Whether the attempt just ended went on a connection it opened; asks
    /// once per attempt (it clears what it read).
    fn attempt_opened(&self) -> bool {
        self.0.opened.swap(false, Ordering::Relaxed)
    }

    fn opened(&self, nanos: u64) {
        self.0.nanos.store(nanos, Ordering::Relaxed);
        self.0.opened.store(true, Ordering::Relaxed);
    }
}

impl<S> tower_layer::Layer<S> for ConnectClock {
    type Service = TimedConnect<S>;

    fn layer(&self, inner: S) -> TimedConnect<S> {
        TimedConnect {
            inner,
            clock: self.clone(),
        }
    }
}

/// reqwest's connector (DNS, TCP connect, TLS handshake), timed by a
/// [`ConnectClock`].
#[derive(Debug, Clone)]
pub struct TimedConnect<S> {
    inner: S,
    clock: ConnectClock,
}

impl<S, R> tower_service::Service<R> for TimedConnect<S>
where
    S: tower_service::Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    // Boxed: only a new connection pays for it, never a reused one.
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> Self::Future {
        let started = Instant::now();
        let connecting = self.inner.call(req);
        let clock = self.clock.clone();
        Box::pin(async move {
            let conn = connecting.await;
            clock.opened(u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX));
            conn
        })
    }
}

/// Whether a request of `method` may be sent again after its connection
/// was lost: the idempotent methods of RFC 9110 §9.2.2 (GET, HEAD,
/// OPTIONS, TRACE, PUT, DELETE). Any other (POST, PATCH, an extension
/// method) may have changed something on the target.
pub fn idempotent(method: &reqwest::Method) -> bool {
    use reqwest::Method as M;
    [M::GET, M::HEAD, M::OPTIONS, M::TRACE, M::PUT, M::DELETE].contains(method)
}

/// Whether `e` (a failed attempt, no response head received) says the
/// connection was closed under the request: it ended (EOF before the
/// answer, hyper's "connection closed before message completed"), was
/// reset or aborted, or the write found it closed (broken pipe). Not a
/// timeout, not a failure to connect, not a bad answer.
///
/// hyper reports a connection that ended in the middle of a response head
/// as it reports one that ended before any byte of it: a target that
/// sends part of a status line and closes reads as closed unanswered.
pub fn closed_unanswered(e: &(dyn Error + 'static)) -> bool {
    if let Some(r) = e.downcast_ref::<reqwest::Error>()
        && (r.is_timeout() || r.is_connect())
    {
        return false;
    }
    let closed = |io: &io::Error| {
        use io::ErrorKind as K;
        matches!(
            io.kind(),
            K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof
        )
    };
    let mut cause = Some(e);
    while let Some(c) = cause {
        if c.downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_incomplete_message)
            || c.downcast_ref::<io::Error>().is_some_and(closed)
            || c.downcast_ref::<h2::Error>()
                .and_then(h2::Error::get_io)
                .is_some_and(closed)
        {
            return true;
        }
        cause = c.source();
    }
    false
}

/// Whether `e` is an HTTP/2 server's refusal of a stream it did not
/// process, safe to send again whatever the method (RFC 9113 §8.7): a
/// graceful GOAWAY (NO_ERROR; the stream was above its last stream id) or
/// REFUSED_STREAM. reqwest's default policy sends these again; pace's
/// policy replaces it, so keeps that.
fn http2_refused(e: &(dyn Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if let Some(h2) = c.downcast_ref::<h2::Error>() {
            let reason = h2.reason();
            return h2.is_remote()
                && ((h2.is_go_away() && reason == Some(h2::Reason::NO_ERROR))
                    || (h2.is_reset() && reason == Some(h2::Reason::REFUSED_STREAM)));
        }
        cause = c.source();
    }
    false
}

/// What the policy does with one attempt's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Answered, or failed in a way that is the target's: keep it.
    Keep,
    /// Lost on a kept-alive connection, or refused unprocessed (HTTP/2):
    /// send it again.
    Resend,
    /// Lost on a kept-alive connection, not idempotent: keep the failure,
    /// named as a stale connection.
    Stale,
}

/// The decision for one attempt of `method` that failed with `error`
/// (`None`: answered); `opened`: the attempt went on a connection it
/// opened, not a kept-alive one. An attempt that failed on a new
/// connection is the target's (or the network's) failure: never sent
/// again, so a request is sent again at most once on a new connection.
pub fn decide(
    method: &reqwest::Method,
    error: Option<&(dyn Error + 'static)>,
    opened: bool,
) -> Decision {
    let Some(e) = error else {
        return Decision::Keep;
    };
    if http2_refused(e) {
        return Decision::Resend;
    }
    if opened || !closed_unanswered(e) {
        return Decision::Keep;
    }
    if idempotent(method) {
        Decision::Resend
    } else {
        Decision::Stale
    }
}

/// Matches every host: the policy applies to every request of the user.
struct AnyHost;

impl PartialEq<&str> for AnyHost {
    fn eq(&self, _: &&str) -> bool {
        true
    }
}

/// The retry policy of the client whose connector `clock` times: each
/// attempt (a redirect's follow-up included) is decided by [`decide`],
/// re-sends counted on `clock`. At most 2 re-sends per request (per hop
/// of a redirect chain): the one a closed kept-alive connection calls for,
/// and one more in the rare case the first went on another kept-alive
/// connection the target had closed too (the pool keeps at most one idle
/// connection per host, so the next is new). No budget: the rule itself
/// bounds them.
pub fn policy(clock: &ConnectClock) -> reqwest::retry::Builder {
    let clock = clock.clone();
    reqwest::retry::for_host(AnyHost)
        .no_budget()
        .max_retries_per_request(2)
        .classify_fn(move |rr| {
            let opened = clock.attempt_opened();
            if rr.error().is_some() {
                *clock.failed_at() = authority(rr.uri());
            }
            match decide(rr.method(), rr.error(), opened) {
                Decision::Keep => rr.success(),
                Decision::Stale => {
                    clock.0.stale.store(true, Ordering::Relaxed);
                    rr.success()
                }
                Decision::Resend => {
                    clock.0.resent.fetch_add(1, Ordering::Relaxed);
                    rr.retryable()
                }
            }
        })
}

/// `HOST:PORT` of `uri` (the scheme's port when none is written), never
/// its path, query or user info.
fn authority(uri: &hyper::Uri) -> Option<String> {
    let host = uri.host()?;
    let port = uri.port_u16().or(match uri.scheme_str() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    });
    Some(match port {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    })
}

/// The message of a request lost on a kept-alive connection that `who`
/// (`HOST:PORT`, or "the proxy HOST:PORT") closed, its `method` not
/// idempotent.
pub fn stale_message(who: &str, method: &reqwest::Method) -> String {
    format!(
        "{who} closed the kept-alive connection as the request was sent (a stale connection, not an answer of the target); {method} is not retried"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::Method;

    use super::super::net_error::tests::Wrap;

    fn io_of(kind: io::ErrorKind) -> Wrap {
        Wrap(
            "client error (SendRequest)",
            Box::new(io::Error::new(kind, "os")),
        )
    }

    #[test]
    fn idempotent_methods_are_those_of_rfc_9110() {
        for m in ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"] {
            assert!(
                idempotent(&Method::from_bytes(m.as_bytes()).unwrap()),
                "{m}"
            );
        }
        for m in ["POST", "PATCH", "CONNECT", "PURGE", "PROPFIND"] {
            assert!(
                !idempotent(&Method::from_bytes(m.as_bytes()).unwrap()),
                "{m}"
            );
        }
    }

    /// A reset, an abort, a broken pipe and an early EOF are a closed
    /// connection; a refused connect, a timeout or another failure are not.
    #[test]
    fn what_counts_as_closed_unanswered() {
        use io::ErrorKind as K;
        for k in [
            K::ConnectionReset,
            K::ConnectionAborted,
            K::BrokenPipe,
            K::UnexpectedEof,
        ] {
            assert!(closed_unanswered(&io_of(k)), "{k:?}");
        }
        for k in [K::ConnectionRefused, K::TimedOut, K::InvalidData, K::Other] {
            assert!(!closed_unanswered(&io_of(k)), "{k:?}");
        }
        let h2_protocol = Wrap(
            "http2 error",
            Box::new(h2::Error::from(h2::Reason::PROTOCOL_ERROR)),
        );
        assert!(!closed_unanswered(&h2_protocol));
        assert!(!http2_refused(&h2_protocol));
    }

    /// The rule: only a failure on a kept-alive connection is sent again,
    /// and only an idempotent method's; a failure on a new connection is
    /// kept whatever it is.
    #[test]
    fn decisions() {
        let reset = io_of(io::ErrorKind::ConnectionReset);
        let refused = io_of(io::ErrorKind::ConnectionRefused);
        let (get, post, put) = (Method::GET, Method::POST, Method::PUT);
        assert_eq!(decide(&get, None, false), Decision::Keep);
        assert_eq!(decide(&get, Some(&reset), false), Decision::Resend);
        assert_eq!(decide(&put, Some(&reset), false), Decision::Resend);
        assert_eq!(decide(&post, Some(&reset), false), Decision::Stale);
        assert_eq!(decide(&get, Some(&reset), true), Decision::Keep);
        assert_eq!(decide(&post, Some(&reset), true), Decision::Keep);
        assert_eq!(decide(&get, Some(&refused), false), Decision::Keep);
    }

    #[test]
    fn the_stale_message_names_pace_s_connection_and_the_method() {
        assert_eq!(
            stale_message("127.0.0.1:18433", &Method::POST),
            "127.0.0.1:18433 closed the kept-alive connection as the request was sent (a stale connection, not an answer of the target); POST is not retried"
        );
    }
}
