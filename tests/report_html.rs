//! `pace run` writes report.html: one self-contained page whose sections,
//! tables and graphs are where the documentation says, with numbers that
//! agree with summary.json. The run is ~3 s against pace's embedded target.

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
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("report-test.toml");
    std::fs::write(&plan, PLAN).unwrap();
    let results = dir.path().join("results");
    let out = Command::cargo_bin("pace")
        .unwrap()
        .args(["run", plan.to_str().unwrap(), "--results-dir"])
        .arg(&results)
        .args(["--seed", "5", "--quiet"])
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
        .select(&sel("#summary .verdict-word"))
        .map(text)
        .collect();
    assert_eq!(word, [if pass { "PASS" } else { "FAIL" }]);
    let reasons = summary["verdict"]["reasons"].as_array().unwrap();
    let shown: Vec<String> = doc
        .select(&sel("#summary ul.reasons li"))
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
        // All Transactions adds active users and start lateness. Each is one
        // inline SVG.
        let figures: Vec<ElementRef> = section.select(&sel("figure.graph")).collect();
        assert_eq!(
            figures.len(),
            if id == "all-transactions" { 6 } else { 4 },
            "{id}"
        );
        for f in &figures {
            assert_eq!(f.select(&sel("svg")).count(), 1, "{id}: an <svg> per graph");
            assert!(
                f.select(&sel("svg text")).count() > 5,
                "{id}: labelled axes"
            );
        }
    }

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
