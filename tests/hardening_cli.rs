//! Bad input gets one clear line and exit 2, never a panic, a hang or an
//! abort; and `pace run --check` refuses everything `pace run` would
//! refuse before sending traffic. Each case of tests/fixtures/cases named
//! here is run as a user runs it. Nothing here sends traffic beyond
//! 127.0.0.1, and every process is bounded to a minute.

mod common;

use common::{case, edit, pace, pace_os};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The outcome every bad input must have: exit 2 and one line on stderr
/// that starts with `error:` and contains each of `words`; nothing on
/// stdout, never a panic.
fn refused(code: i32, out: &str, err: &str, words: &[&str]) {
    assert_eq!(code, 2, "exit {code}: {out}{err}");
    assert!(!err.contains("panicked"), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    for w in words {
        assert!(lines[0].contains(w), "{w:?} not in: {err}");
    }
}

/// Runs `pace run plan.toml` with `--check` and without; both must refuse
/// the plan with the same line (containing `words`), and no results folder
/// may be made.
fn check_and_run_refuse(dir: &Path, words: &[&str]) {
    let (code, out, err) = pace(dir, &["run", "plan.toml", "--check"]);
    refused(code, &out, &err, words);
    let (code2, out2, err2) = pace(
        dir,
        &["run", "plan.toml", "--quiet", "--results-dir", "out"],
    );
    refused(code2, &out2, &err2, words);
    assert_eq!(err, err2, "--check and run say the same");
    assert!(!dir.join("out").exists(), "nothing ran");
}

/// `huge-duration-panic`: every duration is bounded (30 days), and the
/// error names the key, its line and the limit, from --check and run.
#[test]
fn huge_durations_are_refused_naming_the_key() {
    let (_tmp, dir) = case("huge-duration-panic");
    check_and_run_refuse(&dir, &["plan.toml:9: run.duration", "too large", "30 days"]);
    let plan = dir.join("plan.toml");
    let good = std::fs::read_to_string(&plan)
        .unwrap()
        .replace("1e308", "\"2s\"");
    let variants = [
        ("grace = \"1s\"", "grace = 1e308", "run.grace"),
        (
            "timeout = \"1s\"",
            "timeout = \"18446744073709551616s\"",
            "timeout",
        ),
        (
            "timeout = \"1s\"",
            "timeout = \"1s\"\nthink = \"31d\"",
            "think",
        ),
        (
            "timeout = \"1s\"",
            "timeout = \"1s\"\nthink = \"745h\"",
            "think",
        ),
        ("users = 2", "users = 1000000000000000000", "group[0].users"),
    ];
    for (from, to, key) in variants {
        std::fs::write(&plan, good.replace(from, to)).unwrap();
        let (code, out, err) = pace(&dir, &["run", "plan.toml", "--check"]);
        if key == "think" && to.contains("31d") {
            // Not a unit pace knows: refused all the same, naming the key.
            refused(code, &out, &err, &[key]);
        } else {
            let why = if key == "group[0].users" {
                "at most 1000000"
            } else {
                "too large"
            };
            refused(code, &out, &err, &[key, why]);
        }
    }
}

/// `ts-interval-oom`: an interval that makes more than 10,000 time-series
/// intervals is refused naming the key and the interval that would fit,
/// in a plan and as `pace report --ts-interval`.
#[test]
fn an_interval_that_would_exhaust_memory_is_refused() {
    let (_tmp, dir) = case("ts-interval-oom");
    check_and_run_refuse(
        &dir,
        &[
            "run.ts_interval",
            "3000000 intervals",
            "at most 10000",
            "use at least 0.3 ms",
        ],
    );
    // The same limit for a folder rebuilt with another interval.
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("20261123-000000");
    std::fs::create_dir(&run).unwrap();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden");
    for f in ["plan.toml", "samples.csv"] {
        std::fs::copy(golden.join(f), run.join(f)).unwrap();
    }
    let (code, out, err) = pace(
        tmp.path(),
        &["report", "20261123-000000", "--ts-interval", "0.000001"],
    );
    refused(code, &out, &err, &["--ts-interval", "at most 10000"]);
}

/// `nonutf8-arg-panic`: any argument may hold bytes that are not UTF-8: a
/// path is read as the bytes it is (and named in the error), a text value
/// is refused naming its flag.
#[test]
fn arguments_that_are_not_utf8_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = OsStr::from_bytes(b"no\xffne.toml");
    let run = |args: &[&OsStr]| pace_os(tmp.path(), args);
    let (code, out, err) = run(&[OsStr::new("run"), bad]);
    refused(
        code,
        &out,
        &err,
        &["no\u{fffd}ne.toml", "cannot read the plan"],
    );
    let (code, out, err) = run(&[OsStr::new("verify"), bad]);
    refused(code, &out, &err, &["no\u{fffd}ne.toml"]);
    let (code, out, err) = run(&[
        OsStr::new("run"),
        OsStr::new("plan.toml"),
        OsStr::new("--db"),
        bad,
    ]);
    refused(code, &out, &err, &["not valid UTF-8", "--db"]);
}

