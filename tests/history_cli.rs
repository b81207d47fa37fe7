//! The results database end to end: two real `pace run`s (against the
//! embedded target, ~2 s each) stored once through the plan's
//! `results_database` and once through `--db`, read back with SQL and
//! listed by `pace history`; Pyak47 projects whose scripts set custom
//! timers (the case db-custom-timers, `pace new`'s project), in a new
//! database and in one made by the first schema version. The script runs
//! (~3 s each) need `python3`.

mod common;

use common::{copy_tree, pace};
use pace::store::sqlite::SCHEMA_VERSION;
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// A small plan against pace's embedded target; `acceptance` and `run_extra`
/// are added to their sections.
fn plan(run_extra: &str, acceptance: &str) -> String {
    format!(
        r#"
[target]
tpm = 1200.0
transactions_per_iteration = 1

[target.embedded]
latency = "fixed:5ms"
error_rate = "0%"
size = 64

[run]
duration = "2s"
ramp_up = "0s"
ts_interval = "1s"
grace = "2s"
{run_extra}

[[group]]
name = "browse"
users = 5

[group.pacing]
mode = "fixed"
interval = "250ms"

[[group.step]]
name = "home"
url = "${{PACE_TARGET}}/"
timeout = "2s"

[acceptance]
tolerance = "50%"
{acceptance}
"#
    )
}

