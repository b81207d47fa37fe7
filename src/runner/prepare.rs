//! Preparing a run before its clock starts: each group's work (HTTP steps
//! with their test data and templates, or script specs), the run's
//! secrets, the checks `pace run --check` shares with a run, and the TLS
//! setup of the HTTP client.

use super::*;

pub(super) struct Group {
    pub(super) name: String,
    pub(super) users: u64,
    pub(super) work: Arc<GroupWork>,
}

/// The groups ready to run, and the run's secrets: every value a `${VAR}`
/// took from the environment (pace's own variables are not secret), and
/// every password in a step's URL.
pub(super) fn build_groups(
    plan: &PlanFile,
    cfg: &RunConfig,
    scripts: &mut Scripts,
) -> Result<(Vec<Group>, Redactor), RunError> {
    let secrets = std::cell::RefCell::new(Redactor::default());
    let lookup = |k: &str| -> Option<String> {
        if let Some((_, v)) = cfg.vars.iter().find(|(n, _)| n == k) {
            return Some(v.clone());
        }
        let v = match cfg.user_vars.iter().find(|(n, _)| n == k) {
            Some((_, v)) => v.clone(),
            None if cfg.remote => return None,
            None => std::env::var(k).ok()?,
        };
        secrets.borrow_mut().add_variable(k, &v);
        Some(v)
    };
    let mut out = Vec::new();
    for (gi, g) in plan.groups.iter().enumerate() {
        let work = match &g.script {
            Some(script) => GroupWork::Script {
                spec: Arc::new(scripts.spec(plan, cfg, gi, script)?),
                ready: std::sync::Mutex::new(Vec::new()),
                retired: Default::default(),
            },
            None => {
                let data = load_data(plan, cfg, gi)?;
                // Test-data columns and extracted names take their values
                // at each send.
                let mut runtime: std::collections::HashSet<String> = g
                    .steps
                    .iter()
                    .flat_map(|s| s.extract.iter().map(|x| x.name.clone()))
                    .collect();
                if let Some(d) = &data {
                    runtime.extend(d.table.columns.iter().cloned());
                }
                let fallback = runtime
                    .iter()
                    .filter_map(|n| lookup(n).map(|v| (n.clone(), v)))
                    .collect();
                let mut steps = Vec::new();
                for (si, s) in g.steps.iter().enumerate() {
                    // A bad URL is quoted expanded: its secrets are
                    // redacted before the message is printed.
                    let step = Step::build_with(s, &lookup, &|n| runtime.contains(n)).map_err(
                        |(field, message)| RunError::Plan {
                            key: format!("group[{gi}].step[{si}].{field}"),
                            message: secrets.borrow().redact(&message).into_owned(),
                        },
                    )?;
                    secrets.borrow_mut().add_url_password(&step.url);
                    steps.push(step);
                }
                GroupWork::Http(Arc::new(work::HttpGroup {
                    steps,
                    data: data.map(Arc::new),
                    cookies: g.cookies(),
                    seed: cfg.seed,
                    fallback,
                }))
            }
        };
        out.push(Group {
            name: g.name.clone(),
            users: g.users,
            work: Arc::new(work),
        });
    }
    Ok((out, secrets.into_inner()))
}

/// The origins the groups' steps send to, `scheme://host:port` (the
/// scheme's default port written out), each once, in plan order: what
/// summary.json's `meta.targets` and report.html name as the hosts the run
/// hit. Never a URL's userinfo, path or query (they may hold a secret; a
/// host and port are not one, even when a `--var` gave them). A step whose
/// host depends on a per-iteration variable is listed by its template's
/// origin part, the variable named (`http://${HOST}:8080`). Script groups
/// make their own requests: not listed.
pub(super) fn targets(groups: &[Group], secrets: &Redactor) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for g in groups {
        let GroupWork::Http(h) = &*g.work else {
            continue;
        };
        for step in &h.steps {
            let url = step.dynamic.as_ref().and_then(|d| d.url.as_ref());
            let origin = match url {
                Some(t) => template_origin(t, secrets),
                None => origin(&step.prepared.url),
            };
            if let Some(o) = origin
                && !out.contains(&o)
            {
                out.push(o);
            }
        }
    }
    out
}