/// `negative-flag-values`: a negative value after a flag is that flag's
/// value, refused by pace's own validator naming the flag.
#[test]
fn negative_flag_values_are_refused_naming_the_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 6] = [
        (
            &["plan", "--tps", "5", "--rt", "-1s", "--users", "10"],
            "--rt",
        ),
        (
            &[
                "plan",
                "--tps",
                "5",
                "--rt",
                "1s",
                "--users",
                "10",
                "--ramp-up",
                "-1/5s",
            ],
            "--ramp-up",
        ),
        (&["run", "plan.toml", "--seed", "-1"], "--seed"),
        (
            &["report", "results", "--ts-interval", "-1s"],
            "--ts-interval",
        ),
        (&["history", "--limit", "-1"], "--limit"),
        (&["import", "proj", "--tpm", "-5"], "--tpm"),
    ];
    for (args, flag) in cases {
        let (code, out, err) = pace(tmp.path(), args);
        refused(code, &out, &err, &[flag]);
        assert!(!err.contains("unexpected argument"), "{err}");
    }
}

/// The `lax-values-accepted` plan without its impossible values.
fn lax_clean(text: &str) -> String {
    text.replace("tolerance = \"150%\"", "")
        .replace("error_rate = \"150%\"", "")
        .replace("alpha = nan\nbeta = -1.0\n", "")
        .replace("expect = { status = 0 }", "")
}

