//! The machine reports of a results folder and `pace report` re-processing.
//!
//! Golden tests read tests/fixtures/golden/: a plan and a samples file
//! written by hand (no summary.json, as a killed run leaves it), so every
//! number can be worked out on paper. Timer `a` has 15 successful samples:
//! 1..10 ms at t = 0..9 s, then 20, 40, 60, 80, 100 ms at t = 10..14 s.
//! Timer `b` has 100, 200, 300, 400 ms at t = 0.5..3.5 s and one failure at
//! 4.5 s. The last row is at 15 s. Percentiles are nearest rank (the value
//! at rank ceil(p * n)), reported by HDR to 3 significant digits (interval
//! rows: 2).

mod common;

use common::pace;
use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A copy of the golden folder in a temporary directory.
fn golden() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("20261123-000000");
    std::fs::create_dir(&dir).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden");
    for f in ["plan.toml", "samples.csv"] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    (tmp, dir)
}

/// `pace report` ends as `pace run` does: the folder, the report, then
/// the verdict as the very last line (stderr and stdout together).
#[test]
fn the_verdict_is_the_last_line_of_a_rebuild() {
    let (_tmp, dir) = golden();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("\"$0\" report \"$1\" 2>&1")
        .arg(env!("CARGO_BIN_EXE_pace"))
        .arg(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    let n = lines.len();
    assert!(n >= 3, "{text}");
    assert!(
        lines[n - 4].starts_with("pace: reports rebuilt in "),
        "{text}"
    );
    assert!(lines[n - 3].starts_with("results: "), "{text}");
    assert!(lines[n - 2].starts_with("report: "), "{text}");
    assert!(
        ["PASS", "FAIL", "INCOMPLETE", "NO CHECKS"]
            .iter()
            .any(|v| lines[n - 1].starts_with(v)),
        "{text}"
    );
}

fn report(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["report", dir.to_str().unwrap(), "--quiet"];
    args.extend_from_slice(extra);
    pace(dir.parent().unwrap(), &args)
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `got` is `want` to within `rel` (HDR's resolution).
fn near(got: &Value, want: f64, rel: f64) {
    let g = got
        .as_f64()
        .unwrap_or_else(|| panic!("{got} is not a number"));
    assert!(
        (g - want).abs() <= want.abs() * rel + 1e-9,
        "{g} is not {want} within {}%",
        rel * 100.0
    );
}

#[test]
fn golden_summary_tables() {
    let (_tmp, dir) = golden();
    let (code, _, err) = report(&dir, &[]);
    // A folder without summary.json is a run that was killed: INCOMPLETE,
    // exit 3, as `pace run` would have said (the plan wants 120 TPM; 19
    // successful transactions in 15 s is 76, judged and shown all the same).
    assert_eq!(code, 3, "{err}");
    let s = json(&dir.join("summary.json"));
    assert_eq!(
        s["partial"], true,
        "no summary.json: rebuilt, marked partial"
    );
    assert_eq!(s["meta"]["run_time_s"], 15.0);
    assert_eq!(s["achieved"]["transactions"], 19);
    near(&s["achieved"]["tpm"], 76.0, 1e-12);
    assert_eq!(s["achieved"]["errors"], 1);

    let a = &s["timers"]["a"];
    assert_eq!(a["count"], 15);
    near(&a["min"], 0.001, 1e-3);
    near(&a["avg"], 0.355 / 15.0, 1e-3);
    // Nearest rank: p80 is the 12th of 15 (40 ms; Pyak47's index
    // int(15 * 0.8) = 12 takes the 13th, 60 ms), p90 the 14th, p95 the 15th.
    near(&a["p80"], 0.040, 1e-3);
    near(&a["p90"], 0.080, 1e-3);
    near(&a["p95"], 0.100, 1e-3);
    near(&a["max"], 0.100, 1e-3);

    // The failed sample is counted apart, not in b's statistics.
    let b = &s["timers"]["b"];
    assert_eq!(b["count"], 4);
    assert_eq!(s["timer_errors"]["b"], 1);
    near(&b["p50"], 0.2, 1e-3);
    near(&b["p80"], 0.4, 1e-3);
    near(&b["max"], 0.4, 1e-3);

    // All transactions, per 10 s interval: 10 a + 4 b in the first; the
    // second is 5 s long (the run ended at 15 s), so 5 a make 1.0/s, not
    // Pyak47's 0.5.
    let rows = s["all_intervals"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["interval"], 1);
    assert_eq!(rows[0]["count"], 14);
    assert_eq!(rows[0]["errors"], 1);
    near(&rows[0]["rate"], 1.4, 1e-12);
    assert_eq!(rows[1]["count"], 5);
    assert_eq!(rows[1]["end_s"], 15.0);
    near(&rows[1]["rate"], 1.0, 1e-12);
    // Interval percentiles: 2 significant digits, within 1 %.
    near(&rows[1]["p80"], 0.080, 0.01);
    near(&rows[1]["min"], 0.020, 0.01);
    let a_rows = s["intervals"]["a"].as_array().unwrap();
    assert_eq!(a_rows[0]["count"], 10);
    near(&a_rows[0]["p90"], 0.009, 0.01);
    let b_rows = s["intervals"]["b"].as_array().unwrap();
    assert_eq!(b_rows.len(), 2, "padded to every interval");
    assert_eq!(b_rows[1]["count"], 0);
}

#[test]
fn another_interval_regroups_the_same_samples() {
    let (_tmp, dir) = golden();
    report(&dir, &[]);
    let before = json(&dir.join("summary.json"));
    let (code, _, err) = report(&dir, &["--ts-interval", "5s"]);
    assert_eq!(code, 3, "{err}");
    let s = json(&dir.join("summary.json"));
    assert_eq!(s["meta"]["ts_interval_s"], 5.0);
    let counts: Vec<u64> = s["all_intervals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [9, 5, 5]);
    near(&s["all_intervals"][0]["rate"], 1.8, 1e-12);
    // Whole-run numbers do not depend on the interval.
    assert_eq!(s["timers"], before["timers"]);
    assert_eq!(s["achieved"], before["achieved"]);
    // Rows cover the run without gaps.
    for w in s["all_intervals"].as_array().unwrap().windows(2) {
        assert_eq!(w[0]["end_s"], w[1]["start_s"]);
    }
}

#[test]
fn jtl_has_jmeter_header_a_row_per_step_and_one_per_iteration() {
    let (_tmp, dir) = golden();
    report(&dir, &[]);
    let mut rdr = csv::Reader::from_path(dir.join("results.jtl")).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header.join(","),
        "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,\
         failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect"
    );
    let all: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    // Each iteration's Transaction Controller row (URL "null") after its
    // steps: 15 iterations.
    let tx: Vec<&csv::StringRecord> = all.iter().filter(|r| &r[13] == "null").collect();
    assert_eq!(tx.len(), 15);
    assert!(tx.iter().all(|r| &r[2] == "g"));
    assert!(tx[0][4].starts_with("Number of samples in transaction : "));
    let rows: Vec<csv::StringRecord> = all.iter().filter(|r| &r[13] != "null").cloned().collect();
    assert_eq!(rows.len(), 20, "15 a + 5 b, failures included");
    let s = json(&dir.join("summary.json"));
    let start = s["meta"]["started_epoch_ms"].as_i64().unwrap();
    // First row: a at t = 0, 1 ms.
    assert_eq!(rows[0][0].parse::<i64>().unwrap(), start);
    assert_eq!(&rows[0][1], "1");
    assert_eq!(&rows[0][2], "a");
    assert_eq!(&rows[0][3], "200");
    assert_eq!(&rows[0][4], "OK");
    assert_eq!(&rows[0][5], "g 1-1");
    assert_eq!(&rows[0][7], "true");
    assert_eq!(&rows[0][12], "1", "one user active");
    assert_eq!(&rows[0][13], "http://127.0.0.1:9/a");
    // b at 0.5 s, 100 ms, time to headers 50 ms; its URL's default expanded.
    assert_eq!(rows[1][0].parse::<i64>().unwrap(), start + 500);
    assert_eq!(&rows[1][1], "100");
    assert_eq!(&rows[1][14], "50");
    assert_eq!(&rows[1][13], "http://127.0.0.1:9/b");
    // The failure keeps its comma and newline.
    let failed: Vec<&csv::StringRecord> = rows.iter().filter(|r| &r[7] == "false").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(&failed[0][3], "500");
    assert_eq!(&failed[0][4], "Internal Server Error");
    assert_eq!(&failed[0][8], "HTTP 500, bad\nthing");
    // Last a: t = 14 s, 100 ms.
    let last = rows.iter().rfind(|r| &r[2] == "a").unwrap();
    assert_eq!(last[0].parse::<i64>().unwrap(), start + 14_000);
    assert_eq!(&last[1], "100");
}

/// One XML element: (depth, name, attributes, the text directly inside).
type Element = (usize, String, Vec<(String, String)>, String);

/// Every start or empty element, in document order.
fn xml_elements(path: &Path) -> Vec<Element> {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    let mut r = Reader::from_str(&text);
    let mut out = Vec::new();
    let mut depth = 0;
    let mut text_open = false;
    loop {
        match r.read_event().unwrap() {
            Event::Eof => break,
            e @ (Event::Start(_) | Event::Empty(_)) => {
                let (b, empty) = match &e {
                    Event::Start(b) => (b, false),
                    Event::Empty(b) => (b, true),
                    _ => unreachable!(),
                };
                let name = AsRef::<str>::as_ref(&b.name()).to_string();
                let attrs = b
                    .attributes()
                    .map(|a| {
                        let a = a.unwrap();
                        (
                            AsRef::<str>::as_ref(&a.key).to_string(),
                            a.normalized_value(XmlVersion::Explicit1_0)
                                .unwrap()
                                .into_owned(),
                        )
                    })
                    .collect();
                out.push((depth, name, attrs, String::new()));
                text_open = !empty;
                if !empty {
                    depth += 1;
                }
            }
            // Only the text directly inside the latest element, before any
            // child or its end (not the indentation after it).
            Event::Text(t) if text_open => {
                if let Some(last) = out.last_mut() {
                    last.3.push_str(&t.xml10_content());
                }
            }
            Event::End(_) => {
                depth -= 1;
                text_open = false;
            }
            _ => {}
        }
    }
    out
}

fn attr<'a>(attrs: &'a [(String, String)], k: &str) -> &'a str {
    attrs
        .iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no attribute {k}"))
}

#[test]
fn junit_has_a_testcase_per_check_with_the_reason() {
    let (_tmp, dir) = golden();
    report(&dir, &[]);
    let els = xml_elements(&dir.join("junit.xml"));
    let suite = els.iter().find(|e| e.1 == "testsuite").unwrap();
    assert_eq!(attr(&suite.2, "tests"), "3");
    assert_eq!(attr(&suite.2, "failures"), "2");
    let cases: Vec<&str> = els
        .iter()
        .filter(|e| e.1 == "testcase")
        .map(|e| attr(&e.2, "name"))
        .collect();
    assert_eq!(
        cases,
        ["throughput", "transactions succeeded", "run completed"]
    );
    let failures: Vec<&Element> = els.iter().filter(|e| e.1 == "failure").collect();
    assert_eq!(failures.len(), 2);
    let why = attr(&failures[0].2, "message");
    assert!(why.starts_with("throughput 76 TPM vs 120 planned"), "{why}");
    assert!(
        failures[0].3.contains("achieved: 76 TPM"),
        "{}",
        failures[0].3
    );
    assert!(attr(&failures[1].2, "message").contains("did not finish"));
}

#[test]
fn junit_passes_what_passed() {
    let (_tmp, dir) = golden();
    // Judge against a plan that the samples meet: 76 TPM, p95 under 1 s,
    // and some failures (a plan that tolerates them states a tolerance:
    // failures are starts the run lost).
    let plan = dir.parent().unwrap().join("easy.toml");
    let text = std::fs::read_to_string(dir.join("plan.toml"))
        .unwrap()
        .replace("interval = \"1s\"", "interval = \"1.5789473684210527s\"")
        .replace("tpm = 120", "tpm = 76")
        + "\n[acceptance]\np95 = \"1s\"\nerror_rate = \"10%\"\ntolerance = \"10%\"\n";
    std::fs::write(&plan, text).unwrap();
    std::fs::copy(&plan, dir.join("plan.toml")).unwrap();
    // Every check passes, but the run was killed: never a PASS (exit 3).
    let (code, out, err) = report(&dir, &[]);
    assert_eq!(code, 3, "{out}{err}");
    let els = xml_elements(&dir.join("junit.xml"));
    let cases: Vec<&str> = els
        .iter()
        .filter(|e| e.1 == "testcase")
        .map(|e| attr(&e.2, "name"))
        .collect();
    assert_eq!(
        cases,
        [
            "throughput",
            "p95 response time",
            "error rate",
            "transactions succeeded",
            "run completed"
        ]
    );
    // Only the interruption fails: the verdict itself passed.
    assert_eq!(els.iter().filter(|e| e.1 == "failure").count(), 1);
}

#[test]
fn xml_jtl_nests_steps_in_their_transaction() {
    let (_tmp, dir) = golden();
    let (_, _, err) = report(&dir, &["--xml"]);
    let els = xml_elements(&dir.join("results.xml"));
    assert_eq!(els[0].1, "testResults", "{err}");
    assert_eq!(attr(&els[0].2, "version"), "1.2");
    let top: Vec<_> = els.iter().filter(|e| e.0 == 1).collect();
    let steps: Vec<_> = els.iter().filter(|e| e.0 == 2 && e.1 == "sample").collect();
    assert_eq!(top.len(), 15, "one per iteration");
    assert_eq!(steps.len(), 20, "one per step");
    let first = top[0];
    for k in [
        "t", "lt", "ts", "s", "lb", "rc", "rm", "tn", "by", "sc", "ec",
    ] {
        attr(&first.2, k);
    }
    assert_eq!(attr(&first.2, "lb"), "g");
    assert_eq!(attr(&first.2, "t"), "600", "the iteration's 0.6 s");
    // Idle: the 600 ms outside its steps' 1 + 100 ms. A samples.csv from
    // before pace measured request bytes and connects says 0 for both.
    assert_eq!(attr(&first.2, "it"), "499");
    assert_eq!(attr(&steps[1].2, "it"), "0");
    assert_eq!(attr(&first.2, "sby"), "0");
    assert_eq!(attr(&first.2, "ct"), "0");
    assert_eq!(attr(&steps[1].2, "lb"), "b");
    assert_eq!(attr(&steps[1].2, "t"), "100");
    assert_eq!(attr(&steps[1].2, "lt"), "50");
    let failed = steps.iter().find(|e| attr(&e.2, "s") == "false").unwrap();
    assert_eq!(attr(&failed.2, "rc"), "500");
    assert_eq!(attr(&failed.2, "ec"), "1");
    let msg = els.iter().find(|e| e.1 == "failureMessage").unwrap();
    assert_eq!(msg.3, "HTTP 500, bad\nthing");
    let failed_tx = top.iter().find(|e| attr(&e.2, "s") == "false").unwrap();
    assert_eq!(
        attr(&failed_tx.2, "rm"),
        "Number of samples in transaction : 2, number of failing samples : 1"
    );
}

#[test]
fn report_errors_are_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, err) = pace(tmp.path(), &["report", "nowhere"]);
    assert_eq!(code, 2);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("nowhere"), "{err}");
    let (_tmp, dir) = golden();
    let (code, _, err) = report(&dir, &["--ts-interval", "0s"]);
    assert_eq!(code, 2);
    assert!(err.contains("--ts-interval"), "{err}");
    std::fs::remove_file(dir.join("samples.csv")).unwrap();
    let (code, _, err) = report(&dir, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("samples.csv"), "{err}");
}

