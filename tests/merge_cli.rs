//! `pace merge` as a process. The shards are made from one real run against
//! a server on 127.0.0.1 (3 s): its samples split by user mod N (a shard
//! keeps the global user ids, as `pace run --shard` writes them), each with
//! `meta.shard` added to its summary.json and its reports rebuilt by
//! `pace report` (which writes its histograms.hlog).

mod common;

use common::{Server, pace};
use pace::results::sample::{SampleWriter, open_samples};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const SHARDS: u32 = 3;

/// The one run and its shards, made once for every test of this file.
struct Base {
    _tmp: tempfile::TempDir,
    run: PathBuf,
    shards: Vec<PathBuf>,
    code: i32,
}

fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(|| {
        let server = Server::new("2ms", 0.05);
        let tmp = tempfile::tempdir().unwrap();
        let plan = tmp.path().join("plan.toml");
        std::fs::write(
            &plan,
            format!(
                r#"
[target]
tps = 24

[run]
duration = "3s"
ramp_up = "1s"
ts_interval = "1s"
grace = "2s"

[acceptance]
p95 = "1s"

[[group]]
name = "g"
users = 6

[group.pacing]
mode = "fixed"
interval = "250ms"

[[group.step]]
name = "home page"
url = "{}/"
timeout = "2s"
"#,
                server.url()
            ),
        )
        .unwrap();
        let results = tmp.path().join("results");
        let (code, out, err) = pace(
            tmp.path(),
            &[
                "run",
                plan.to_str().unwrap(),
                "--results-dir",
                results.to_str().unwrap(),
                "--seed",
                "11",
                "--quiet",
            ],
        );
        assert!(code == 0 || code == 1, "{out}\n{err}");
        let run = common::only_results_dir(&results);
        let shards = (0..SHARDS)
            .map(|k| split(&run, &tmp.path().join("shards").join(format!("s{k}")), k))
            .collect();
        Base {
            _tmp: tmp,
            run,
            shards,
            code,
        }
    })
}

/// Shard `k` of the run in `run`, written to `to`.
fn split(run: &Path, to: &Path, k: u32) -> PathBuf {
    std::fs::create_dir_all(to).unwrap();
    let plan = std::fs::read_to_string(run.join("plan.toml")).unwrap();
    std::fs::write(to.join("plan.toml"), &plan).unwrap();
    let mut w = SampleWriter::new(std::fs::File::create(to.join("samples.csv")).unwrap());
    for row in open_samples(&run.join("samples.csv")).unwrap().rows {
        let row = row.unwrap();
        if row.user % SHARDS == k {
            w.write(&row).unwrap();
        }
    }
    w.flush().unwrap();
    let mut s = summary(run);
    let t0 = s["meta"]["started_epoch_ms"].as_u64().unwrap() * 1000;
    s["meta"]["shard"] = json!({
        "index": k,
        "count": SHARDS,
        "plan_hash": pace::merge::plan_hash(&plan),
        "start_at": null,
        "t0_epoch_us": t0,
        "ready_epoch_us": t0 - 1_500_000,
        "first_start_epoch_us": t0 + 1000 * k as u64,
        "status": "ok",
        "host": format!("node-{k}"),
    });
    write_summary(to, &s);
    let (code, out, err) = pace(to, &["report", to.to_str().unwrap(), "--quiet"]);
    assert!(code == 0 || code == 1, "{out}\n{err}");
    assert!(to.join("histograms.hlog").is_file());
    to.to_path_buf()
}

fn summary(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

fn write_summary(dir: &Path, v: &Value) {
    std::fs::write(dir.join("summary.json"), serde_json::to_string(v).unwrap()).unwrap();
}

/// Copies of the shards in a fresh folder, for a test to edit.
fn copies() -> (tempfile::TempDir, Vec<PathBuf>) {
    let tmp = tempfile::tempdir().unwrap();
    let dirs = base()
        .shards
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let d = tmp.path().join(format!("s{k}"));
            common::copy_tree(s, &d);
            d
        })
        .collect();
    (tmp, dirs)
}