/// `scheme://host:port` of `url`; `None` for a URL without a host.
fn origin(url: &reqwest::Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port_or_known_default() {
        Some(p) => format!("{}://{host}:{p}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    })
}

/// The origin of a URL with per-iteration variables. Each variable is
/// put in as a stand-in host label and the URL parsed, so the origin is
/// found as for any URL and the stand-ins are named back (`${HOST}`); a
/// template that does not parse so (a variable for the port, the scheme
/// or the whole URL) is cut by hand: its text up to the path, without
/// userinfo, and the run's secrets redacted (a password with a `/` in it
/// would otherwise end up in the cut).
fn template_origin(t: &super::template::Template, secrets: &Redactor) -> Option<String> {
    use super::template::Segment;
    let names: Vec<&str> =
        t.0.iter()
            .filter_map(|s| match s {
                Segment::Var { name, .. } => Some(name.as_str()),
                Segment::Text(_) => None,
            })
            .collect();
    let stand_in = |i: usize| format!("pacevar{i}x");
    let mut i = 0;
    let mut text = String::new();
    for s in &t.0 {
        match s {
            Segment::Text(x) => text.push_str(x),
            Segment::Var { .. } => {
                text.push_str(&stand_in(i));
                i += 1;
            }
        }
    }
    if let Ok(u) = reqwest::Url::parse(&text)
        && let Some(mut o) = origin(&u)
    {
        for (i, name) in names.iter().enumerate().rev() {
            o = o.replace(&stand_in(i), &format!("${{{name}}}"));
        }
        return Some(o);
    }
    let plain = t.plain();
    let (scheme, rest) = match plain.find("://") {
        Some(k) if !plain[..k].contains('/') => plain.split_at(k + 3),
        _ => ("", plain.as_str()),
    };
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host = authority.rsplit('@').next().unwrap_or(authority);
    // Only what an origin can be: a cut inside userinfo (a `/` in a
    // password) is no host, and is not listed.
    let (name, port) = match host.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((_, "")) => (host, None),
            Some((_, p)) => (&host[..host.len() - p.len()], p.strip_prefix(':')),
            None => return None,
        },
        None => match host.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host, None),
        },
    };
    let variable = |v: &str| {
        v.strip_prefix("${")
            .and_then(|v| v.strip_suffix('}'))
            .is_some_and(|n| {
                !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
    };
    // Text and `${name}`s, the text of a host name (or an IPv6 address).
    let host_ok = !name.is_empty()
        && name.split("${").enumerate().all(|(i, piece)| {
            let text = match i {
                0 => piece,
                _ => match piece.split_once('}') {
                    Some((_, after)) => after,
                    None => return false,
                },
            };
            text.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-_[]:".contains(c))
        })
        && (name.starts_with('[') || !name.contains(':'));
    let port_ok = match port {
        None => true,
        Some(p) => (!p.is_empty() && p.chars().all(|c| c.is_ascii_digit())) || variable(p),
    };
    let scheme_ok = scheme.is_empty()
        || scheme.strip_suffix("://").is_some_and(|s| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
                || variable(s)
        });
    (host_ok && port_ok && scheme_ok)
        .then(|| secrets.redact(&format!("{scheme}{host}")).into_owned())
}

/// Group `gi`'s test data, read from its file (relative to the plan's
/// folder); errors name `group[gi].data.file`.
pub(super) fn load_data(
    plan: &PlanFile,
    cfg: &RunConfig,
    gi: usize,
) -> Result<Option<data::Data>, RunError> {
    let Some(d) = &plan.groups[gi].data else {
        return Ok(None);
    };
    let table = data::Table::load(&cfg.plan_dir, &d.0).map_err(|message| RunError::Plan {
        key: format!("group[{gi}].data.file"),
        message,
    })?;
    Ok(Some(data::Data::new(table, &d.0, cfg.seed)))
}

