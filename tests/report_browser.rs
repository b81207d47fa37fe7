//! report.html in a real browser: headless Chromium (Debian's `chromium`
//! package, or the binary `PACE_CHROMIUM` names) renders a report of a
//! synthetic 60 s run at 400 px wide and prints it to PDF. It checks what a
//! person would see: no sideways scrolling of the page, every graph with a
//! size, no text of a graph outside it, no error in the console, and a PDF
//! of a few pages under 1 MB.
//!
//! The results folder is made fast: plan.toml and a samples.csv written
//! here, turned into every report by `pace report`. Nothing is sent
//! anywhere: Chromium opens a local file with its network features off.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

/// How long one Chromium call may take before it is killed (a cold start
/// on a loaded 2-core machine takes a few seconds).
const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(120);

/// The largest PDF allowed, and the most pages, for a 60 s run of 3 timers.
const PDF_MAX_BYTES: u64 = 1024 * 1024;
const PDF_MAX_PAGES: usize = 16;

fn chromium() -> PathBuf {
    let path = std::env::var_os("PACE_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.is_file(),
        "{} not found: install Chromium with `apt-get update && apt-get install -y chromium` (or set PACE_CHROMIUM to a Chromium binary)",
        path.display()
    );
    path
}

const PLAN: &str = r#"
[target]
tps = 30.0
transactions_per_iteration = 3

[run]
duration = "60s"
ramp_up = "15s"
ts_interval = "5s"

[[group]]
name = "shop"
users = 20

[group.pacing]
mode = "fixed"
interval = "2s"

[[group.step]]
name = "home"
url = "http://127.0.0.1:9/"

[[group.step]]
name = "search <b>&amp;</b>"
url = "http://127.0.0.1:9/search"

[[group.step]]
name = "cart"
url = "http://127.0.0.1:9/cart"

[acceptance]
p95 = "60ms"
p99 = "150ms"
error_rate = "5%"
"#;

/// A deterministic pseudo-random stream (xorshift), so the file is the same
/// on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Log-normal around `median` seconds.
    fn latency(&mut self, median: f64) -> f64 {
        let (u1, u2) = (self.next().max(1e-12), self.next());
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        median * (0.5 * z).exp()
    }
}

/// plan.toml and samples.csv of a 60 s run: 20 users starting over 15 s,
/// 3 steps every 2 s, ~3 % errors of a few kinds (one message with markup),
/// and a run that ends 2.5 s into its last 5 s interval.
fn make_folder(dir: &Path) {
    std::fs::write(dir.join("plan.toml"), PLAN).unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let steps = [
        ("home", 0.02),
        ("search <b>&amp;</b>", 0.05),
        ("cart", 0.03),
    ];
    let mut rows = vec![
        "kind,t,iter_start,iter_sched,group,user,iteration,name,latency,latency_sched,status,ok,error_kind,error,bytes,late,overrun,ttfb".to_string(),
    ];
    let end = 62.5;
    let mut events: Vec<(f64, String)> = Vec::new();
    for u in 0..20u32 {
        let start = u as f64 * 0.75;
        events.push((
            start,
            format!("user_start,{start},{start},{start},shop,{u},0,shop,0,0,0,true,,,0,0,false,0"),
        ));
        let mut k = 0u64;
        loop {
            let sched = start + 2.0 * k as f64;
            if sched >= end - 0.5 {
                break;
            }
            let late = rng.next() * 0.002;
            let mut t = sched + late;
            let mut all_ok = true;
            for (name, median) in steps {
                let lat = rng.latency(median);
                let r = rng.next();
                let (ok, status, kind, err) = if r < 0.015 {
                    (false, 500, "status", "HTTP 500 Internal Server Error")
                } else if r < 0.022 {
                    (false, 503, "status", "HTTP 503 <i>busy</i> & \"retry\"")
                } else if r < 0.03 {
                    (false, 0, "timeout", "no response within 2s")
                } else {
                    (true, 200, "", "")
                };
                all_ok &= ok;
                let line = format!(
                    "step,{t:.6},{s:.6},{sched:.6},shop,{u},{k},\"{name}\",{lat:.6},{ls:.6},{status},{ok},{kind},\"{err}\",1024,0,false,{tt:.6}",
                    s = sched + late,
                    ls = lat + late,
                    err = err.replace('"', "\"\""),
                    tt = lat / 2.0,
                );
                events.push((t, line));
                t += lat;
            }
            let it = t - (sched + late);
            events.push((
                sched + late,
                format!(
                    "iteration,{s:.6},{s:.6},{sched:.6},shop,{u},{k},shop,{it:.6},{il:.6},0,{all_ok},,,0,{late:.6},false,0",
                    s = sched + late,
                    il = it + late,
                ),
            ));
            k += 1;
        }
    }
    for u in 0..20u32 {
        events.push((
            end,
            format!("user_stop,{end},{end},{end},shop,{u},0,shop,0,0,0,true,,,0,0,false,0"),
        ));
    }
    events.sort_by(|a, b| a.0.total_cmp(&b.0));
    rows.extend(events.into_iter().map(|e| e.1));
    std::fs::write(dir.join("samples.csv"), rows.join("\n") + "\n").unwrap();
}