/// `lax-values-accepted`: impossible values are refused naming each key:
/// a NaN or negative shape, a status no response can have, a percentage
/// above 100 %.
#[test]
fn impossible_values_are_refused_naming_each_key() {
    let (_tmp, dir) = case("lax-values-accepted");
    // Values that cannot even be read are named first.
    check_and_run_refuse(
        &dir,
        &["plan.toml:31: acceptance.error_rate", "at most 100%"],
    );
    let plan = dir.join("plan.toml");
    let text = std::fs::read_to_string(&plan).unwrap();
    std::fs::write(&plan, text.replace("error_rate = \"150%\"", "")).unwrap();
    let (code, out, err) = pace(&dir, &["run", "plan.toml", "--check"]);
    refused(
        code,
        &out,
        &err,
        &["plan.toml:30: acceptance.tolerance", "at most 100%"],
    );
    let without = text
        .replace("tolerance = \"150%\"", "")
        .replace("error_rate = \"150%\"", "");
    std::fs::write(&plan, &without).unwrap();
    let (code, out, err) = pace(&dir, &["run", "plan.toml", "--check"]);
    refused(
        code,
        &out,
        &err,
        &["group[0].pacing.alpha", "positive, finite shape (got NaN)"],
    );
    let clean = lax_clean(&text);
    std::fs::write(&plan, &clean).unwrap();
    let (code, out, err) = pace(&dir, &["run", "plan.toml", "--check"]);
    assert_eq!(code, 0, "the clean plan is fine: {out}{err}");
    let variants = [
        (
            "interval = \"500ms\"",
            "interval = \"500ms\"\nbeta = -1.0",
            &["group[0].pacing.beta", "got -1"][..],
        ),
        (
            "timeout = \"1s\"",
            "timeout = \"1s\"\nexpect = { status = 0 }",
            &["group[0].step[0].expect", "status 0 is not an HTTP status"][..],
        ),
        (
            "[acceptance]",
            "[acceptance]\ntolerance = \"150%\"",
            &["acceptance.tolerance", "at most 100%"][..],
        ),
        (
            "[acceptance]",
            "[acceptance]\nerror_rate = 1.5",
            &["acceptance.error_rate", "at most 100%"][..],
        ),
        (
            "mode = \"fixed\"\ninterval = \"500ms\"",
            "mode = \"beta\"\nmin = \"250ms\"\nmax = \"750ms\"\nalpha = inf\nbeta = 2.0",
            &["group[0].pacing.alpha", "got inf"][..],
        ),
    ];
    for (from, to, words) in variants {
        let t = clean.replace(from, to);
        assert_ne!(t, clean, "{from:?}");
        std::fs::write(&plan, t).unwrap();
        let (code, out, err) = pace(&dir, &["run", "plan.toml", "--check"]);
        refused(code, &out, &err, words);
    }
}

/// TOML errors name the table actually at fault: a duplicate `[run]` is a
/// `run` error on its own line, not the table above it.
#[test]
fn a_duplicate_table_is_named() {
    let (_tmp, dir) = case("lax-values-accepted");
    let plan = dir.join("plan.toml");
    let text = std::fs::read_to_string(&plan).unwrap();
    let full = format!("{text}\n[run]\nduration = \"3s\"\n");
    std::fs::write(&plan, &full).unwrap();
    let (code, out, err) = pace(&dir, &["run", "plan.toml", "--check"]);
    let line = full[..full.rfind("[run]").unwrap()].matches('\n').count() + 1;
    refused(code, &out, &err, &[&format!("plan.toml:{line}: run: ")]);
}

/// Plan, config.cfg and samples paths that are not regular files are
/// refused at once: a FIFO never blocks pace, a folder or a device is
/// named as what it is.
#[test]
fn only_regular_files_are_read() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("plan.toml");
    let c = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let (code, out, err) = pace(tmp.path(), &["run", "plan.toml", "--check"]);
    refused(
        code,
        &out,
        &err,
        &["plan.toml", "a FIFO is not a regular file"],
    );
    let (code, out, err) = pace(tmp.path(), &["run", "/dev/null", "--check"]);
    refused(
        code,
        &out,
        &err,
        &["/dev/null", "a device is not a regular file"],
    );
    // A project whose config.cfg is a folder.
    let proj = tmp.path().join("proj");
    std::fs::create_dir_all(proj.join("config.cfg")).unwrap();
    let (code, out, err) = pace(tmp.path(), &["import", "proj"]);
    refused(
        code,
        &out,
        &err,
        &["config.cfg", "a folder is not a regular file"],
    );
}

/// A results folder holding the golden run's plan and samples, with the
/// samples edited by `f`.
fn golden_with(f: impl Fn(&str) -> String) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("20261123-000000");
    std::fs::create_dir(&run).unwrap();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden");
    std::fs::copy(golden.join("plan.toml"), run.join("plan.toml")).unwrap();
    let samples = std::fs::read_to_string(golden.join("samples.csv")).unwrap();
    std::fs::write(run.join("samples.csv"), f(&samples)).unwrap();
    (tmp, run)
}

