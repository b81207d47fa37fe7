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
        b = b.cookie_provider(std::sync::Arc::new(UserJar::default()));
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

/// A virtual user's cookie jar: reqwest's own, behind a flag that says
/// whether it ever stored a cookie. A target that sets none (most load
/// tests of an API) then costs no lock, no matching and no allocation of
/// an empty `Cookie` header per request, which reqwest's jar spends.
#[derive(Default)]
struct UserJar {
    jar: reqwest::cookie::Jar,
    any: std::sync::atomic::AtomicBool,
}

impl reqwest::cookie::CookieStore for UserJar {
    fn set_cookies(
        &self,
        cookie_headers: &mut dyn Iterator<Item = &reqwest::header::HeaderValue>,
        url: &reqwest::Url,
    ) {
        let mut headers = cookie_headers.peekable();
        if headers.peek().is_some() {
            self.any.store(true, std::sync::atomic::Ordering::Relaxed);
            self.jar.set_cookies(&mut headers, url);
        }
    }

    fn cookies(&self, url: &reqwest::Url) -> Option<reqwest::header::HeaderValue> {
        if self.any.load(std::sync::atomic::Ordering::Relaxed) {
            self.jar.cookies(url)
        } else {
            None
        }
    }
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
    let proxies = proxies(&groups, stand_in)?;
    Ok(Preflight { commands, proxies })
}

#[cfg(test)]
mod tests {
    use super::UserJar;
    use reqwest::cookie::CookieStore;
    use reqwest::header::HeaderValue;

    /// Empty, the jar answers nothing; once a response sets a cookie it is
    /// reqwest's jar: the cookie goes back to its site and path only.
    #[test]
    fn the_jar_wakes_at_the_first_cookie_and_then_matches_as_reqwest_does() {
        let jar = UserJar::default();
        let home: reqwest::Url = "http://127.0.0.1:8080/home".parse().unwrap();
        let other: reqwest::Url = "http://127.0.0.2:8080/home".parse().unwrap();
        assert_eq!(jar.cookies(&home), None);
        jar.set_cookies(&mut std::iter::empty(), &home);
        assert_eq!(jar.cookies(&home), None, "no Set-Cookie: still asleep");
        let set = HeaderValue::from_static("session=abc; Path=/");
        jar.set_cookies(&mut std::iter::once(&set), &home);
        assert_eq!(
            jar.cookies(&home),
            Some(HeaderValue::from_static("session=abc"))
        );
        assert_eq!(jar.cookies(&other), None, "another host gets none");
    }
}