/// Runs `pace report DIR` twice: once to write summary.json from the
/// samples alone (a folder without one is taken for a killed run), then,
/// with the run marked complete in it, again as after a finished run.
fn report(dir: &Path) -> PathBuf {
    let d = dir.to_str().unwrap();
    let (code, _, err) = common::pace(dir, &["report", d]);
    assert!(
        matches!(code, 0 | 1 | 3),
        "pace report exited {code}: {err}"
    );
    let path = dir.join("summary.json");
    let mut s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    s["meta"]["partial"] = false.into();
    s["meta"]["partial_reason"] = serde_json::Value::Null;
    s["meta"]["run_time_s"] = 62.5.into();
    // As `pace merge` leaves it: the Shards section (a wide table, long
    // host names and folders) must read at 400 px and print too.
    s["shards"] = (0..8)
        .map(|i| {
            serde_json::json!({
                "index": i, "host": format!("pace-load-generator-{i}-7f9c4b5d8-x2kqz"),
                "status": "ok", "folder": format!("/results/pace-shop-20261201t101500z/shard-{i}/20261201-101500Z"),
                "t0_shift_s": 0.0, "start_skew_s": 0.0012 * i as f64, "ready_margin_s": 41.7,
                "users": 3, "iterations": 93, "transactions": 270, "errors": 9
            })
        })
        .collect::<Vec<_>>()
        .into();
    s["start_skew_s"] = 0.0084.into();
    // As the runner leaves them: the hosts hit (one per iteration, its
    // host a variable) and pace's CPU, above its limit in one interval,
    // drawn on the throughput graph.
    s["meta"]["targets"] = serde_json::json!([
        "http://127.0.0.1:9",
        "https://shop-${region}.eu-central-1.internal.example.com:8443"
    ]);
    s["meta"]["generator"] = serde_json::json!({
        "cores": 2.0, "cpu_span": 0.34, "cpu_max": 0.86, "limit": 0.8,
        "intervals": (0..13).map(|i| if i == 7 { 0.86 } else { 0.2 + 0.01 * i as f64 }).collect::<Vec<_>>()
    });
    std::fs::write(&path, serde_json::to_string(&s).unwrap()).unwrap();
    let (code, _, err) = common::pace(dir, &["report", d]);
    assert!(matches!(code, 0 | 1), "pace report exited {code}: {err}");
    dir.join("report.html")
}

