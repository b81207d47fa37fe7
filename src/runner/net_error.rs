//! A failed request in a user's words: the error's cause chain (reqwest,
//! hyper, the OS) read for what happened (refused, reset, timed out,
//! cannot resolve, TLS) instead of its library text with Rust type names
//! (`client error (Connect)`) and errnos (`(os error 111)`).

use std::error::Error;
use std::io;

/// One line saying why a request to `host` (`HOST:PORT`, never a path,
/// query or password) failed, from `e` and its `source()` chain.
/// `timeout`: the request's own deadline passed; `connect`: it failed
/// before a connection was made.
pub fn describe(e: &(dyn Error + 'static), host: &str, timeout: bool, connect: bool) -> String {
    let chain = chain(e);
    let texts: Vec<String> = chain.iter().map(|s| s.to_string()).collect();
    if texts.iter().any(|t| t.starts_with("dns error")) {
        let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
        return format!("cannot resolve {name}");
    }
    if timeout {
        return if connect {
            format!("timed out connecting to {host}")
        } else {
            format!("no response from {host} within the step's timeout")
        };
    }
    for s in &chain {
        if let Some(tls) = s.downcast_ref::<rustls::Error>() {
            return format!("TLS with {host} failed: {}", tls_words(tls));
        }
    }
    for s in &chain {
        if let Some(io) = s.downcast_ref::<io::Error>()
            && let Some(words) = io_words(io, host)
        {
            return words;
        }
    }
    if texts
        .iter()
        .any(|t| t.contains("connection closed before message completed"))
    {
        return format!("{host} closed the connection before answering");
    }
    // Anything else: the innermost cause, which is the most specific.
    let inner = texts.last().map(String::as_str).unwrap_or("failed");
    let inner = crate::input::strip_os_error(inner);
    if connect {
        format!("cannot connect to {host}: {inner}")
    } else {
        format!("request to {host} failed: {inner}")
    }
}

/// What ends a failure's message when it happened at a proxy: `" (the
/// proxy for HOST:PORT)"` begins with this. The recorder's early warning
/// reads it to say that the proxy, not the target, does not answer.
pub const PROXY_FOR: &str = " (the proxy for ";

/// Whether `e` (or a cause of it) is a TLS failure.
pub fn is_tls(e: &(dyn Error + 'static)) -> bool {
    chain(e)
        .iter()
        .any(|s| s.downcast_ref::<rustls::Error>().is_some())
}

/// Whether `e` says a proxy answered CONNECT with an error status.
pub fn is_tunnel_refused(e: &(dyn Error + 'static)) -> bool {
    chain(e)
        .iter()
        .any(|s| s.to_string().contains("tunnel error: unsuccessful"))
}

fn chain<'a>(e: &'a (dyn Error + 'static)) -> Vec<&'a (dyn Error + 'static)> {
    let mut out = vec![e];
    let mut src = e.source();
    while let Some(s) = src {
        out.push(s);
        src = s.source();
    }
    out
}

/// What an OS-level failure means for a request to `host`; `None` for an
/// error that carries no OS kind worth naming (the caller reads on).
fn io_words(e: &io::Error, host: &str) -> Option<String> {
    use io::ErrorKind as K;
    Some(match e.kind() {
        K::ConnectionRefused => format!("connection refused by {host}"),
        K::ConnectionReset => format!("connection reset by {host}"),
        K::ConnectionAborted => format!("connection aborted by {host}"),
        K::BrokenPipe => format!("{host} closed the connection while pace was sending"),
        K::UnexpectedEof => format!("{host} closed the connection before answering"),
        K::TimedOut => format!("timed out connecting to {host}"),
        K::HostUnreachable => format!("{host} is unreachable (no route to host)"),
        K::NetworkUnreachable => format!("{host} is unreachable (network unreachable)"),
        K::AddrNotAvailable => {
            format!("cannot connect to {host}: no local address available")
        }
        K::PermissionDenied => format!("cannot connect to {host}: permission denied"),
        _ if e.raw_os_error().is_some() => {
            format!("cannot connect to {host}: {}", crate::input::plain(e))
        }
        _ => return None,
    })
}

fn tls_words(e: &rustls::Error) -> String {
    match e {
        rustls::Error::InvalidCertificate(c) => {
            format!(
                "its certificate is not trusted ({})",
                lower(&format!("{c:?}"))
            )
        }
        rustls::Error::AlertReceived(a) => {
            format!("it refused the handshake ({})", lower(&format!("{a:?}")))
        }
        other => crate::input::strip_os_error(&other.to_string()),
    }
}

/// `UnknownIssuer` -> `unknown issuer`: a rustls enum variant in words.
fn lower(debug: &str) -> String {
    let name = debug.split(['(', ' ', '{']).next().unwrap_or(debug);
    let mut out = String::new();
    for (i, ch) in name.chars().enumerate() {
        if ch.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(ch.to_lowercase());
    }
    out
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// An error that wraps another, as hyper and reqwest wrap io errors
    /// (shared with connection.rs's tests).
    #[derive(Debug)]
    pub(in crate::runner) struct Wrap(pub &'static str, pub Box<dyn Error + Send + Sync>);
    impl std::fmt::Display for Wrap {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }
    impl Error for Wrap {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&*self.1)
        }
    }

    fn os(code: i32) -> Wrap {
        Wrap(
            "client error (Connect)",
            Box::new(Wrap(
                "tcp connect error",
                Box::new(io::Error::from_raw_os_error(code)),
            )),
        )
    }

    #[test]
    fn os_failures_read_as_words() {
        let h = "127.0.0.1:9";
        let d = |e: &Wrap| describe(e, h, false, true);
        assert_eq!(
            d(&os(libc::ECONNREFUSED)),
            "connection refused by 127.0.0.1:9"
        );
        assert_eq!(d(&os(libc::ECONNRESET)), "connection reset by 127.0.0.1:9");
        assert_eq!(
            d(&os(libc::EHOSTUNREACH)),
            "127.0.0.1:9 is unreachable (no route to host)"
        );
        assert_eq!(
            d(&os(libc::ETIMEDOUT)),
            "timed out connecting to 127.0.0.1:9"
        );
        let dns = Wrap(
            "client error (Connect)",
            Box::new(Wrap(
                "dns error",
                Box::new(io::Error::other("failed to lookup address information")),
            )),
        );
        assert_eq!(
            describe(&dns, "nosuch.invalid:80", false, true),
            "cannot resolve nosuch.invalid"
        );
        let tls = Wrap(
            "client error (Connect)",
            Box::new(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            )),
        );
        assert_eq!(
            describe(&tls, "h:443", false, true),
            "TLS with h:443 failed: its certificate is not trusted (unknown issuer)"
        );
        for w in [os(libc::ECONNREFUSED), dns, tls] {
            let m = describe(&w, h, false, true);
            assert!(!m.contains("os error") && !m.contains("(Connect)"), "{m}");
        }
    }
}