/// One line per group with test data, for `pace run --check`: the file,
/// its rows and columns, and how users take them. Errors as a run's.
pub fn describe_data(plan: &PlanFile, plan_dir: &std::path::Path) -> Result<Vec<String>, RunError> {
    let cfg = RunConfig {
        samples_path: PathBuf::new(),
        seed: 0,
        quiet: true,
        vars: Vec::new(),
        user_vars: Vec::new(),
        plan_dir: plan_dir.to_path_buf(),
        workers_log: None,
        max_iterations: None,
        shard: None,
        start_at: None,
        remote: false,
    };
    let mut out = Vec::new();
    for (gi, g) in plan.groups.iter().enumerate() {
        if let Some(d) = load_data(plan, &cfg, gi)? {
            out.push(format!("group '{}' data: {}", g.name, d.describe()));
        }
    }
    Ok(out)
}

/// One TLS configuration for every user. Building it loads the platform's
/// root certificates, which cost ~100 KiB and milliseconds per client: with
/// thousands of users that dominated both memory and start-up.
pub(super) fn tls() -> Option<rustls::ClientConfig> {
    static TLS: std::sync::OnceLock<Option<rustls::ClientConfig>> = std::sync::OnceLock::new();
    TLS.get_or_init(|| {
        use rustls_platform_verifier::ConfigVerifierExt;
        rustls::ClientConfig::with_platform_verifier().ok()
    })
    .clone()
}

/// A virtual user's HTTP client; `clock` times the connections it opens
/// and counts the requests its retry policy sends again (a kept-alive
/// connection closed under them: see `connection.rs`). With `cookies`,
/// it keeps the cookies it is sent (its own jar, across its iterations,
/// as a browser would).
pub(crate) fn client(clock: &http::ConnectClock, cookies: bool) -> reqwest::Client {
    // One connection per virtual user, kept alive across its iterations
    // (at most one idle: a request sent again after its kept-alive
    // connection closed finds no other idle one and opens a new one).
    let mut b = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .tcp_nodelay(true)
        .connector_layer(clock.clone())
        .retry(super::connection::policy(clock));
    if cookies {
        b = b.cookie_provider(std::sync::Arc::new(super::cookie_jar::UserJar::default()));
    }
    if !proxy_in_env() {
        // Nothing to match: without this, reqwest asks its system-proxy
        // matcher twice on every plain-HTTP request (proxy auth and
        // headers), which parses the host each time.
        b = b.no_proxy();
    }
    if let Some(t) = tls() {
        b = b.tls_backend_preconfigured(t);
    }
    b.build().expect("a plain HTTP client builds")
}

/// True when the environment names a proxy, as reqwest's system proxy
/// reads it on Linux: `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, in either
/// case (docs/security.md), and CGI's `REQUEST_METHOD`, under which
/// reqwest ignores `HTTP_PROXY`: treated as "maybe", so reqwest decides.
fn proxy_in_env() -> bool {
    [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        "REQUEST_METHOD",
    ]
    .iter()
    .any(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()))
}

/// The proxy (`HOST:PORT`) a request to `url` goes through, as reqwest's
/// system proxy decides it from the environment (`HTTP_PROXY`,
/// `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`, in either case; hyper-util's
/// matcher, the one reqwest itself uses); `None` when it goes direct. A
/// failed connection is then the proxy's, and the error says so rather
/// than blaming the target.
pub(crate) fn proxy_for(url: &reqwest::Url) -> Option<String> {
    proxy_of(url).map(|(_, addr)| addr)
}

/// [`proxy_for`] with the proxy's scheme: (`http`, `127.0.0.1:3128`).
fn proxy_of(url: &reqwest::Url) -> Option<(String, String)> {
    static MATCHER: std::sync::OnceLock<Option<hyper_util::client::proxy::matcher::Matcher>> =
        std::sync::OnceLock::new();
    let m = MATCHER
        .get_or_init(|| {
            proxy_in_env().then(hyper_util::client::proxy::matcher::Matcher::from_system)
        })
        .as_ref()?;
    let uri: hyper::Uri = url.as_str().parse().ok()?;
    let proxy = m.intercept(&uri)?;
    let p = proxy.uri();
    let host = p.host()?;
    let port = p.port_u16().unwrap_or(match p.scheme_str() {
        Some("https") => 443,
        Some("socks5" | "socks5h") => 1080,
        _ => 80,
    });
    Some((
        p.scheme_str().unwrap_or("http").to_string(),
        format!("{host}:{port}"),
    ))
}