/// Runs Chromium headless on `args` with a fresh profile, killed (its
/// whole process group) past [`CHROMIUM_TIMEOUT`]; returns its stdout.
fn run_chromium(args: &[String]) -> String {
    use std::os::unix::process::CommandExt;
    let profile = tempfile::tempdir().unwrap();
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(out.reopen().unwrap())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("chromium starts");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "chromium {args:?} exited {status}");
            break;
        }
        if started.elapsed() > CHROMIUM_TIMEOUT {
            let _ = Command::new("kill")
                .args(["-KILL", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            panic!("chromium {args:?} took more than {CHROMIUM_TIMEOUT:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::fs::read_to_string(out.path()).unwrap()
}

/// What the probe measures, injected into a copy of the page: hooks for
/// errors first, the measurement after the last element.
const HOOKS: &str = r#"<script>
// Headless Chromium makes no window narrower than 500 px: a zoom of the
// page to the window's width over 400 lays it out 400 CSS px wide.
document.documentElement.style.zoom = String(window.innerWidth / 400);
window.__errors = [];
window.addEventListener('error', function (e) { __errors.push('error: ' + (e.message || e.type)); }, true);
(function () { var ce = console.error; console.error = function () { __errors.push('console.error: ' + Array.prototype.join.call(arguments, ' ')); ce.apply(console, arguments); }; })();
</script>"#;

const PROBE: &str = r#"<script>
(function () {
  var d = document.documentElement;
  var svgs = Array.prototype.slice.call(document.querySelectorAll('svg'));
  var empty = 0, outside = [];
  svgs.forEach(function (s) {
    var r = s.getBoundingClientRect();
    if (!(r.width > 0 && r.height > 0)) { empty++; return; }
    s.querySelectorAll('text').forEach(function (t) {
      var b = t.getBoundingClientRect();
      if (b.width > 0 && (b.left < r.left - 1 || b.right > r.right + 1 || b.top < r.top - 1 || b.bottom > r.bottom + 1)) {
        outside.push(t.textContent);
      }
    });
  });
  var p = document.createElement('pre');
  p.id = 'pace-probe';
  p.textContent = 'PROBE' + JSON.stringify({
    scrollWidth: d.scrollWidth, clientWidth: d.clientWidth, svgs: svgs.length,
    layoutWidth: d.offsetWidth,
    empty: empty, outside: outside, errors: window.__errors
  }) + 'EBORP';
  document.body.appendChild(p);
})();
</script>"#;

/// How many pages a PDF has: its `/Type /Page` objects (not `/Pages`).
fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    let mut n = 0;
    for (i, _) in text.match_indices("/Type") {
        let rest = text[i + 5..].trim_start();
        if rest.starts_with("/Page") && !rest.starts_with("/Pages") {
            n += 1;
        }
    }
    n
}

#[test]
fn report_html_reads_at_400_px_and_prints_small() {
    let bin = chromium();
    eprintln!("using {}", bin.display());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    std::fs::create_dir(&dir).unwrap();
    make_folder(&dir);
    let html_path = report(&dir);
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(
        html.contains("<h2>Shards</h2>") && html.contains("pace-load-generator-7-"),
        "the merged run's Shards section"
    );
    assert!(
        !html.contains("<script"),
        "report.html must carry no script"
    );
    assert!(
        html.contains("pace CPU (right)") && html.contains("shop-${region}.eu-central-1"),
        "the generator's CPU and the hosts hit, kept by `pace report`"
    );

    // 400 px wide, with the probe.
    let probe_html = html
        .replacen("<head>", &format!("<head>{HOOKS}"), 1)
        .replacen("</body>", &format!("{PROBE}</body>"), 1);
    let probe_path = tmp.path().join("probe.html");
    std::fs::write(&probe_path, probe_html).unwrap();
    let url = format!("file://{}", probe_path.display());
    let dom = run_chromium(&["--window-size=400,900".into(), "--dump-dom".into(), url]);
    // The result, not the script's own text: it starts with a brace.
    let json = dom
        .split("PROBE{")
        .nth(1)
        .and_then(|s| s.split("EBORP").next())
        .map(|s| format!("{{{s}"))
        .unwrap_or_else(|| {
            panic!(
                "the probe did not run; chromium printed: {}",
                &dom[..dom.len().min(2000)]
            )
        });
    let json = json
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">");
    let m: serde_json::Value = serde_json::from_str(&json).unwrap();
    eprintln!("probe: {m}");
    let (sw, cw) = (
        m["scrollWidth"].as_i64().unwrap(),
        m["clientWidth"].as_i64().unwrap(),
    );
    assert_eq!(m["layoutWidth"], 400, "the page is laid out 400 px wide");
    assert!(
        sw <= cw,
        "the page scrolls sideways at 400 px: {sw} px wide in {cw} px"
    );
    // 2 over time, 4 more for All Transactions, 4 per timer.
    assert_eq!(m["svgs"], 2 + 4 + 3 * 4, "graphs");
    assert_eq!(m["empty"], 0, "an SVG with no size");
    assert_eq!(
        m["outside"],
        serde_json::json!([]),
        "graph text outside its graph"
    );
    assert_eq!(m["errors"], serde_json::json!([]), "errors in the console");

    // Printed to PDF.
    let pdf_path = tmp.path().join("report.pdf");
    run_chromium(&[
        format!("--print-to-pdf={}", pdf_path.display()),
        "--no-pdf-header-footer".into(),
        format!("file://{}", html_path.display()),
    ]);
    let pdf = std::fs::read(&pdf_path).expect("chromium wrote the PDF");
    assert!(pdf.starts_with(b"%PDF"), "not a PDF");
    let pages = pdf_pages(&pdf);
    eprintln!("PDF: {} bytes, {pages} pages", pdf.len());
    assert!(
        (pdf.len() as u64) < PDF_MAX_BYTES,
        "the PDF is {} bytes (at most {PDF_MAX_BYTES})",
        pdf.len()
    );
    assert!(
        (1..=PDF_MAX_PAGES).contains(&pages),
        "the PDF has {pages} pages (1 to {PDF_MAX_PAGES})"
    );
}