fn merge(dirs: &[&Path], out: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["merge".to_string()];
    args.extend(dirs.iter().map(|d| d.display().to_string()));
    args.extend(["-o".to_string(), out.display().to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    pace(out.parent().unwrap(), &args)
}

fn edit_shard(dir: &Path, f: impl FnOnce(&mut Value)) {
    let mut s = summary(dir);
    f(&mut s["meta"]["shard"]);
    write_summary(dir, &s);
}

#[test]
fn merged_shards_hold_the_counts_of_their_sum_and_the_same_verdict() {
    let b = base();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("merged");
    let dirs: Vec<&Path> = b.shards.iter().map(PathBuf::as_path).collect();
    let (code, stdout, err) = merge(&dirs, &out, &[]);
    assert_eq!(code, b.code, "{stdout}\n{err}");
    assert!(
        stdout.contains("node-2") && stdout.contains("start skew: 0.002 s"),
        "{stdout}"
    );
    let (m, r) = (summary(&out), summary(&b.run));
    for k in ["transactions", "errors", "iterations"] {
        assert_eq!(m["whole_run"][k], r["whole_run"][k], "whole_run.{k}");
    }
    for k in ["transactions", "errors", "iterations", "started"] {
        assert_eq!(m["achieved"][k], r["achieved"][k], "achieved.{k}");
    }
    assert_eq!(m["timers"]["home page"], r["timers"]["home page"]);
    assert_eq!(m["verdict"]["state"], r["verdict"]["state"]);
    assert_eq!(m["meta"]["partial"], false);
    // One row per shard, whose counts add up to the whole.
    let rows = m["shards"].as_array().unwrap();
    assert_eq!(rows.len(), SHARDS as usize);
    let sum = |k: &str| rows.iter().map(|r| r[k].as_u64().unwrap()).sum::<u64>();
    assert_eq!(
        sum("transactions"),
        r["whole_run"]["transactions"].as_u64().unwrap()
    );
    assert_eq!(sum("errors"), r["whole_run"]["errors"].as_u64().unwrap());
    assert_eq!(sum("users"), 6);
    assert_eq!(rows[1]["host"], "node-1");
    assert_eq!(rows[2]["start_skew_s"], 0.002);
    assert_eq!(rows[0]["ready_margin_s"], 1.5);
    assert_eq!(m["start_skew_s"], 0.002);
    // Every row of every shard, once.
    let count = |d: &Path| open_samples(&d.join("samples.csv")).unwrap().rows.count();
    assert_eq!(count(&out), count(&b.run));
    // Every report, from the merged results.
    for f in [
        "plan.toml",
        "report.html",
        "results.jtl",
        "junit.xml",
        "histograms.hlog",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse("section#shards table.shards tbody tr").unwrap();
    assert_eq!(doc.select(&sel).count(), SHARDS as usize);
    assert!(html.contains("Start skew: 0.002 s"));
    // The merged histograms.hlog parses, and holds every successful sample.
    let sums =
        pace::export::hlog::sums(&std::fs::read(out.join("histograms.hlog")).unwrap(), |_| {
            Ok(())
        })
        .unwrap();
    assert_eq!(
        sums["home page"].len(),
        m["timers"]["home page"]["count"].as_u64().unwrap()
    );
    // Rebuilding the merged folder gives the same numbers.
    let (code, o, e) = pace(tmp.path(), &["report", out.to_str().unwrap(), "--quiet"]);
    assert_eq!(code, b.code, "{o}\n{e}");
    let rebuilt = summary(&out);
    assert_eq!(rebuilt["achieved"], m["achieved"]);
    assert_eq!(rebuilt["shards"], m["shards"], "the shards table is kept");
    assert_eq!(rebuilt["start_skew_s"], m["start_skew_s"]);
}

#[test]
fn a_folder_of_shards_is_expanded_and_an_existing_output_refused() {
    let (tmp, _dirs) = copies();
    let out = tmp.path().join("merged");
    let (code, o, e) = merge(&[tmp.path()], &out, &["-q"]);
    assert_eq!(code, base().code, "{o}\n{e}");
    assert_eq!(summary(&out)["shards"].as_array().unwrap().len(), 3);
    let (code, _, e) = merge(&[tmp.path()], &out, &[]);
    assert_eq!(code, 2);
    assert!(
        e.contains("-o:") && e.contains("not an empty folder"),
        "{e}"
    );
}

#[test]
fn a_missing_shard_makes_the_verdict_incomplete_naming_it() {
    let b = base();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("merged");
    let (code, stdout, err) = merge(&[&b.shards[0], &b.shards[2]], &out, &[]);
    assert_eq!(code, 3, "{stdout}\n{err}");
    assert!(
        stdout.contains("INCOMPLETE") && stdout.contains("shard 1 of 3 missing"),
        "{stdout}"
    );
    // The present shards are still merged and reported.
    let m = summary(&out);
    assert_eq!(m["verdict"]["state"], "incomplete");
    // The hole is a row of the Shards table.
    let rows = m["shards"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1]["index"], 1);
    assert_eq!(rows[1]["status"], "missing");
    assert!(out.join("report.html").is_file());
    // Judged on the part that ran (4 of the 6 users): the shortfall of
    // the missing shard is not blamed on chance or on the target.
    assert_eq!(
        m["meta"]["ran_shards"],
        json!({"count": 3, "indices": [0, 2]})
    );
    let whole = summary(&b.run)["expected"]["transactions"]
        .as_f64()
        .unwrap();
    let part = m["expected"]["transactions"].as_f64().unwrap();
    assert!((part / whole - 4.0 / 6.0).abs() < 0.05, "{part} of {whole}");
    let causes = m["verdict"]["causes"].to_string();
    assert!(!causes.contains("chance"), "{causes}");
    // And judged the same way again.
    let (vcode, vout, verr) = pace(tmp.path(), &["verify", out.to_str().unwrap()]);
    assert_eq!(vcode, 3, "{vout}\n{verr}");
    assert!(!vout.contains("chance"), "{vout}");
}

#[test]
fn a_late_shard_makes_the_verdict_incomplete() {
    let (tmp, dirs) = copies();
    edit_shard(&dirs[2], |s| s["status"] = json!("late"));
    let out = tmp.path().join("merged");
    let refs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    let (code, stdout, err) = merge(&refs, &out, &[]);
    assert_eq!(code, 3, "{stdout}\n{err}");
    assert!(stdout.contains("shard 2 (node-2) was late"), "{stdout}");
}

#[test]
fn a_start_skew_over_max_skew_makes_the_verdict_incomplete() {
    let (tmp, dirs) = copies();
    edit_shard(&dirs[1], |s| {
        let t = s["first_start_epoch_us"].as_u64().unwrap();
        s["first_start_epoch_us"] = json!(t + 2_500_000);
    });
    let refs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    let out = tmp.path().join("merged");
    let (code, stdout, err) = merge(&refs, &out, &[]);
    assert_eq!(code, 3, "{stdout}\n{err}");
    assert!(stdout.contains("shards started 2.5 s apart"), "{stdout}");
    let out = tmp.path().join("merged-tolerant");
    let (code, stdout, err) = merge(&refs, &out, &["--max-skew", "3s"]);
    assert_eq!(code, base().code, "{stdout}\n{err}");
}

#[test]
fn a_duplicate_index_another_plan_or_seed_is_refused_naming_the_shard() {
    let (tmp, dirs) = copies();
    let refs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    // The same shard twice (a retried pod).
    let twice = tmp.path().join("s0-retry");
    common::copy_tree(&dirs[0], &twice);
    let out = tmp.path().join("m1");
    let (code, _, e) = merge(&[refs[0], refs[1], refs[2], &twice], &out, &[]);
    assert_eq!(code, 2, "{e}");
    assert!(e.contains("s0-retry") && e.contains("both shard 0"), "{e}");
    assert!(!out.exists(), "nothing is written for a refused merge");
    // Another plan: its plan.toml and its hash both changed.
    let other = tmp.path().join("other");
    common::copy_tree(&dirs[1], &other);
    let text = std::fs::read_to_string(other.join("plan.toml")).unwrap() + "\n# another plan\n";
    std::fs::write(other.join("plan.toml"), &text).unwrap();
    edit_shard(&other, |s| {
        s["plan_hash"] = json!(pace::merge::plan_hash(&text))
    });
    let (code, _, e) = merge(&[refs[0], &other, refs[2]], &tmp.path().join("m2"), &[]);
    assert_eq!(code, 2, "{e}");
    assert!(e.contains("other") && e.contains("ran another plan"), "{e}");
    // A plan copy edited after the run: its hash no longer matches.
    std::fs::write(other.join("plan.toml"), text + "# edited\n").unwrap();
    let (code, _, e) = merge(&[refs[0], &other, refs[2]], &tmp.path().join("m3"), &[]);
    assert_eq!(code, 2, "{e}");
    assert!(e.contains("plan.toml") && e.contains("edited"), "{e}");
    // Another seed.
    let seeded = tmp.path().join("seeded");
    common::copy_tree(&dirs[2], &seeded);
    let mut s = summary(&seeded);
    s["meta"]["seed"] = json!(12);
    write_summary(&seeded, &s);
    let (code, _, e) = merge(&[refs[0], refs[1], &seeded], &tmp.path().join("m4"), &[]);
    assert_eq!(code, 2, "{e}");
    assert!(e.contains("seeded") && e.contains("seed 12"), "{e}");
}

#[test]
fn a_run_that_is_no_shard_and_a_torn_histogram_log_are_refused() {
    let b = base();
    let (tmp, dirs) = copies();
    let (code, _, e) = merge(&[&b.run], &tmp.path().join("m1"), &[]);
    assert_eq!(code, 2, "{e}");
    assert!(e.contains("not a shard: run with --shard"), "{e}");
    // Shard 1's histograms in shard 0's folder: they are not its samples'.
    std::fs::copy(
        dirs[1].join("histograms.hlog"),
        dirs[0].join("histograms.hlog"),
    )
    .unwrap();
    let refs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    let out = tmp.path().join("m2");
    let (code, _, e) = merge(&refs, &out, &[]);
    assert_eq!(code, 2, "{e}");
    assert!(e.contains("s0") && e.contains("edited or torn"), "{e}");
    assert!(!out.exists());
    // Without the file, the shard is merged with a warning.
    std::fs::remove_file(dirs[0].join("histograms.hlog")).unwrap();
    let (code, o, e) = merge(&refs, &tmp.path().join("m3"), &[]);
    assert_eq!(code, b.code, "{o}\n{e}");
    assert!(
        e.contains("warning:") && e.contains("no histograms.hlog"),
        "{e}"
    );
}

/// `pace merge` in an address space of 256 MiB (the fuzz target's limit):
/// a merge that allocates what a file's header declares dies here.
fn merge_in_256_mib(dirs: &[&Path], out: &Path) -> (i32, String) {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("pace"));
    cmd.current_dir(out.parent().unwrap()).arg("merge");
    cmd.args(dirs).arg("-o").arg(out);
    // SAFETY: setrlimit is async-signal-safe and touches only the child.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: 256 << 20,
                rlim_max: 256 << 20,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let o = assert_cmd::Command::from_std(cmd)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

/// Shard `dir`'s histograms.hlog with lines added after its first timer
/// line: that line with each tag of `tags` and the histogram `raw`
/// (base64 encoded). Returns the first added line's number.
fn add_hlog_lines(dir: &Path, tags: &[String], raw: &[u8]) -> usize {
    use base64::Engine as _;
    let path = dir.join("histograms.hlog");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let at = lines.iter().position(|l| l.starts_with("Tag=")).unwrap() + 1;
    let (head, _) = lines[at - 1].split_once(',').unwrap();
    let rest = lines[at - 1][head.len()..]
        .rsplit_once(',')
        .unwrap()
        .0
        .to_string();
    let enc = base64::engine::general_purpose::STANDARD.encode(raw);
    for (k, tag) in tags.iter().enumerate() {
        lines.insert(at + k, format!("Tag={tag}{rest},{enc}"));
    }
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    at + 1
}

#[test]
fn a_histogram_log_declaring_more_than_pace_writes_is_refused_in_bounded_memory() {
    use hdrhistogram::Histogram;
    use hdrhistogram::serialization::{Serializer, V2DeflateSerializer, V2Serializer};
    // The fuzz case (HlogHistogramAmplification): 5 significant digits
    // over 1..2^63, ~48 MiB of counts for ~100 bytes. Eight timers of it
    // would be 384 MiB if they were summed.
    let mut h = Histogram::<u64>::new_with_bounds(1, u64::MAX / 2, 5).unwrap();
    h.record(1000).unwrap();
    let mut foreign = Vec::new();
    V2DeflateSerializer::new()
        .serialize(&h, &mut foreign)
        .unwrap();
    // pace's precision, but a payload of 2^32 - 1 bytes declared (the
    // decoder would allocate 4 GiB before reading it).
    let mut h: Histogram<u64> = Histogram::new(2).unwrap();
    h.record(1000).unwrap();
    let mut long = Vec::new();
    V2Serializer::new().serialize(&h, &mut long).unwrap();
    long[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
    let tags: Vec<String> = (0..8).map(|k| format!("x{k}")).collect();
    for (raw, what) in [
        (
            &foreign,
            "its histogram has 5 significant digits from 1 (up to ",
        ),
        (
            &long,
            "its histogram declares a payload of 4294967295 bytes",
        ),
    ] {
        let (tmp, dirs) = copies();
        let line = add_hlog_lines(&dirs[1], &tags, raw);
        let refs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
        let out = tmp.path().join("m");
        let (code, e) = merge_in_256_mib(&refs, &out);
        assert_eq!(code, 2, "{e}");
        assert_eq!(e.trim_end().lines().count(), 1, "{e}");
        let file = dirs[1].join("histograms.hlog");
        assert!(
            e.starts_with(&format!("error: {}: line {line}: {what}", file.display())),
            "{e}"
        );
        assert!(!out.exists());
    }
    // A valid histogram of pace's precision for a timer the shard's
    // samples do not have: refused at its line, before it is summed.
    let mut ok = Vec::new();
    V2DeflateSerializer::new().serialize(&h, &mut ok).unwrap();
    let (tmp, dirs) = copies();
    let line = add_hlog_lines(&dirs[1], &tags, &ok);
    let refs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    let (code, e) = merge_in_256_mib(&refs, &tmp.path().join("m"));
    assert_eq!(code, 2, "{e}");
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");
    assert!(
        e.contains(&format!(
            "histograms.hlog: line {line}: timer 'x0' has no successful sample in samples.csv"
        )),
        "{e}"
    );
}

#[test]
fn a_merged_window_is_judged_again_over_itself_by_verify_and_report() {
    // Shard 1's clock started 0.4 s after the others' (no common
    // start-at): its rows move 0.4 s later, and the window every shard
    // covered starts 0.4 s after ramp-up. `pace verify` and `pace report`
    // of the merged folder must judge that window, not the plan's.
    let (tmp, dirs) = copies();
    edit_shard(&dirs[1], |s| {
        for k in ["t0_epoch_us", "first_start_epoch_us"] {
            let t = s[k].as_u64().unwrap();
            s[k] = json!(t + 400_000);
        }
    });
    let refs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    let out = tmp.path().join("merged");
    let (code, stdout, err) = merge(&refs, &out, &["--max-skew", "1s"]);
    assert!(matches!(code, 0 | 1), "{stdout}\n{err}");
    let m = summary(&out);
    let w = m["meta"]["window_s"].as_array().unwrap();
    let ramp = m["meta"]["ramp_up_s"].as_f64().unwrap();
    assert!(
        (w[0].as_f64().unwrap() - (ramp + 0.4)).abs() < 1e-9,
        "{w:?}"
    );
    assert!(
        (m["achieved"]["window_s"].as_f64().unwrap()
            - (w[1].as_f64().unwrap() - w[0].as_f64().unwrap()))
        .abs()
            < 1e-9
    );
    let (vcode, vout, verr) = pace(tmp.path(), &["verify", out.to_str().unwrap()]);
    assert_eq!(vcode, code, "{vout}\n{verr}");
    let (rcode, rout, rerr) = pace(tmp.path(), &["report", out.to_str().unwrap(), "--quiet"]);
    assert_eq!(rcode, code, "{rout}\n{rerr}");
    let rebuilt = summary(&out);
    assert_eq!(rebuilt["achieved"], m["achieved"]);
    assert_eq!(rebuilt["meta"]["window_s"], m["meta"]["window_s"]);
}