/// The proxies the steps' requests go through, one line per target
/// (`HOST:PORT`) that goes through one, for the user to see before any
/// traffic: a proxy changes what is measured. A step whose URL is only
/// known at run time (a variable in its host) is not listed. Errors: a
/// proxy pace cannot speak to (SOCKS: pace's client speaks to http and
/// https proxies), naming the first step it would fail, before every
/// request of the run fails on it.
/// `embedded`: the embedded target's stand-in `HOST:PORT`, when the plan
/// has one.
fn proxies(groups: &[Group], embedded: Option<&str>) -> Result<Vec<String>, RunError> {
    let mut lines: Vec<String> = Vec::new();
    for (gi, g) in groups.iter().enumerate() {
        let GroupWork::Http(h) = &*g.work else {
            continue;
        };
        for (si, step) in h.steps.iter().enumerate() {
            let Ok(url) = reqwest::Url::parse(&step.url) else {
                continue;
            };
            let Some((scheme, proxy)) = proxy_of(&url) else {
                continue;
            };
            if scheme != "http" && scheme != "https" {
                return Err(RunError::Plan {
                    key: format!("group[{gi}].step[{si}].url"),
                    message: format!(
                        "its requests would go through the {scheme} proxy {proxy} that the environment names (HTTP_PROXY, HTTPS_PROXY or ALL_PROXY), and pace speaks only to http and https proxies: unset it, or list the host in NO_PROXY"
                    ),
                });
            }
            let target = match (url.host_str(), url.port_or_known_default()) {
                (Some(h), Some(p)) => format!("{h}:{p}"),
                (Some(h), None) => h.to_string(),
                _ => continue,
            };
            // `${PACE_TARGET}` stands for the embedded target's address
            // until it is started: name it, not the stand-in.
            let target = match embedded {
                Some(e) if target == e => "the embedded target".to_string(),
                _ => target,
            };
            let line = format!(
                "requests to {target} go through the proxy {proxy} (from the environment; NO_PROXY lists hosts reached directly)"
            );
            if !lines.contains(&line) {
                lines.push(line);
            }
        }
    }
    Ok(lines)
}

/// What [`preflight`] found: what the run will execute, and where its
/// requests go.
pub struct Preflight {
    /// The commands the script groups run, in words.
    pub commands: Vec<String>,
    /// One line per target reached through a proxy (see [`proxies`]).
    pub proxies: Vec<String>,
}

/// What `${PACE_TARGET}` reads in [`preflight`], before the embedded
/// target has an address.
const EMBEDDED_STAND_IN: &str = "http://127.0.0.1:1";

/// Everything [`execute`] checks before it sends traffic, without sending
/// any or starting anything: the embedded target's settings, every step's
/// URL (http or https), variables, method and headers, every script (a
/// file that compiles, for pace's Python worker) and every interpreter (it
/// runs Python). `${PACE_TARGET}` stands for the embedded target's address.
/// Returns the commands the run will execute for its script groups, in
/// words, and the proxies its requests go through; errors: the first
/// problem, naming its key.
pub fn preflight(plan: &PlanFile, cfg: &RunConfig) -> Result<Preflight, RunError> {
    let mut cfg = RunConfig {
        workers_log: None,
        vars: cfg.vars.clone(),
        user_vars: cfg.user_vars.clone(),
        plan_dir: cfg.plan_dir.clone(),
        samples_path: cfg.samples_path.clone(),
        seed: cfg.seed,
        quiet: true,
        max_iterations: cfg.max_iterations,
        shard: cfg.shard,
        start_at: None,
        remote: cfg.remote,
    };
    if let Some(e) = &plan.target.embedded {
        e.to_config().map_err(|(k, message)| RunError::Plan {
            key: format!("target.embedded.{k}"),
            message,
        })?;
        cfg.vars
            .push(("PACE_TARGET".into(), EMBEDDED_STAND_IN.into()));
    }
    let mut scripts = Scripts::default();
    let (groups, _) = build_groups(plan, &cfg, &mut scripts)?;
    let mut commands = Vec::new();
    for (gi, g) in groups.iter().enumerate() {
        if let GroupWork::Script { spec, .. } = &*g.work {
            // The pod's Python is its image's, not this machine's.
            if cfg.remote {
                commands.push(scripts::describe(spec));
                continue;
            }
            scripts::compile(spec).map_err(|message| RunError::Plan {
                key: format!("group[{gi}].script"),
                message,
            })?;
            commands.push(scripts::describe(spec));
        }
    }
    let stand_in = plan
        .target
        .embedded
        .as_ref()
        .map(|_| EMBEDDED_STAND_IN.trim_start_matches("http://"));
    // A pod's proxies are its own environment's.
    let proxies = if cfg.remote {
        Vec::new()
    } else {
        proxies(&groups, stand_in)?
    };
    Ok(Preflight { commands, proxies })
}

