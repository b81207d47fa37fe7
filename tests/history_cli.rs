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
        ("ts_interval = \"1s\"", "ts_interval = \"1s\""),
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

/// The ```sql blocks of docs/database.md, as written there.
fn doc_queries() -> Vec<String> {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/database.md"))
            .unwrap();
    let mut out = Vec::new();
    let mut rest = doc.as_str();
    while let Some(i) = rest.find("```sql\n") {
        let body = &rest[i + "```sql\n".len()..];
        let end = body.find("```").expect("an unclosed ```sql block");
        out.push(body[..end].to_string());
        rest = &body[end..][3..];
    }
    out
}

/// Every row a query returns, as SQLite values.
fn query(c: &Connection, sql: &str) -> Vec<Vec<rusqlite::types::Value>> {
    let mut stmt = c.prepare(sql).unwrap_or_else(|e| panic!("{e}\n{sql}"));
    let n = stmt.column_count();
    stmt.query_map([], |r| (0..n).map(|i| r.get(i)).collect())
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

fn text(v: &rusqlite::types::Value) -> String {
    match v {
        rusqlite::types::Value::Text(s) => s.clone(),
        rusqlite::types::Value::Null => String::new(),
        other => panic!("not text: {other:?}"),
    }
}

fn integer(v: &rusqlite::types::Value) -> i64 {
    match v {
        rusqlite::types::Value::Integer(i) => *i,
        other => panic!("not an integer: {other:?}"),
    }
}

/// A plan of two groups against the embedded target (failing one request
/// in five) and a Pyak47 script setting a custom timer, 2 s long.
const MIXED: &str = r#"
[target.embedded]
latency = "fixed:5ms"
error_rate = "20%"
size = 64

[run]
duration = "2s"
ramp_up = "0s"
ts_interval = "1s"
grace = "2s"
results_database = "sqlite:///results.db"

[[group]]
name = "shop"
users = 4

[group.pacing]
mode = "fixed"
interval = "200ms"

[[group.step]]
name = "home"
url = "${PACE_TARGET}/"
timeout = "2s"

[[group.step]]
name = "search"
url = "${PACE_TARGET}/search"
timeout = "2s"

[[group]]
name = "mock"
users = 2
script = "test_scripts/example_mock.py"

[group.pacing]
mode = "none"
"#;

#[test]
fn the_pyak47_queries_of_the_docs_answer_as_the_run_says() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = custom_timers_project(tmp.path(), "mixed");
    std::fs::write(dir.join("mixed.toml"), MIXED).unwrap();
    let (code, out, err) = pace(&dir, &["run", "mixed.toml", "--seed", "5", "--quiet"]);
    assert_eq!(code, 4, "no checks: {out}\n{err}");
    let c = Connection::open(dir.join("results.db")).unwrap();
    let results_dir: String = c
        .query_row("SELECT results_dir FROM runs", [], |r| r.get(0))
        .unwrap();
    let results_dir = PathBuf::from(results_dir);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(results_dir.join("summary.json")).unwrap())
            .unwrap();
    let samples: Vec<pace::results::sample::Sample> =
        pace::results::sample::open_samples(&results_dir.join("samples.csv"))
            .unwrap()
            .rows
            .map(|r| r.unwrap())
            .collect();
    use pace::results::sample::Kind;
    let steps: Vec<_> = samples.iter().filter(|s| s.kind == Kind::Step).collect();
    let n = |v: &serde_json::Value| v.as_i64().unwrap();
    assert!(
        steps.iter().any(|s| !s.ok) && steps.iter().any(|s| s.ok),
        "a fifth of the requests fail"
    );
    assert_eq!(
        c.query_row("SELECT samples_status FROM runs", [], |r| r
            .get::<_, String>(0))
            .unwrap(),
        "stored"
    );

    let queries: Vec<String> = doc_queries()
        .into_iter()
        .filter(|q| q.starts_with("-- pyak47:"))
        .collect();
    let labels: Vec<&str> = queries.iter().map(|q| q.lines().next().unwrap()).collect();
    assert_eq!(
        labels,
        [
            "-- pyak47: every transaction, in order, with its group",
            "-- pyak47: custom timers",
            "-- pyak47: transactions over a threshold",
            "-- pyak47: errors by their text",
        ]
    );

    // Every transaction, with its group's users and script.
    let rows = query(&c, &queries[0]);
    assert_eq!(rows.len(), steps.len());
    assert_eq!(
        rows.len() as i64,
        n(&summary["whole_run"]["transactions"]) + n(&summary["whole_run"]["errors"])
    );
    for row in &rows {
        let group = text(&row[1]);
        let script = text(&row[3]);
        let users = integer(&row[2]);
        match group.as_str() {
            "shop" => assert_eq!((users, script.as_str()), (4, "")),
            "mock" => assert_eq!(
                (users, script.as_str()),
                (2, "test_scripts/example_mock.py")
            ),
            other => panic!("group {other}"),
        }
    }
    let times: Vec<f64> = rows
        .iter()
        .map(|r| match r[0] {
            rusqlite::types::Value::Real(t) => t,
            ref other => panic!("t {other:?}"),
        })
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "ordered by time");
    // The same transactions as samples.csv (its order is completion's).
    let mut from_db: Vec<(String, bool)> = rows
        .iter()
        .map(|r| (text(&r[4]), integer(&r[6]) == 1))
        .collect();
    let mut from_csv: Vec<(String, bool)> =
        steps.iter().map(|s| (s.name.to_string(), s.ok)).collect();
    from_db.sort();
    from_csv.sort();
    assert_eq!(from_db, from_csv);

    // The custom timer's values: as many as summary.json's count.
    let rows = query(&c, &queries[1]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(text(&rows[0][0]), "Example_Timer");
    let custom = samples.iter().filter(|s| s.kind == Kind::Timer).count() as i64;
    assert!(custom > 0);
    assert_eq!(integer(&rows[0][1]), custom);
    assert_eq!(
        integer(&rows[0][1]),
        n(&summary["timers"]["Example_Timer"]["count"])
    );

    // Successful transactions per timer and how many took over 150 ms.
    let rows = query(&c, &queries[2]);
    let names: Vec<String> = rows.iter().map(|r| text(&r[0])).collect();
    assert_eq!(names, ["home", "mock", "search"]);
    for r in &rows {
        let name = text(&r[0]);
        let ok: Vec<_> = steps.iter().filter(|s| *s.name == *name && s.ok).collect();
        assert_eq!(integer(&r[1]), ok.len() as i64, "{name}");
        assert_eq!(
            integer(&r[1]),
            n(&summary["timers"][&name]["count"]),
            "{name}"
        );
        let over = ok.iter().filter(|s| s.latency > 0.15).count() as i64;
        assert_eq!(integer(&r[2]), over, "{name}");
    }

    // Failed transactions grouped by their error: they add up to the
    // whole run's errors, each group as samples.csv has it.
    let rows = query(&c, &queries[3]);
    assert!(!rows.is_empty());
    let total: i64 = rows.iter().map(|r| integer(&r[2])).sum();
    assert_eq!(total, n(&summary["whole_run"]["errors"]));
    for r in &rows {
        let (kind, error) = (text(&r[0]), text(&r[1]));
        let expected = steps
            .iter()
            .filter(|s| {
                !s.ok && s.error_kind.map(|k| k.name()).unwrap_or("") == kind && s.error == error
            })
            .count() as i64;
        assert_eq!(integer(&r[2]), expected, "{kind} {error}");
    }

    // Every other query of the docs is valid SQL against this schema.
    for q in doc_queries() {
        c.prepare(&q).unwrap_or_else(|e| panic!("{e}\n{q}"));
    }

    // One name, one quantity: the database, `pace history --json` and
    // summary.json.
    let (tx, window_errors, all, errors, whole): (i64, i64, i64, i64, i64) = c
        .query_row(
            "SELECT transactions, window_errors, all_transactions, errors, \
             whole_run_transactions FROM runs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    assert_eq!(tx, n(&summary["achieved"]["transactions"]));
    assert_eq!(window_errors, n(&summary["achieved"]["errors"]));
    assert_eq!(all, n(&summary["achieved"]["all_transactions"]));
    assert_eq!(errors, n(&summary["whole_run"]["errors"]));
    assert_eq!(whole, n(&summary["whole_run"]["transactions"]));
    let (code, out, err) = pace(&dir, &["history", "--db", "results.db", "--json"]);
    assert_eq!(code, 0, "{err}");
    let h: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(n(&h[0]["all_transactions"]), all);
    assert_eq!(n(&h[0]["errors"]), errors);
    assert_eq!(n(&h[0]["whole_run_transactions"]), whole);
    assert!(h[0].get("transactions").is_none(), "{out}");
}

#[test]
fn storing_samples_is_switched_by_the_plan() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Off.
    std::fs::write(
        dir.join("off.toml"),
        plan(
            "results_database = \"sqlite:///results.db\"\nresults_database_samples = 0",
            "",
        ),
    )
    .unwrap();
    let (code, out, err) = pace(dir, &["run", "off.toml", "--seed", "1", "--quiet"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(!err.contains("warning"), "{err}");
    // A limit the run exceeds: said on the console, in the run's row.
    std::fs::write(
        dir.join("small.toml"),
        plan(
            "results_database = \"sqlite:///results.db\"\nresults_database_samples = 3",
            "",
        ),
    )
    .unwrap();
    let (code, out, err) = pace(dir, &["run", "small.toml", "--seed", "1", "--quiet"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        err.contains("warning: results_database: run 2 has more than 3 samples")
            && err.contains("results_database_samples"),
        "{err}"
    );
    let c = Connection::open(dir.join("results.db")).unwrap();
    let status: Vec<(String, i64, i64)> = c
        .prepare("SELECT samples_status, samples_count, samples_limit FROM runs ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(
        status,
        [("off".to_string(), 0, 0), ("over_limit".to_string(), 0, 3)]
    );
    assert_eq!(count(&c, "SELECT count(*) FROM samples"), 0);
    // A value that is not a count is refused, naming the key and its line.
    let bad = plan("results_database_samples = -1", "");
    let line = 1 + bad
        .lines()
        .position(|l| l.starts_with("results_database_samples"))
        .unwrap();
    std::fs::write(dir.join("bad.toml"), &bad).unwrap();
    let (code, _, err) = pace(dir, &["run", "bad.toml", "--check"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("bad.toml:{line}: run.results_database_samples:")),
        "{err}"
    );
}

/// One p95, one text (ISSUE-23 §5: "p95 33.2 here and 33.25 there"): a run
/// whose every transaction starts inside the judged span and succeeds,
/// so the span's judged p95 and the whole run's are the same histogram
/// value; the console's verdict, its response-time table, report.html's
/// judged section and statistics table, and `pace history --db` all
/// print it to the same 3 significant digits (ms).
#[test]
fn the_same_p95_reads_the_same_on_console_report_and_history() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("shop.toml"), plan("", "p95 = \"1s\"")).unwrap();
    let (code, out, err) = pace(
        dir,
        &[
            "run",
            "shop.toml",
            "--seed",
            "5",
            "--db",
            "sqlite:///results.db",
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let run = common::only_results_dir(&dir.join("results"));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("summary.json")).unwrap()).unwrap();
    let judged = summary["achieved"]["latency"]["p95"].as_f64().unwrap();
    let whole = summary["all_transactions"]["p95"].as_f64().unwrap();
    assert_eq!(
        summary["all_transactions"]["count"], summary["achieved"]["latency"]["count"],
        "every transaction is in the span: {summary:#}"
    );
    assert_eq!(judged, whole, "one histogram, one p95");
    // The embedded target answers in 5 ms (more on a busy machine), so
    // the p95 reads in ms, to at most 3 significant digits ("5.13").
    let ms = pace::units::measured_ms(judged);
    let shown = format!("{ms} ms");
    assert_eq!(shown, pace::units::measured_time(judged));
    let digits = ms.replace('.', "");
    assert!(
        (0.005..1.0).contains(&judged) && digits.trim_start_matches('0').len() <= 3,
        "3 significant digits: {ms}"
    );

    // The console: the verdict's p95 check and the response-time table.
    let check = out
        .lines()
        .find(|l| l.contains("p95 response time"))
        .unwrap_or_else(|| panic!("a p95 check row: {out}"));
    assert!(check.contains(&format!("{shown} (100% of")), "{check}");
    let home = out
        .lines()
        .find(|l| l.contains("│ home"))
        .unwrap_or_else(|| panic!("a home row: {out}"));
    let cells: Vec<&str> = home.split(['│', '┆']).map(str::trim).collect();
    assert_eq!(cells[3], ms, "p95 column of {home}");

    // report.html: the judged section's p95 and the statistics table's.
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    let doc = scraper::Html::parse_document(&html);
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    let text = |e: scraper::ElementRef| e.text().collect::<String>().trim().to_string();
    let row = doc
        .select(&sel("#judged table.judged-latency tbody tr"))
        .find(|tr| text(tr.select(&sel("th")).next().unwrap()).starts_with("every transaction"))
        .expect("the judged row");
    let tds: Vec<String> = row.select(&sel("td")).map(text).collect();
    assert_eq!(tds[2], shown, "judged p95: {tds:?}");
    let stats = doc
        .select(&sel("#statistics table.statistics"))
        .next()
        .unwrap();
    let heads: Vec<String> = stats
        .select(&sel("thead tr:first-child th"))
        .map(text)
        .collect();
    let p95_col = heads
        .iter()
        .position(|h| h == "p95 (ms)")
        .expect("p95 (ms)");
    let total = stats.select(&sel("tbody tr.total")).next().unwrap();
    // The row's first cell is a th (the timer); the rest are tds.
    let tds: Vec<String> = total.select(&sel("td")).map(text).collect();
    assert_eq!(tds[p95_col - 1], ms, "statistics p95: {tds:?}");

    // pace history: the p95 (ms) column.
    let (code, hist, err) = pace(dir, &["history", "--db", "sqlite:///results.db"]);
    assert_eq!(code, 0, "{hist}\n{err}");
    let line = hist.lines().find(|l| l.contains("shop")).expect(&hist);
    let cells: Vec<&str> = line.split(['│', '┆']).map(str::trim).collect();
    assert_eq!(cells[6], ms, "history p95: {line}");
}
