//! `pace run` writes report.html: one self-contained page whose sections,
//! tables and graphs are where the documentation says, with numbers that
//! agree with summary.json; what it shows first is what the verdict
//! judged. Each run is ~3 s against pace's embedded target.

use assert_cmd::Command;
use scraper::{ElementRef, Html, Selector};
use serde_json::Value;
use std::path::PathBuf;

const PLAN: &str = r#"
[target]
tps = 20.0                         # 4 users x 2 steps / 0.4 s
transactions_per_iteration = 2

[target.embedded]
latency = "lognormal:5ms,0.3"
error_rate = "0%"
seed = 3

[run]
duration = "3s"
ramp_up = "1s"
ts_interval = "1s"
grace = "2s"

[[group]]
name = "browse"
users = 4

[group.pacing]
mode = "fixed"
interval = "400ms"

[[group.step]]
name = "home"
url = "${PACE_TARGET}/"
timeout = "2s"

[[group.step]]
name = "search"
url = "${PACE_TARGET}/search?q=1"
timeout = "2s"

[acceptance]
p95 = "1s"
"#;

/// Runs the plan once; returns the report's text and summary.json.
fn run() -> (String, Value) {
    run_plan(PLAN, &[], &[])
}

/// Runs `plan` with `files` beside it and `args` added; returns the
/// report's text and summary.json.
fn run_plan(plan: &str, files: &[(&str, &str)], args: &[&str]) -> (String, Value) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let file = dir.path().join("report-test.toml");
    std::fs::write(&file, plan).unwrap();
    let results = dir.path().join("results");
    let out = Command::cargo_bin("pace")
        .unwrap()
        .args(["run", file.to_str().unwrap(), "--results-dir"])
        .arg(&results)
        .args(["--seed", "5", "--quiet"])
        .args(args)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let code = out.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "pace run exited {code:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stamp: PathBuf = std::fs::read_dir(&results)
        .unwrap()
        .next()
        .expect("a results folder")
        .unwrap()
        .path();
    let html = std::fs::read_to_string(stamp.join("report.html")).expect("report.html written");
    let summary =
        serde_json::from_str(&std::fs::read_to_string(stamp.join("summary.json")).unwrap())
            .unwrap();
    (html, summary)
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn text(e: ElementRef) -> String {
    e.text().collect::<String>().trim().to_string()
}

fn headers(table: ElementRef) -> Vec<String> {
    table.select(&sel("thead th")).map(text).collect()
}

fn body_rows(table: ElementRef) -> usize {
    table.select(&sel("tbody tr")).count()
}