#[cfg(test)]
mod tests {
    use super::{Redactor, origin, template_origin};
    use crate::runner::template::Template;

    fn origin_of(url: &str, runtime: &[&str], env: &[(&str, &str)]) -> Option<String> {
        let lookup = |k: &str| {
            env.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        };
        match Template::build(url, &|n| runtime.contains(&n), &lookup).unwrap() {
            Some(t) => {
                let mut secrets = Redactor::default();
                for (k, v) in env {
                    secrets.add_variable(k, v);
                }
                template_origin(&t, &secrets)
            }
            None => origin(&reqwest::Url::parse(url).unwrap()),
        }
    }

    /// The origin only: the default port written out, never the userinfo,
    /// the path or the query; a per-iteration host named by its variable.
    #[test]
    fn a_steps_origin_is_scheme_host_and_port_and_nothing_else() {
        assert_eq!(
            origin_of("https://me:pw@api.example.com/a?key=s3cret", &[], &[]).as_deref(),
            Some("https://api.example.com:443")
        );
        assert_eq!(
            origin_of("http://[::1]:8080/x", &[], &[]).as_deref(),
            Some("http://[::1]:8080")
        );
        // A path or query variable leaves the origin known.
        assert_eq!(
            origin_of(
                "http://127.0.0.1:9/s?q=${q}&t=${TOKEN}",
                &["q"],
                &[("TOKEN", "s3cret-token")]
            )
            .as_deref(),
            Some("http://127.0.0.1:9")
        );
        // A variable host is named, with the port the URL gives.
        assert_eq!(
            origin_of(
                "http://${HOST}:8080/p?k=${TOKEN}",
                &["HOST"],
                &[("TOKEN", "s3cret-token")]
            )
            .as_deref(),
            Some("http://${HOST}:8080")
        );
        assert_eq!(
            origin_of(
                "https://u:${PASS}@shop-${region}.example.com/",
                &["region"],
                &[("PASS", "pass-word")]
            )
            .as_deref(),
            Some("https://shop-${region}.example.com:443")
        );
        // A `/` in the password cuts the URL inside its userinfo: no
        // origin, and no piece of the password.
        assert_eq!(
            origin_of(
                "https://u:${PASS}@shop-${region}.example.com/",
                &["region"],
                &[("PASS", "pa/ss-word")]
            ),
            None
        );
        // Cut by hand: a variable port, a whole-URL variable; a password
        // with a slash never reaches the cut.
        assert_eq!(
            origin_of("http://h:${port}/x?k=1", &["port"], &[]).as_deref(),
            Some("http://h:${port}")
        );
        assert_eq!(
            origin_of("${url}", &["url"], &[]).as_deref(),
            Some("${url}")
        );
        assert_eq!(
            origin_of("${base}/cart", &["base"], &[]).as_deref(),
            Some("${base}")
        );
        assert_eq!(
            origin_of(
                "http://me:${PASS}@h:${port}/x",
                &["port"],
                &[("PASS", "pa/ss-word")]
            ),
            None
        );
        assert_eq!(
            origin_of(
                "http://me:${PASS}@h:${port}/x",
                &["port"],
                &[("PASS", "pass-word")]
            )
            .as_deref(),
            Some("http://h:${port}")
        );
    }
}
