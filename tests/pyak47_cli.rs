//! `pace new` and `pace import` as a user runs them: the files they make,
//! the table, the exit codes. No script is run here.

mod common;

use common::copy_tree;
use pace::plan::file::{PacingMode, PlanFile};
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pyak47_full")
}

/// `pace ARGS` with its tables laid out 400 columns wide (`COLUMNS`), so
/// that a row is one line to search.
fn pace(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    common::pace_env(cwd, args, &[("COLUMNS", "400")])
}

/// The import table fits 120 columns when piped, as `pace plan`'s does
/// (it was ~260 wide).
#[test]
fn the_import_table_fits_120_columns_when_piped() {
    let (tmp, _project) = full_project();
    let (code, out, err) =
        common::pace_env(tmp.path(), &["import", "my_project"], &[("COLUMNS", "")]);
    assert_eq!(code, 0, "{err}");
    let widest = out.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(widest <= 120, "{widest} columns:\n{out}");
}

/// A copy of the manual's full project as `<tmp>/my_project`.
fn full_project() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("my_project");
    copy_tree(&fixture(), &project);
    (tmp, project)
}

fn load(path: &Path) -> PlanFile {
    let text = std::fs::read_to_string(path).unwrap();
    PlanFile::parse(&text, &path.display().to_string()).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// The table row whose first cell is `option`.
fn row<'a>(stdout: &'a str, option: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.trim_start_matches('│').trim_start().starts_with(option))
        .unwrap_or_else(|| panic!("no row {option} in\n{stdout}"))
}

fn one_line_error(code: i32, err: &str) {
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("error: "), "{err}");
}