/// A corrupted samples.csv is exit 2 naming the file and the line, from
/// `pace report` and `pace verify`: never a verdict on garbage.
#[test]
fn a_corrupted_samples_file_is_named_with_its_line() {
    // Line 3 is the first step row: "step,0.0,0.0,0.0,g,0,0,a,0.001,...".
    let edits: [(&str, &str, &[&str]); 5] = [
        (
            "step,0.0,0.0,0.0,g,0,0,a,0.001,",
            "step,0.0,0.0,0.0,g,0,0,a,NaN,",
            &["samples.csv: line 3: latency = NaN"],
        ),
        (
            "step,0.0,0.0,0.0,g,0,0,a,0.001,",
            "step,0.0,0.0,0.0,g,0,0,a,-5,",
            &["samples.csv: line 3: latency = -5"],
        ),
        (
            "step,0.0,0.0,0.0,g,0,0,a,0.001,",
            "step,1e12,0.0,0.0,g,0,0,a,0.001,",
            &["samples.csv: line 3: t = 1000000000000", "outside the run"],
        ),
        (
            "step,0.0,0.0,0.0,g,0,0,a,0.001,",
            "step,inf,0.0,0.0,g,0,0,a,0.001,",
            &["samples.csv: line 3: t = inf"],
        ),
        (
            "step,0.0,0.0,0.0,g,0,0,a,0.001,",
            "step,zero,0.0,0.0,g,0,0,a,0.001,",
            &["samples.csv: line 3:"],
        ),
    ];
    for (from, to, words) in edits {
        let (tmp, run) = golden_with(|s| {
            assert!(s.contains(from));
            s.replacen(from, to, 1)
        });
        for cmd in ["report", "verify"] {
            let (code, out, err) = pace(tmp.path(), &[cmd, run.to_str().unwrap()]);
            refused(code, &out, &err, words);
        }
        assert!(!run.join("summary.json").exists(), "no report on garbage");
    }
    // An empty file, and a folder in its place.
    let (tmp, run) = golden_with(|_| String::new());
    let (code, out, err) = pace(tmp.path(), &["verify", run.to_str().unwrap()]);
    refused(code, &out, &err, &["samples.csv: empty file"]);
    std::fs::remove_file(run.join("samples.csv")).unwrap();
    std::fs::create_dir(run.join("samples.csv")).unwrap();
    let (code, out, err) = pace(tmp.path(), &["report", run.to_str().unwrap()]);
    refused(
        code,
        &out,
        &err,
        &["samples.csv", "a folder is not a regular file"],
    );
}

/// `check-passes-run-rejects`: whatever `run` refuses before traffic,
/// `--check` refuses too, with the same line: URLs, variables, headers,
/// results_dir, scripts and interpreters.
#[test]
fn check_refuses_what_run_refuses() {
    let (_tmp, dir) = case("check-passes-run-rejects");
    check_and_run_refuse(
        &dir,
        &[
            "plan.toml:23: group[0].step[0].url",
            "'not a url' is not a URL",
        ],
    );
    let plan = dir.join("plan.toml");
    let base = std::fs::read_to_string(&plan).unwrap();
    let url = |u: &str| base.replace("url = \"not a url\"", &format!("url = \"{u}\""));
    let variants: Vec<(String, Vec<&str>)> = vec![
        (
            url("ftp://127.0.0.1/"),
            vec!["url", "scheme 'ftp' is not http or https"],
        ),
        (url("http://"), vec!["url", "is not a URL"]),
        (url("http://127.0.0.1:99999/"), vec!["url", "is not a URL"]),
        (
            url("${PACE_UNSET_VARIABLE}/"),
            vec!["url", "${PACE_UNSET_VARIABLE} is not set"],
        ),
        (url("${PACE_TARGET/"), vec!["url", "unclosed '${'"]),
        (
            url("http://127.0.0.1:9/").replace(
                "timeout = \"1s\"",
                "timeout = \"1s\"\nheaders = { \"bad name\" = \"x\" }",
            ),
            vec![
                "group[0].step[0].headers",
                "'bad name' is not a valid header name",
            ],
        ),
        (
            url("http://127.0.0.1:9/").replace(
                "timeout = \"1s\"",
                "timeout = \"1s\"\nheaders = { X-Token = \"a\\nb\" }",
            ),
            vec!["group[0].step[0].headers", "not a valid header value"],
        ),
    ];
    for (text, words) in variants {
        std::fs::write(&plan, text).unwrap();
        check_and_run_refuse(&dir, &words);
    }
    // results_dir: a file, a device, and a folder pace may not write in.
    let good = url("http://127.0.0.1:9/");
    std::fs::write(dir.join("a-file"), "").unwrap();
    for (rd, words) in [
        ("a-file", vec!["run.results_dir", "a-file is not a folder"]),
        (
            "/dev/null",
            vec!["run.results_dir", "/dev/null is not a folder"],
        ),
        (
            "a-file/results",
            vec!["run.results_dir", "a-file is not a folder"],
        ),
    ] {
        std::fs::write(
            &plan,
            good.replace(
                "grace = \"1s\"",
                &format!("grace = \"1s\"\nresults_dir = \"{rd}\""),
            ),
        )
        .unwrap();
        let (code, out, err) = pace(&dir, &["run", "plan.toml", "--check"]);
        refused(code, &out, &err, &words);
        let (code, out, err) = pace(&dir, &["run", "plan.toml", "--quiet"]);
        refused(code, &out, &err, &words);
    }
    std::fs::write(&plan, &good).unwrap();
    let (code, out, err) = pace(
        &dir,
        &["run", "plan.toml", "--check", "--results-dir", "a-file"],
    );
    refused(
        code,
        &out,
        &err,
        &["--results-dir", "a-file is not a folder"],
    );
}