const LIVE_PLAN: &str = r#"
[target]
tps = 20

[target.embedded]
latency = "uniform:2ms..6ms"
error_rate = 0.05
seed = 3

[run]
duration = "3s"
ramp_up = "1s"
ts_interval = "1s"
post_run = 'echo "$PACE_VERDICT" > "$PACE_RESULTS_DIR/hook.txt"; exit 7'

[[group]]
name = "browse"
users = 4

[group.pacing]
mode = "fixed"
interval = "200ms"

[[group.step]]
name = "home"
url = "${PACE_TARGET}/"
"#;

#[test]
fn a_run_writes_every_report_and_reprocessing_reproduces_it() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("plan.toml"), LIVE_PLAN).unwrap();
    let (code, out, err) = pace(
        tmp.path(),
        &["run", "plan.toml", "--seed", "5", "--quiet", "--xml"],
    );
    assert!(code == 0 || code == 1, "{out}{err}");
    let dir = std::fs::read_dir(tmp.path().join("results"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    for f in [
        "plan.toml",
        "samples.csv",
        "summary.json",
        "report.html",
        "results.jtl",
        "results.xml",
        "junit.xml",
    ] {
        let len = std::fs::metadata(dir.join(f)).map(|m| m.len()).unwrap_or(0);
        assert!(len > 0, "{f} is missing or empty");
    }
    // The hook ran after the reports, with the folder and verdict, and its
    // failure (exit 7) is reported without changing the run's exit code.
    let verdict = std::fs::read_to_string(dir.join("hook.txt")).unwrap();
    assert!(verdict.trim() == "PASS" || verdict.trim() == "FAIL");
    assert!(err.contains("post_run") && err.contains('7'), "{err}");

    let original = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    let jtl = std::fs::read_to_string(dir.join("results.jtl")).unwrap();
    let (code2, _, err2) = report(&dir, &["--xml"]);
    assert_eq!(code2, code, "{err2}");
    assert!(
        !err2.contains("post_run"),
        "re-processing does not re-run the hook"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("summary.json")).unwrap(),
        original,
        "re-processing changed the numbers"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("results.jtl")).unwrap(),
        jtl
    );
    // The JTL's sample rows are the samples' steps; its transaction rows
    // (URL "null") the iterations.
    let s: Value = serde_json::from_str(&original).unwrap();
    let mut rdr = csv::Reader::from_reader(jtl.as_bytes());
    let (mut steps, mut iterations) = (0u64, 0u64);
    for r in rdr.records() {
        if &r.unwrap()[13] == "null" {
            iterations += 1;
        } else {
            steps += 1;
        }
    }
    assert_eq!(steps, s["achieved"]["all_transactions"].as_u64().unwrap());
    assert_eq!(iterations, s["whole_run"]["iterations"].as_u64().unwrap());
}