#[test]
fn new_makes_a_pyak47_shaped_project_and_refuses_a_second_time() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, out, err) = pace(tmp.path(), &["new", "my_project"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("next: pace run my_project"), "{out}");
    let dir = tmp.path().join("my_project");
    for made in ["plan.toml", "test_scripts/vu_script.py"] {
        assert!(out.contains(&format!("my_project/{made}")), "{out}");
    }
    assert!(dir.join("results").is_dir());
    let p = load(&dir.join("plan.toml"));
    let g = &p.groups[0];
    assert_eq!((g.name.as_str(), g.users), ("user_group-1", 4));
    assert_eq!(g.script.as_deref(), Some("test_scripts/vu_script.py"));
    assert_eq!(
        (g.pacing.mode, g.pacing.interval.unwrap().0),
        (PacingMode::Fixed, 1.0)
    );
    assert_eq!(
        (p.run.ramp_up(), p.run.duration.0, p.run.ts_interval.0),
        (4.0, 30.0, 1.0)
    );
    assert_eq!(p.target.tps(), Some(4.0));
    assert_eq!(p.target.transactions_per_iteration, Some(1));
    assert_eq!(p.acceptance.p95.unwrap().0, 1.0);
    let plan_text = std::fs::read_to_string(dir.join("plan.toml")).unwrap();
    assert!(plan_text.contains("# mode = \"none\""), "{plan_text}");
    let script = std::fs::read_to_string(dir.join("test_scripts/vu_script.py")).unwrap();
    for s in [
        "class Transaction",
        "def run(self)",
        "self.custom_timers[\"Example_Timer\"]",
        "self.custom_timers[\"Example_Timer_2\"]",
        "time.sleep",
    ] {
        assert!(script.contains(s), "{s} in\n{script}");
    }
    let (code, out, err) = pace(tmp.path(), &["run", "--check", "my_project"]);
    assert_eq!(code, 0, "{out}{err}");

    // A second time: the folder is not empty.
    let (code, _, err) = pace(tmp.path(), &["new", "my_project"]);
    one_line_error(code, &err);
    assert!(
        err.contains("my_project") && err.contains("not empty"),
        "{err}"
    );
    // A file of that name is refused too; an empty folder is fine.
    std::fs::write(tmp.path().join("a_file"), "x").unwrap();
    let (code, _, err) = pace(tmp.path(), &["new", "a_file"]);
    one_line_error(code, &err);
    std::fs::create_dir(tmp.path().join("empty")).unwrap();
    let (code, _, err) = pace(tmp.path(), &["new", "empty"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn import_of_the_manuals_full_config_writes_a_plan_that_run_check_accepts() {
    let (tmp, project) = full_project();
    let (code, out, err) = pace(tmp.path(), &["import", "my_project"]);
    assert_eq!(code, 0, "{err}");
    // The table: option, value, plan key, note.
    assert!(out.contains("plan key"), "{out}");
    assert!(
        row(&out, "[global] run_time").contains("run.duration = \"5m\""),
        "{out}"
    );
    assert!(
        row(&out, "[global] rampup").contains("run.ramp_up"),
        "{out}"
    );
    assert!(row(&out, "[global] results_ts_interval").contains("run.ts_interval = \"30s\""));
    assert!(row(&out, "[global] progress_bar").contains("--quiet"));
    assert!(row(&out, "[global] console_logging").contains("workers.log"));
    assert!(row(&out, "[global] xml_report").contains("run.xml_report = false"));
    assert!(
        row(&out, "[global] results_database")
            .contains("run.results_database = \"sqlite:///my_project/results.db\"")
    );
    assert!(row(&out, "[global] post_run_script").contains("run.post_run"));
    assert!(row(&out, "[user_group-2] threads").contains("group.users = 30"));
    assert!(
        row(&out, "[user_group-1] script")
            .contains("group.script = \"test_scripts/vu_script1.py\"")
    );
    assert!(row(&out, "[user_group-1] pacing").contains("mode = \"none\""));
    // rampup = run_time, kept as Pyak47 ran it: a back-to-back plan has
    // no steady state to judge.
    assert!(!err.contains("warning: [global] rampup"), "{err}");
    assert!(!err.contains("does not exist"), "{err}");
    assert!(out.contains("wrote my_project/plan.toml"), "{out}");

    let p = load(&project.join("plan.toml"));
    assert_eq!(p.run.duration.0, 300.0);
    assert_eq!(p.run.ramp_up(), 300.0);
    assert_eq!(p.run.post_run.as_deref(), Some("python my_project/foo.py"));
    let names: Vec<&str> = p.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["user_group-1", "user_group-2"]);
    for g in &p.groups {
        assert_eq!(g.pacing.mode, PacingMode::None);
        assert!(project.join(g.script.as_deref().unwrap()).is_file());
    }
    let (code, out, err) = pace(tmp.path(), &["run", "--check", "my_project"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("plan OK: 2 group(s), 60 users"), "{out}");

    // Again: the plan exists; --force overwrites it.
    let (code, _, err) = pace(tmp.path(), &["import", "my_project"]);
    one_line_error(code, &err);
    assert!(err.contains("--force"), "{err}");
    let (code, _, err) = pace(tmp.path(), &["import", "my_project/config.cfg", "--force"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn tpm_paces_the_groups_in_proportion_to_users() {
    let (tmp, project) = full_project();
    let cfg = project.join("config.cfg");
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        "threads = 30\nscript = vu_script2.py",
        "threads = 10\nscript = vu_script2.py",
    );
    std::fs::write(&cfg, text).unwrap();
    let (code, out, err) = pace(tmp.path(), &["import", "my_project", "--tpm", "1200"]);
    assert_eq!(code, 0, "{err}");
    // 40 users / 20 per second = a start every 2 s, for both groups.
    assert!(row(&out, "--tpm").contains("target.tpm = 1200"), "{out}");
    assert!(
        row(&out, "[user_group-1] pacing").contains("interval = \"2s\""),
        "{out}"
    );
    assert!(
        row(&out, "[user_group-1] pacing").contains("900 TPM (75%)"),
        "{out}"
    );
    assert!(
        row(&out, "[user_group-2] pacing").contains("300 TPM (25%)"),
        "{out}"
    );
    let p = load(&project.join("plan.toml"));
    assert_eq!(p.target.tpm, Some(1200.0));
    assert_eq!(p.target.transactions_per_iteration, Some(1));
    for g in &p.groups {
        assert_eq!(g.pacing.mode, PacingMode::Fixed);
        assert_eq!(g.pacing.interval.unwrap().0, 2.0);
    }
    let (code, out, err) = pace(tmp.path(), &["run", "--check", "my_project"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("expected: 1200 TPM"), "{out}");

    // run() takes 3 s: 40 users reach at most 800 TPM.
    let (code, _, err) = pace(
        tmp.path(),
        &[
            "import",
            "my_project",
            "--tpm",
            "1200",
            "--rt",
            "3s",
            "--force",
        ],
    );
    one_line_error(code, &err);
    assert!(err.contains("at most 800 TPM"), "{err}");
    let (code, _, err) = pace(
        tmp.path(),
        &[
            "import",
            "my_project",
            "--tps",
            "10",
            "--rt",
            "3s",
            "--force",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        load(&project.join("plan.toml")).groups[0]
            .pacing
            .interval
            .unwrap()
            .0,
        4.0
    );
    // One rate at a time; --rt only with a rate.
    let (code, _, err) = pace(
        tmp.path(),
        &["import", "my_project", "--tps", "1", "--tpm", "1"],
    );
    one_line_error(code, &err);
    let (code, _, err) = pace(tmp.path(), &["import", "my_project", "--rt", "1s"]);
    one_line_error(code, &err);
}

#[test]
fn a_bad_config_names_file_line_and_option() {
    let (tmp, project) = full_project();
    let cfg = project.join("config.cfg");
    let good = std::fs::read_to_string(&cfg).unwrap();
    let cases = [
        (
            "run_time = 300",
            "run_time = soon",
            ":2: [global] run_time:",
        ),
        (
            "threads = 30\nscript = vu_script2.py",
            "threads = 0\nscript = vu_script2.py",
            ":16: [user_group-2] threads:",
        ),
        (
            "script = vu_script1.py\n",
            "",
            ":11: [user_group-1] script:",
        ),
        (
            "rampup = 300",
            "rampup = 300\nRAMPUP: 10",
            ":4: [global] RAMPUP:",
        ),
        (
            "results_ts_interval = 30\n",
            "",
            ":1: [global] results_ts_interval:",
        ),
        (
            "xml_report = off",
            "xml_report = sometimes",
            ":7: [global] xml_report:",
        ),
        ("[global]", "[globals]", ":1: [global]:"),
    ];
    for (from, to, want) in cases {
        std::fs::write(&cfg, good.replacen(from, to, 1)).unwrap();
        let (code, _, err) = pace(tmp.path(), &["import", "my_project"]);
        one_line_error(code, &err);
        assert!(
            err.contains(&format!("my_project/config.cfg{want}")),
            "{want}: {err}"
        );
        assert!(!project.join("plan.toml").exists());
    }
    // Not a project at all.
    let (code, _, err) = pace(tmp.path(), &["import", "."]);
    one_line_error(code, &err);
    assert!(err.contains("config.cfg"), "{err}");
}

#[test]
fn unknown_options_are_ignored_and_missing_scripts_warned() {
    let (tmp, project) = full_project();
    let cfg = project.join("config.cfg");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("progress_bar = on", "progress_bar = on\nhatch = 3")
        .replace("vu_script2.py", "gone.py");
    std::fs::write(&cfg, text).unwrap();
    let (code, out, err) = pace(tmp.path(), &["import", "my_project"]);
    assert_eq!(code, 0, "{err}");
    assert!(row(&out, "[global] hatch").contains("ignored"), "{out}");
    assert!(
        row(&out, "[user_group-2] script").contains("missing"),
        "{out}"
    );
    assert!(
        err.contains("config.cfg:18: [user_group-2] script:"),
        "{err}"
    );
    assert!(err.contains("gone.py does not exist"), "{err}");
}

#[test]
fn output_elsewhere_points_back_at_the_project_scripts() {
    let (tmp, project) = full_project();
    std::fs::create_dir(tmp.path().join("plans")).unwrap();
    let (code, out, err) = pace(
        tmp.path(),
        &["import", "my_project/config.cfg", "-o", "plans/full.toml"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("pace run plans/full.toml"), "{out}");
    assert!(!project.join("plan.toml").exists());
    let plan = tmp.path().join("plans/full.toml");
    let p = load(&plan);
    let script = p.groups[0].script.as_deref().unwrap();
    assert_eq!(script, "../my_project/test_scripts/vu_script1.py");
    assert!(tmp.path().join("plans").join(script).is_file());
}

#[test]
fn run_on_a_project_without_plan_toml_runs_its_config_converted() {
    let (tmp, project) = full_project();
    let (code, out, err) = pace(tmp.path(), &["run", "--check", "my_project"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("pace: my_project has no plan.toml: running its Pyak47 config.cfg, converted (`pace import my_project` writes it)"),
        "{err}"
    );
    assert!(out.contains("plan OK: 2 group(s), 60 users"), "{out}");
    assert!(!project.join("plan.toml").exists(), "nothing is written");
    // A bad config is named as `pace import` names it.
    std::fs::write(project.join("config.cfg"), "[global]\nrun_time = x\n").unwrap();
    let (code, _, err) = pace(tmp.path(), &["run", "--check", "my_project"]);
    one_line_error(code, &err);
    assert!(
        err.contains("my_project/config.cfg:2: [global] run_time:"),
        "{err}"
    );
    // A folder with neither is still "no plan".
    let (code, _, err) = pace(tmp.path(), &["run", "--check", "."]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("plan.toml"), "{err}");
}