/// A script plan of one group running `script` (relative to the plan)
/// with `extra` group keys.
fn script_plan(dir: &Path, script: &str, extra: &str) {
    std::fs::write(
        dir.join("plan.toml"),
        format!(
            "[run]\nduration = \"1s\"\nts_interval = \"1s\"\n\n[[group]]\nname = \"g\"\nusers = 1\nscript = \"{script}\"\n{extra}\npacing = {{ mode = \"none\" }}\n"
        ),
    )
    .unwrap();
}

/// Scripts and interpreters are checked before traffic, by --check too:
/// a missing script, a folder, an interpreter that is missing, fails or is
/// empty, a script that does not compile (file and line).
#[test]
fn check_refuses_scripts_that_cannot_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir(dir.join("folder.py")).unwrap();
    std::fs::write(
        dir.join("ok.py"),
        "class Transaction(object):\n    def run(self):\n        pass\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("py2.py"),
        "class Transaction(object):\n    def run(self):\n        print 'hello'\n",
    )
    .unwrap();
    let cases: [(&str, &str, &[&str]); 6] = [
        (
            "missing.py",
            "",
            &["group[0].script", "missing.py: no such file"],
        ),
        (
            "folder.py",
            "",
            &["group[0].script", "folder.py is a folder"],
        ),
        (
            "ok.py",
            "interpreter = \"/nonexistent/python\"",
            &["group[0].interpreter", "cannot be run"],
        ),
        (
            "ok.py",
            "interpreter = \"false\"",
            &["group[0].interpreter", "does not run Python"],
        ),
        (
            "ok.py",
            "interpreter = \"\"",
            &["group[0].interpreter", "must not be empty"],
        ),
        ("py2.py", "", &["group[0].script", "py2.py:3: SyntaxError"]),
    ];
    for (script, extra, words) in cases {
        script_plan(dir, script, extra);
        check_and_run_refuse(dir, words);
    }
}