#[test]
fn the_report_has_every_part_in_order_and_agrees_with_summary_json() {
    let (html, summary) = run();
    let doc = Html::parse_document(&html);

    // Sections, in the documented order (timers in name order).
    let ids: Vec<String> = doc
        .select(&sel("[id]"))
        .filter_map(|e| e.value().id().map(str::to_string))
        .collect();
    assert_eq!(
        ids,
        [
            "verdict",
            "judged",
            "checks",
            "over-time",
            "statistics",
            "errors",
            "summary",
            "plan-vs-achieved",
            "all-transactions",
            "timer-home",
            "timer-search",
            "footer"
        ],
        "section ids"
    );

    // The verdict, as summary.json has it, with every reason.
    let pass = summary["verdict"]["pass"].as_bool().unwrap();
    let word: Vec<String> = doc
        .select(&sel("#verdict .verdict-word"))
        .map(text)
        .collect();
    assert_eq!(word, [if pass { "PASS" } else { "FAIL" }]);
    let reasons = summary["verdict"]["reasons"].as_array().unwrap();
    let shown: Vec<String> = doc
        .select(&sel("#verdict ul.reasons li"))
        .map(text)
        .collect();
    assert_eq!(shown.len(), reasons.len());
    for (r, s) in reasons.iter().zip(&shown) {
        assert_eq!(r.as_str().unwrap(), s);
    }

    // Each timer section: both tables with exactly the documented columns.
    let summary_cols = [
        "count", "min", "avg", "80pct", "90pct", "95pct", "max", "stdev",
    ];
    let interval_cols = [
        "interval", "count", "rate", "min", "avg", "80pct", "90pct", "95pct", "max", "stdev",
    ];
    for (id, intervals) in [
        ("all-transactions", &summary["all_intervals"]),
        ("timer-home", &summary["intervals"]["home"]),
        ("timer-search", &summary["intervals"]["search"]),
    ] {
        let section = doc.select(&sel(&format!("#{id}"))).next().unwrap();
        let rts: Vec<ElementRef> = section
            .select(&sel("table.response-time-summary"))
            .collect();
        assert_eq!(rts.len(), 1, "{id}: one Response Time Summary");
        assert_eq!(headers(rts[0]), summary_cols, "{id}");
        assert_eq!(body_rows(rts[0]), 1);
        let details: Vec<ElementRef> = section.select(&sel("table.interval-details")).collect();
        assert_eq!(details.len(), 1, "{id}: one Interval Details");
        assert_eq!(headers(details[0]), interval_cols, "{id}");
        let n = intervals.as_array().unwrap().len();
        assert!(n >= 3, "{id}: a 3 s run at 1 s has at least 3 intervals");
        assert_eq!(body_rows(details[0]), n, "{id}: one row per interval");
        let h3: Vec<String> = section.select(&sel("h3")).map(text).collect();
        assert!(
            h3.contains(&"Interval Details (1 s intervals)".to_string()),
            "{id}: {h3:?}"
        );
        // Graphs: response time, scatter, latency distribution, throughput;
        // All Transactions has its response time and throughput at the top
        // (Over time) and adds active users and start lateness. Each is
        // one inline SVG.
        let figures: Vec<ElementRef> = section.select(&sel("figure.graph")).collect();
        assert_eq!(figures.len(), 4, "{id}");
        for f in &figures {
            assert_eq!(f.select(&sel("svg")).count(), 1, "{id}: an <svg> per graph");
            assert!(
                f.select(&sel("svg text")).count() > 5,
                "{id}: labelled axes"
            );
        }
    }

    let over_time: Vec<ElementRef> = doc.select(&sel("#over-time figure.graph svg")).collect();
    assert_eq!(over_time.len(), 2, "throughput and response time over time");

    // The statistics table: All Transactions, then each timer, with the
    // counts of summary.json (successful + failed samples).
    let stat_rows: Vec<Vec<String>> = doc
        .select(&sel("#statistics table.statistics tbody tr"))
        .map(|tr| tr.select(&sel("th, td")).map(text).collect())
        .collect();
    assert_eq!(stat_rows.len(), 3);
    for (row, (name, stats, errors)) in stat_rows.iter().zip([
        (
            "All Transactions",
            &summary["all_transactions"],
            &summary["whole_run"]["errors"],
        ),
        (
            "home",
            &summary["timers"]["home"],
            &summary["timer_errors"]["home"],
        ),
        (
            "search",
            &summary["timers"]["search"],
            &summary["timer_errors"]["search"],
        ),
    ]) {
        assert_eq!(row[0], name);
        let (ok, failed) = (stats["count"].as_u64().unwrap(), errors.as_u64().unwrap());
        assert_eq!(row[1], (ok + failed).to_string(), "{name}: count");
        assert_eq!(row[2], failed.to_string(), "{name}: errors");
    }
    // The new summary.json keys are there.
    assert!(
        summary["latency_curves"]["home"]["measured"]
            .as_array()
            .unwrap()
            .len()
            > 5
    );
    assert!(
        summary["latency_curves_all"]["scheduled"]
            .as_array()
            .unwrap()
            .len()
            > 5
    );
    assert!(summary["error_rows"].is_array());
    // 4 users: each start (and stop) is a step.
    assert!(summary["active_user_steps"].as_array().unwrap().len() >= 4);

    // The whole-run count agrees with summary.json.
    let all = doc
        .select(&sel(
            "#all-transactions table.response-time-summary tbody td",
        ))
        .next()
        .unwrap();
    assert_eq!(text(all), summary["all_transactions"]["count"].to_string());

    // Self-contained: no script, no stylesheet link, no external reference.
    assert_eq!(
        doc.select(&sel("script, link, img, iframe, object"))
            .count(),
        0
    );
    for e in doc.select(&sel("[src], [href]")) {
        for attr in ["src", "href"] {
            if let Some(v) = e.value().attr(attr) {
                assert!(
                    v.starts_with('#'),
                    "{attr}={v} is not a link inside the page"
                );
            }
        }
    }
    for e in doc.select(&sel("*")) {
        for (name, v) in e.value().attrs() {
            if name != "xmlns" {
                assert!(
                    !v.contains("http://") && !v.contains("https://"),
                    "{name}={v}"
                );
            }
        }
    }
    let footer = text(doc.select(&sel("#footer")).next().unwrap());
    assert!(
        footer.contains(&format!("seed {}", summary["meta"]["seed"])),
        "{footer}"
    );
    assert!(footer.contains("Percentiles are HDR histogram values at quantile"));
}

/// `p95-ignores-timeouts`' run (one request in four takes 500 ms and is
/// cut off by its 200 ms timeout), with a secret in a header and in the
/// URL's query given by `--var`.
const TIMEOUTS_PLAN: &str = r#"
[target.embedded]
latency = "10ms"

[run]
duration = "3s"
ramp_up = "1s"
ts_interval = "1s"
grace = "1s"

[[group]]
name = "api"
users = 2
data = "latencies.csv"

[group.pacing]
mode = "none"

[[group.step]]
name = "search"
url = "${PACE_TARGET}/search?latency=${lat}&key=${TOKEN}"
timeout = "200ms"
headers = { Authorization = "Bearer ${TOKEN}" }

[acceptance]
p95 = "100ms"
"#;

const TOKEN: &str = "tok-9f2c-s3cr3t";