fn count(c: &Connection, sql: &str) -> i64 {
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn runs_are_stored_and_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Run 1 stores through the plan's results_database (relative to the
    // working directory, as SQLAlchemy reads sqlite:///).
    std::fs::write(
        dir.join("shop.toml"),
        plan(
            "results_database = \"sqlite:///results.db\"",
            "p95 = \"1s\"",
        ),
    )
    .unwrap();
    let (code, out, err) = pace(dir, &["run", "shop.toml", "--seed", "3", "--quiet"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let db = dir.join("results.db");
    assert!(db.is_file(), "results.db not created: {err}");

    // Run 2 fails its p95 threshold and is stored through --db.
    std::fs::write(dir.join("strict.toml"), plan("", "p95 = \"1ms\"")).unwrap();
    let db_arg = db.to_str().unwrap();
    let (code, out, err) = pace(
        dir,
        &[
            "run",
            "strict.toml",
            "--seed",
            "4",
            "--quiet",
            "--db",
            db_arg,
        ],
    );
    assert_eq!(code, 1, "{out}\n{err}");

    // The rows, read with SQL.
    let c = Connection::open(&db).unwrap();
    assert_eq!(count(&c, "PRAGMA user_version"), SCHEMA_VERSION);
    assert_eq!(count(&c, "SELECT count(*) FROM runs"), 2);
    let mut stmt = c
        .prepare(
            "SELECT id, plan_name, pass, target_tpm, achieved_tpm, transactions, p95, plan_toml, \
             results_dir FROM runs ORDER BY id",
        )
        .unwrap();
    #[allow(clippy::type_complexity)]
    let runs: Vec<(i64, String, bool, f64, f64, i64, f64, String, String)> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
            ))
        })
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let (shop, strict) = (&runs[0], &runs[1]);
    assert_eq!((shop.1.as_str(), shop.2), ("shop", true));
    assert_eq!((strict.1.as_str(), strict.2), ("strict", false));
    for r in &runs {
        assert!((r.3 - 1200.0).abs() < 1e-9, "target_tpm {}", r.3);
        assert!(
            r.4 > 0.0 && r.5 > 0,
            "achieved {} tpm, {} transactions",
            r.4,
            r.5
        );
        assert!(r.6 >= 0.004 && r.6 < 1.0, "p95 {} s", r.6);
        assert!(r.7.contains("[[group]]"), "plan_toml");
        assert!(Path::new(&r.8).join("summary.json").is_file(), "{}", r.8);
    }
    for id in [shop.0, strict.0] {
        let per = |table: &str| {
            count(
                &c,
                &format!("SELECT count(*) FROM {table} WHERE run_id = {id}"),
            )
        };
        assert_eq!(per("groups"), 1);
        // All Transactions, home, Iteration.
        assert_eq!(per("timers"), 3);
        assert!(
            per("intervals") >= 2 * 2,
            "2 s in 1 s intervals, all + home"
        );
        assert!(per("checks") >= 2, "throughput and p95");
    }
    let steps: String = c
        .query_row(
            "SELECT steps FROM groups WHERE run_id = ?1",
            [shop.0],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(steps, "home");
    let failed: String = c
        .query_row(
            "SELECT name FROM checks WHERE run_id = ?1 AND NOT pass",
            [strict.0],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(failed, "p95 response time");
    let reasons: String = c
        .query_row("SELECT reasons FROM runs WHERE id = ?1", [strict.0], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(reasons.contains("p95"), "{reasons}");
    drop(stmt);
    drop(c);

    // Re-processing the first run's folder replaces its rows.
    let shop_dir = runs[0].8.clone();
    let (code, out, err) = pace(dir, &["report", &shop_dir, "--db", db_arg, "--quiet"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let c = Connection::open(&db).unwrap();
    assert_eq!(count(&c, "SELECT count(*) FROM runs"), 2, "{out}\n{err}");
    let per_shop = |table: &str| {
        count(
            &c,
            &format!("SELECT count(*) FROM {table} WHERE run_id = {}", shop.0),
        )
    };
    assert_eq!(per_shop("timers"), 3);
    assert_eq!(per_shop("groups"), 1);
    drop(c);

    // pace history: newest first, both verdicts, the sqlite:/// form too.
    for db_flag in [db_arg, "sqlite:///results.db"] {
        let (code, out, err) = pace(dir, &["history", "--db", db_flag]);
        assert_eq!(code, 0, "{out}\n{err}");
        let shop_line = out.lines().find(|l| l.contains("shop")).expect(&out);
        let strict_line = out.lines().find(|l| l.contains("strict")).expect(&out);
        assert!(shop_line.contains("PASS"), "{out}");
        assert!(strict_line.contains("FAIL"), "{out}");
        assert!(shop_line.contains("1200"), "target TPM: {out}");
        assert!(shop_line.contains("0 (0%)"), "errors: {out}");
        assert!(
            out.find("strict").unwrap() < out.find("shop").unwrap(),
            "newest first: {out}"
        );
        for h in [
            "id",
            "when",
            "plan",
            "target TPM",
            "achieved TPM",
            "p95 (ms)",
            "errors",
            "verdict",
        ] {
            assert!(out.contains(h), "header {h}: {out}");
        }
    }
    let (code, out, _) = pace(dir, &["history", "--db", db_arg, "--plan", "shop"]);
    assert_eq!(code, 0);
    assert!(out.contains("shop") && !out.contains("strict"), "{out}");
    let (code, out, _) = pace(dir, &["history", "--db", db_arg, "--limit", "1"]);
    assert_eq!(code, 0);
    assert!(out.contains("strict") && !out.contains("shop"), "{out}");
    let (code, out, _) = pace(dir, &["history", "--db", db_arg, "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(v[0]["plan_name"], "strict");
    assert_eq!(v[0]["pass"], false);
    assert_eq!(v[1]["pass"], true);
}

#[test]
fn a_missing_database_is_exit_2_and_not_created() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, out, err) = pace(tmp.path(), &["history", "--db", "nothing.db"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: ") && err.contains("nothing.db"),
        "{err}"
    );
    assert!(!tmp.path().join("nothing.db").exists());

    let (code, _, err) = pace(tmp.path(), &["history", "--db", "sqlite:///nothing.db"]);
    assert_eq!(code, 2);
    assert!(err.contains("nothing.db"), "{err}");
    assert!(!tmp.path().join("nothing.db").exists());
}

#[test]
fn an_empty_database_has_no_runs() {
    let tmp = tempfile::tempdir().unwrap();
    // A database created by pace (through the store) with no run yet.
    pace::store::open(tmp.path().join("empty.db").to_str().unwrap()).unwrap();
    let (code, out, err) = pace(tmp.path(), &["history", "--db", "empty.db"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "no runs stored in empty.db");
}

#[test]
fn other_databases_are_refused_in_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, err) = pace(
        tmp.path(),
        &["history", "--db", "postgresql://pace:secret@db/pace"],
    );
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("postgresql://") && err.contains("only SQLite"),
        "{err}"
    );
    assert!(!err.contains("secret"), "{err}");
}

/// A copy of the case db-custom-timers (Multi-Mechanize's manual: one
/// group of 2 threads running a script that sets
/// `self.custom_timers['Example_Timer']`, for 3 s, with
/// `results_database: sqlite:///results.db`) as `<tmp>/<name>`.
fn custom_timers_project(tmp: &Path, name: &str) -> PathBuf {
    let dir = tmp.join(name);
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/db_custom_timers"),
        &dir,
    );
    dir
}

/// (name, kind, count) of every timer of run `id`.
fn timers(c: &Connection, id: i64) -> Vec<(String, String, i64)> {
    c.prepare("SELECT name, kind, count FROM timers WHERE run_id = ?1 ORDER BY id")
        .unwrap()
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

/// The custom timer `name` of run `id` is stored as such, with its
/// interval rows, and counted apart from the transactions.
fn assert_custom_timer(c: &Connection, id: i64, name: &str) {
    let all = timers(c, id);
    let (_, kind, n) = all
        .iter()
        .find(|(t, _, _)| t == name)
        .unwrap_or_else(|| panic!("no timer {name}: {all:?}"));
    assert_eq!(kind, "custom", "{all:?}");
    assert!(*n > 0, "{all:?}");
    let per_interval = count(
        c,
        &format!(
            "SELECT coalesce(sum(count), 0) FROM intervals \
             WHERE run_id = {id} AND timer = '{name}' AND kind = 'custom'"
        ),
    );
    assert_eq!(per_interval, *n, "interval rows add up to the timer");
    // The transactions are the script's run() calls, not its custom timers.
    let all_tx = count(
        c,
        &format!("SELECT all_transactions FROM runs WHERE id = {id}"),
    );
    let step_tx = count(
        c,
        &format!(
            "SELECT sum(count) + sum(errors) FROM timers WHERE run_id = {id} AND kind = 'step'"
        ),
    );
    assert_eq!(all_tx, step_tx, "{all:?}");
}

#[test]
fn a_pyak47_project_with_custom_timers_is_stored_and_listed() {
    // The case as reported: `pace run .` in the project, its config's
    // results_database, then `pace history`.
    let tmp = tempfile::tempdir().unwrap();
    let dir = custom_timers_project(tmp.path(), "mock_project");
    // The Multi-Mechanize config promises no rate and no threshold: the
    // run did real work and nothing was judged (NO CHECKS, exit 4).
    let (code, out, err) = pace(&dir, &["run", ".", "--seed", "5"]);
    assert_eq!(code, 4, "{out}\n{err}");
    assert!(!err.contains("error:"), "{err}");
    assert!(
        err.contains("stored as run 1 in sqlite:///results.db"),
        "{err}"
    );

    let (code, out, err) = pace(&dir, &["history", "--db", "results.db"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let line = out
        .lines()
        .find(|l| l.contains("mock_project"))
        .unwrap_or_else(|| panic!("the run is listed: {out}"));
    assert!(line.contains("NO CHECKS"), "{out}");

    let c = Connection::open(dir.join("results.db")).unwrap();
    assert_eq!(count(&c, "PRAGMA user_version"), SCHEMA_VERSION);
    assert_eq!(count(&c, "SELECT count(*) FROM runs"), 1);
    assert_custom_timer(&c, 1, "Example_Timer");
    let mut kinds: Vec<String> = timers(&c, 1).into_iter().map(|t| t.1).collect();
    kinds.sort();
    assert_eq!(kinds, ["all", "custom", "iteration", "step"]);
}

#[test]
fn a_new_project_is_stored_with_its_custom_timers() {
    // `pace new x && pace run x --db r.db`, with the new plan's 30 s (and
    // 4 s ramp-up) cut to 3 s so the test stays short.
    let tmp = tempfile::tempdir().unwrap();
    let (code, out, err) = pace(tmp.path(), &["new", "x"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let plan_file = tmp.path().join("x/plan.toml");
    let plan = std::fs::read_to_string(&plan_file).unwrap();
    let mut short = plan.clone();
    for (from, to) in [
        ("duration = \"30s\"", "duration = \"3s\""),
        ("ramp_up = \"4s\"", "ramp_up = \"0s\""),
        ("ts_interval = \"5s\"", "ts_interval = \"1s\""),
    ] {
        assert!(short.contains(from), "pace new's plan changed: {plan}");
        short = short.replacen(from, to, 1);
    }
    std::fs::write(&plan_file, short).unwrap();

    let (code, out, err) = pace(
        tmp.path(),
        &["run", "x", "--db", "r.db", "--quiet", "--seed", "6"],
    );
    // The verdict of a 3 s run may go either way; the run is stored anyway.
    assert!(code == 0 || code == 1, "{out}\n{err}");
    assert!(!err.contains("results_database"), "{err}");
    let c = Connection::open(tmp.path().join("r.db")).unwrap();
    assert_eq!(count(&c, "SELECT count(*) FROM runs"), 1, "{err}");
    assert_eq!(count(&c, "SELECT pass FROM runs"), i64::from(code == 0));
    assert_custom_timer(&c, 1, "Example_Timer");
    assert_custom_timer(&c, 1, "Example_Timer_2");

    let (code, out, err) = pace(tmp.path(), &["history", "--db", "r.db", "--json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1, "{out}");
    assert_eq!(v[0]["plan_name"], "x");
}

#[test]
fn a_database_of_the_first_schema_is_migrated_by_a_run() {
    // A results.db made by the pace that had no 'custom' kind, holding two
    // runs: the next run migrates it in place and stores beside them.
    let tmp = tempfile::tempdir().unwrap();
    let dir = custom_timers_project(tmp.path(), "mock_project");
    let db = dir.join("results.db");
    {
        let c = Connection::open(&db).unwrap();
        c.execute_batch(include_str!("../src/store/sqlite/schema_v1.sql"))
            .unwrap();
        c.pragma_update(None, "user_version", 1).unwrap();
        c.execute_batch(include_str!("../src/store/sqlite/testdata/v1_runs.sql"))
            .unwrap();
    }
    let old_timers = {
        let c = Connection::open(&db).unwrap();
        [timers(&c, 1), timers(&c, 3)]
    };
    let (code, out, err) = pace(&dir, &["run", ".", "--quiet", "--seed", "7"]);
    assert_eq!(code, 4, "{out}\n{err}");
    assert!(!err.contains("error:"), "{err}");

    let c = Connection::open(&db).unwrap();
    assert_eq!(count(&c, "PRAGMA user_version"), SCHEMA_VERSION);
    assert_eq!(count(&c, "SELECT count(*) FROM runs"), 3);
    assert_eq!([timers(&c, 1), timers(&c, 3)], old_timers, "old rows kept");
    let new_id = count(&c, "SELECT max(id) FROM runs");
    assert!(new_id > 3, "a new id: {new_id}");
    assert_custom_timer(&c, new_id, "Example_Timer");

    let (code, out, err) = pace(&dir, &["history", "--db", "results.db"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(
        out.lines().filter(|l| l.contains("shop")).count(),
        2,
        "{out}"
    );
    assert!(out.contains("mock_project"), "{out}");
}

#[test]
fn a_database_of_a_newer_pace_is_refused_and_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("results.db");
    pace::store::open(db.to_str().unwrap()).unwrap();
    Connection::open(&db)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let before = std::fs::read(&db).unwrap();
    let (code, out, err) = pace(tmp.path(), &["history", "--db", "results.db"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: ") && err.contains("newer pace"),
        "{err}"
    );
    assert!(std::fs::read(&db).unwrap() == before, "left as it was");
}