/// --check lists every command the plan will execute with the user's
/// rights: script workers (the resolved interpreter) and post_run.
#[test]
fn check_lists_the_commands_a_plan_executes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("ok.py"),
        "class Transaction(object):\n    def run(self):\n        pass\n",
    )
    .unwrap();
    script_plan(dir, "ok.py", "");
    edit(
        &dir.join("plan.toml"),
        "ts_interval = \"1s\"",
        "ts_interval = \"1s\"\npost_run = \"echo done\"",
    );
    let (code, out, err) = pace(dir, &["run", "plan.toml", "--check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("executes (with your rights):"), "{out}");
    assert!(
        out.contains("group 'g': ") && out.contains("(pace's Python worker) imports "),
        "{out}"
    );
    assert!(out.contains("ok.py"), "{out}");
    assert!(out.contains("post_run: sh -c 'echo done'"), "{out}");
}

/// Kinds the fuzz harness (tests/fuzz) found, each as the input a user
/// could write: a pacing too short to advance, a huge after-end load whose
/// band once took seconds per thousand users, a name with a line break
/// echoed in an error.
#[test]
fn fuzzed_plans_are_refused_or_checked_at_once() {
    let (_tmp, dir) = case("lax-values-accepted");
    let plan = dir.join("plan.toml");
    let text = std::fs::read_to_string(&plan).unwrap();
    let clean = lax_clean(&text);
    std::fs::write(
        &plan,
        clean.replace("interval = \"500ms\"", "interval = 1e-299"),
    )
    .unwrap();
    let (code, out, err) = pace(&dir, &["run", "plan.toml", "--check"]);
    refused(
        code,
        &out,
        &err,
        &["group[0].pacing.interval", "shorter than pace's 1 ms"],
    );
    // Two groups named with a line break: the error stays one line.
    let twice = format!(
        "{}\n[[group]]\nname = \"line\\nbreak\"\nusers = 1\npacing = {{ mode = \"none\" }}\n[[group.step]]\nname = \"s\"\nurl = \"http://127.0.0.1:9/\"\n",
        clean.replace("name = \"g\"", "name = \"line\\nbreak\"")
    );
    std::fs::write(&plan, twice).unwrap();
    let (code, out, err) = pace(&dir, &["run", "plan.toml", "--check"]);
    refused(
        code,
        &out,
        &err,
        &["group[1].name", "two groups are named 'line break'"],
    );
    // 1,000 after-end users cycling every 2 ms for an hour: 1.8 billion
    // cycles in the band's count, checked at once.
    std::fs::write(
        &plan,
        "[target]\ntps = 500000\nresponse_time = \"1ms\"\n[run]\nduration = \"1h\"\n\
         [[group]]\nname = \"g\"\nusers = 1000\npacing = { mode = \"after-end\", delay = \"1ms\" }\n\
         [[group.step]]\nname = \"s\"\nurl = \"http://127.0.0.1:9/\"\n",
    )
    .unwrap();
    let started = std::time::Instant::now();
    let (code, out, err) = pace(&dir, &["run", "plan.toml", "--check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("expected: 3e+07 TPM") || out.contains("expected: 30000000 TPM"),
        "{out}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

/// Results folders the fuzz harness broke: a summary.json whose run time
/// is far beyond the run, a quoted line break in a field the reader
/// quotes, and the largest user number a file can hold.
#[test]
fn fuzzed_results_folders_are_refused_or_reported() {
    let (tmp, run) = golden_with(|s| s.to_string());
    let (code, out, err) = pace(tmp.path(), &["report", run.to_str().unwrap()]);
    assert_eq!(code, 3, "a killed run, rebuilt: {out}{err}");
    let summary = run.join("summary.json");
    let text = std::fs::read_to_string(&summary).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["meta"]["run_time_s"] = serde_json::json!(1.8e19);
    std::fs::write(&summary, serde_json::to_string(&v).unwrap()).unwrap();
    let (code, out, err) = pace(tmp.path(), &["verify", run.to_str().unwrap()]);
    refused(
        code,
        &out,
        &err,
        &["summary.json: run_time_s = 18000000000000000000 s is outside the run"],
    );
    // A status field holding a quoted line break: one line, its line named.
    let (tmp, run) = golden_with(|s| {
        s.replacen(
            "step,0.0,0.0,0.0,g,0,0,a,0.001,0.001,200,",
            "step,0.0,0.0,0.0,g,0,0,a,0.001,0.001,\"2\n00\",",
            1,
        )
    });
    let (code, out, err) = pace(tmp.path(), &["verify", run.to_str().unwrap()]);
    refused(code, &out, &err, &["samples.csv: line 3:"]);
    // The largest user number: JMeter's thread name counts from 1.
    let (tmp, run) = golden_with(|s| {
        s.split_inclusive('\n')
            .map(|line| {
                let mut f: Vec<&str> = line.split(',').collect();
                if f.len() > 5 && f[4] == "g" {
                    f[5] = "4294967295";
                }
                f.join(",")
            })
            .collect()
    });
    let (code, out, err) = pace(tmp.path(), &["report", run.to_str().unwrap()]);
    assert_eq!(code, 3, "{out}{err}");
    let jtl = std::fs::read_to_string(run.join("results.jtl")).unwrap();
    assert!(
        jtl.contains("g 1-4294967296"),
        "{}",
        &jtl[..jtl.len().min(400)]
    );
}

/// What a new user tried: re-judging a run against a plan whose groups it
/// never had is not a verdict (it once blamed chance for a group that
/// never ran); a threshold no response can meet, a negative duration and a
/// folder that does not exist are named.
#[test]
fn mismatched_and_impossible_inputs_are_named() {
    let (tmp, run) = golden_with(|s| s.to_string());
    let other = tmp.path().join("other.toml");
    let golden = std::fs::read_to_string(run.join("plan.toml")).unwrap();
    std::fs::write(&other, golden.replace("name = \"g\"", "name = \"browse\"")).unwrap();
    let (code, out, err) = pace(
        tmp.path(),
        &["verify", run.to_str().unwrap(), "--plan", "other.toml"],
    );
    refused(
        code,
        &out,
        &err,
        &["group 'g' is not a group of the plan ('browse')"],
    );
    let two = format!(
        "{golden}\n[[group]]\nname = \"buy\"\nusers = 1\npacing = {{ mode = \"none\" }}\n[[group.step]]\nname = \"s\"\nurl = \"http://127.0.0.1:9/\"\n"
    )
    .replace("tpm = 120", "");
    std::fs::write(&other, two).unwrap();
    let (code, out, err) = pace(
        tmp.path(),
        &["verify", run.to_str().unwrap(), "--plan", "other.toml"],
    );
    refused(
        code,
        &out,
        &err,
        &["the plan's group 'buy' never started a user"],
    );
    let (code, out, err) = pace(tmp.path(), &["verify", "no-such-folder"]);
    refused(
        code,
        &out,
        &err,
        &["no-such-folder: no such results folder"],
    );
    let (code, out, err) = pace(
        tmp.path(),
        &["plan", "--tps", "5", "--rt", "-1s", "--users", "10"],
    );
    refused(code, &out, &err, &["--rt", "'-1s' must not be negative"]);
    let (_t, dir) = case("check-passes-run-rejects");
    let plan = dir.join("plan.toml");
    let text = std::fs::read_to_string(&plan)
        .unwrap()
        .replace("not a url", "http://127.0.0.1:9/");
    std::fs::write(&plan, format!("{text}\n[acceptance]\np95 = 0\n")).unwrap();
    let (code, out, err) = pace(&dir, &["run", "plan.toml", "--check"]);
    refused(
        code,
        &out,
        &err,
        &["acceptance.p95", "must be greater than zero"],
    );
    // A huge time is quoted readably, not with 301 digits.
    let (tmp, run) = golden_with(|s| {
        s.replacen(
            "step,0.0,0.0,0.0,g,0,0,a,0.001,",
            "step,1e300,0.0,0.0,g,0,0,a,0.001,",
            1,
        )
    });
    let (code, out, err) = pace(tmp.path(), &["verify", run.to_str().unwrap()]);
    refused(
        code,
        &out,
        &err,
        &["line 3: t = 1e300 s is outside the run"],
    );
}