/// What is read first was judged: the verdict, then the span and its
/// percentiles over every transaction (the timeouts at their timeout)
/// beside the successes', each check with the samples and span it judged,
/// and the host:port the run hit, never the secret that went with it.
#[test]
fn the_report_opens_with_what_was_judged_and_names_the_host_not_the_secret() {
    let (html, summary) = run_plan(
        TIMEOUTS_PLAN,
        &[("latencies.csv", "lat\n10ms\n10ms\n10ms\n500ms\n")],
        &["--var", &format!("TOKEN={TOKEN}")],
    );
    let doc = Html::parse_document(&html);
    let first = doc.select(&sel("main > section")).next().unwrap();
    assert_eq!(first.value().id(), Some("verdict"), "the verdict first");
    let word: Vec<String> = first.select(&sel(".verdict-word")).map(text).collect();
    assert_eq!(word, ["FAIL"], "a quarter of the requests timed out");
    let order: Vec<String> = doc
        .select(&sel("main > section"))
        .take(4)
        .filter_map(|e| e.value().id().map(str::to_string))
        .collect();
    assert_eq!(order, ["verdict", "judged", "checks", "over-time"]);

    // The span, as summary.json has it.
    let span = summary["achieved"]["span_s"].as_array().unwrap();
    assert_eq!((span[0].as_f64(), span[1].as_f64()), (Some(1.0), Some(3.0)));
    let shown = text(doc.select(&sel("#judged tr.span td")).next().unwrap());
    assert!(
        shown.starts_with("window 1-3 s (2 s): after the 1 s ramp-up"),
        "{shown}"
    );

    // The judged p95 (every transaction) and the successes' beside it.
    let row = |name: &str| -> Vec<String> {
        let tr = doc
            .select(&sel("#judged table.judged-latency tbody tr"))
            .find(|tr| text(tr.select(&sel("th")).next().unwrap()).starts_with(name))
            .unwrap_or_else(|| panic!("no {name} row"));
        tr.select(&sel("td")).map(text).collect()
    };
    let heads: Vec<String> = doc
        .select(&sel("#judged table.judged-latency thead tr:first-child th"))
        .map(text)
        .collect();
    assert_eq!(
        heads,
        ["response time", "count", "p50", "p95", "p99", "max"]
    );
    let (all, ok) = (row("every transaction"), row("successes only"));
    let stat = |k: &str, q: &str| summary["achieved"][k][q].as_f64().unwrap();
    let d = pace::units::measured_time;
    assert_eq!(all[0], summary["achieved"]["latency"]["count"].to_string());
    assert_eq!(
        ok[0],
        summary["achieved"]["latency_ok"]["count"].to_string()
    );
    assert_eq!(all[2], d(stat("latency", "p95")));
    assert_eq!(ok[2], d(stat("latency_ok", "p95")));
    // A timeout took at least its 200 ms, a success less.
    assert!(
        stat("latency_ok", "p95") < 0.2 && stat("latency", "p95") >= 0.2,
        "the timeouts are in the judged p95 only: {all:?} vs {ok:?}"
    );
    assert_ne!(all[2], ok[2]);
    // The judged row is the failed check's.
    let judged: Vec<String> = doc
        .select(&sel("#judged table.judged-latency tr.judged td.breach"))
        .map(text)
        .collect();
    assert_eq!(judged, [d(stat("latency", "p95"))]);

    // The checks table says over which samples and span each judged.
    let table = doc.select(&sel("#checks table.checks")).next().unwrap();
    assert_eq!(
        headers(table),
        ["check", "planned", "achieved", "over", "result"]
    );
    let checks = summary["verdict"]["checks"].as_array().unwrap();
    let rows: Vec<Vec<String>> = table
        .select(&sel("tbody tr"))
        .map(|tr| tr.select(&sel("td")).map(text).collect())
        .collect();
    assert_eq!(rows.len(), checks.len());
    for (row, c) in rows.iter().zip(checks) {
        assert_eq!(row[0], c["name"].as_str().unwrap());
        assert_eq!(row[3], c["over"]["samples"].as_str().unwrap());
        assert!(row[3].contains("the window 1-3 s"), "{row:?}");
    }
    let p95 = rows.iter().find(|r| r[0] == "p95 response time").unwrap();
    assert_eq!(p95[4], "FAIL");
    assert!(p95[3].contains("successes and failures"), "{p95:?}");

    // The host:port the run hit: the embedded target's.
    let target = summary["meta"]["vars"]["PACE_TARGET"].as_str().unwrap();
    assert!(target.starts_with("http://127.0.0.1:"), "{target}");
    assert_eq!(summary["meta"]["targets"], serde_json::json!([target]));
    let hosts = text(doc.select(&sel("#judged tr.hosts td")).next().unwrap());
    assert!(
        hosts.contains(target.trim_start_matches("http://")) && hosts.contains("embedded target"),
        "{hosts}"
    );
    // The secret went to the target (header and query), never to a file
    // a reader opens.
    assert!(!html.contains(TOKEN), "report.html holds the --var secret");
    assert!(
        !summary.to_string().contains(TOKEN),
        "summary.json holds the --var secret"
    );
}