/// The cells of every body row of
/// the table `class` in section `id`.
fn table_rows(html: &str, id: &str, class: &str) -> Vec<Vec<String>> {
    use scraper::{Html, Selector};
    let doc = Html::parse_document(html);
    let sel = Selector::parse(&format!("#{id} table.{class} tbody tr")).unwrap();
    let td = Selector::parse("td").unwrap();
    doc.select(&sel)
        .map(|tr| {
            tr.select(&td)
                .map(|c| c.text().collect::<String>().trim().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn golden_html_tables() {
    let (_tmp, dir) = golden();
    report(&dir, &[]);
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    // All 19 successful transactions sorted: 1-10, 20, 40, 60, 80, 100 (a),
    // 100, 200, 300, 400 ms (b). Nearest rank: 80pct is the 16th (100 ms),
    // 90pct the 18th (300 ms), 95pct the 19th (400 ms). Pyak47 would say
    // 200, 400 and 400 (indexes 15, 17, 18 of 0-based int(n·p/100)).
    // Milliseconds to 3 significant digits: the mean 1355 ms / 19 =
    // 71.315… ms reads 71.3; the population stdev 109.003… ms reads 109.
    let rows = table_rows(&html, "all-transactions", "response-time-summary");
    let mean = 1.355 / 19.0;
    let values = (1..=10)
        .map(|v| v as f64 / 1000.0)
        .chain([0.02, 0.04, 0.06, 0.08, 0.1, 0.1, 0.2, 0.3, 0.4]);
    let var = values.map(|v| (v - mean).powi(2)).sum::<f64>() / 19.0;
    assert!((mean * 1000.0 - 71.3158).abs() < 1e-4 && (var.sqrt() * 1000.0 - 109.003).abs() < 1e-3);
    assert_eq!(
        rows,
        [["19", "1", "71.3", "100", "300", "400", "400", "109"].map(String::from)]
    );
    assert!(html.contains("Response Time Summary (ms)"));
    // b: the failure is not in its count.
    let b = table_rows(&html, "timer-b", "response-time-summary");
    assert_eq!(b[0][0], "4");
    assert!(html.contains("1 failed sample"), "the failure is said");
    // Interval Details of a: 10 in the first 10 s (1.00/s), 5 in the last
    // 5 s (1.00/s, not 0.50).
    let rows = table_rows(&html, "timer-a", "interval-details");
    let firsts: Vec<[&str; 3]> = rows
        .iter()
        .map(|r| [r[0].as_str(), r[1].as_str(), r[2].as_str()])
        .collect();
    assert_eq!(firsts, [["1", "10", "1.00"], ["2", "5", "1.00"]]);
    assert!(html.contains("Interval Details (10 s intervals)"));
}
