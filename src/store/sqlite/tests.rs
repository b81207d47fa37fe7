use super::*;
use crate::plan::file::PlanFile;
use crate::results::aggregate::Aggregate;
use crate::results::sample::{Kind, Sample, SampleWriter};
use crate::results::summary::{RunMeta, Summary};
use crate::store::{DEFAULT_SAMPLE_LIMIT, SamplesStored, SaveOptions};
use crate::verdict::{Ending, judge};

const PLAN: &str = r#"
[target]
tpm = 240.0
transactions_per_iteration = 2

[run]
duration = "20s"
ramp_up = "2s"
ts_interval = "5s"

[[group]]
name = "browse"
users = 2

[group.pacing]
mode = "uniform"
interval = "1s"
min = "500ms"
max = "1500ms"
late = "catch-up"

[[group.step]]
name = "home"
url = "http://127.0.0.1:1/"

[[group.step]]
name = "search"
url = "http://127.0.0.1:1/search"

[acceptance]
tolerance = "50%"
p95 = "200ms"
error_rate = "1%"
"#;

/// A synthetic run in `dir`: two users, one iteration of two steps per
/// second from 0 to 20 s; `slow` makes search slow and fail sometimes.
fn results(dir: &Path, started_at: &str, slow: bool) -> Results {
    synthetic(dir, started_at, slow, false)
}

/// As [`results`]; with `custom`, every iteration also sets a script's
/// custom timer `think` (Pyak47's `self.custom_timers`), as `pace new`'s
/// script does.
fn synthetic(dir: &Path, started_at: &str, slow: bool, custom: bool) -> Results {
    let plan = PlanFile::parse(PLAN, "synthetic/plan.toml").unwrap();
    let mut agg = Aggregate::for_plan(&plan, (2.0, 20.0));
    let mut all: Vec<Sample> = Vec::new();
    for user in 0..2u32 {
        all.push(Sample::event(Kind::UserStart, 0.0, "browse", user));
        for i in 0..20u64 {
            let t = i as f64 + user as f64 * 0.5;
            for (k, step) in ["home", "search"].iter().enumerate() {
                let mut s = Sample::event(Kind::Step, t + k as f64 * 0.1, "browse", user);
                s.name = (*step).into();
                s.iteration = i;
                s.latency = if slow && *step == "search" {
                    0.3
                } else {
                    0.02 + 0.001 * i as f64
                };
                s.latency_sched = s.latency;
                s.status = 200;
                if slow && *step == "search" && i % 5 == 0 {
                    s.ok = false;
                    s.status = 500;
                    s.error = "HTTP 500".into();
                }
                all.push(s);
            }
            if custom {
                let mut c = Sample::event(Kind::Timer, t + 0.05, "browse", user);
                c.name = "think".into();
                c.iteration = i;
                c.latency = 0.01;
                c.latency_sched = c.latency;
                all.push(c);
            }
            let mut it = Sample::event(Kind::Iteration, t, "browse", user);
            it.iteration = i;
            it.latency = 0.2;
            all.push(it);
        }
        all.push(Sample::event(Kind::UserStop, 20.0, "browse", user));
    }
    // The raw samples, as a run writes them: the store streams them back.
    std::fs::create_dir_all(dir).unwrap();
    let mut w = SampleWriter::new(std::fs::File::create(dir.join("samples.csv")).unwrap());
    for s in &all {
        agg.add(s);
        w.write(s).unwrap();
    }
    w.flush().unwrap();
    let (exp, verdict) = judge(&plan, &agg, &Ending::default());
    let meta = RunMeta {
        plan_file: "synthetic/plan.toml".into(),
        seed: u64::MAX,
        started_at: started_at.into(),
        finished_at: started_at.into(),
        started_epoch_ms: 1_700_000_000_000,
        run_time_s: 20.0,
        duration_s: 20.0,
        ramp_up_s: 2.0,
        ts_interval_s: 5.0,
        late_policy: Vec::new(),
        partial: false,
        partial_reason: None,
        vars: Default::default(),
        shard: None,
        window_s: None,
        ran_shards: None,
        overrides: None,
        targets: Vec::new(),
        generator: None,
    };
    let summary = Summary::build(meta, &agg, exp, verdict);
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("plan.toml"), PLAN).unwrap();
    Results::new(dir, plan, summary, &agg)
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn creates_the_schema_on_first_use() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("results.db");
    let store = SqliteStore::open(&db).unwrap();
    assert!(db.is_file());
    let c = store.connection();
    assert_eq!(count(c, "PRAGMA user_version"), SCHEMA_VERSION);
    let mut tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    tables.sort();
    assert_eq!(
        tables,
        [
            "checks",
            "groups",
            "intervals",
            "runs",
            "samples",
            "stair_levels",
            "stairs",
            "timers"
        ]
    );
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    drop(store);
    // Opening again keeps it as it is.
    let again = SqliteStore::open(&db).unwrap();
    assert!(again.history(10).unwrap().is_empty());
}

#[test]
fn two_saves_store_two_runs_with_their_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("results.db");
    let a = results(&tmp.path().join("r1"), "2024-05-01T10:00:00Z", false);
    let mut b = results(&tmp.path().join("r2"), "2024-05-01T11:00:00Z", true);
    b.summary.meta.started_epoch_ms += 3_600_000;
    let mut store = SqliteStore::open(&db).unwrap();
    let id_a = store.save(&a).unwrap();
    let id_b = store.save(&b).unwrap();
    assert_ne!(id_a, id_b);
    let c = store.connection();
    assert_eq!(count(c, "SELECT count(*) FROM runs"), 2);
    assert_eq!(count(c, "SELECT count(*) FROM groups"), 2);
    // all + 2 steps + iteration, per run.
    assert_eq!(count(c, "SELECT count(*) FROM timers"), 8);
    // 20 s in 5 s intervals: a row per interval for all and each step.
    let rows = |r: &Results| {
        r.summary.all_intervals.len() + r.summary.intervals.values().map(Vec::len).sum::<usize>()
    };
    assert!(a.summary.all_intervals.len() >= 4);
    assert_eq!(
        count(c, "SELECT count(*) FROM intervals"),
        (rows(&a) + rows(&b)) as i64
    );
    assert_eq!(
        count(c, "SELECT count(*) FROM checks"),
        2 * a.summary.verdict.checks.len() as i64
    );

    // The run row holds the summary.
    let (plan_name, seed, pass, toml, groups_steps): (String, String, bool, String, String) = c
        .query_row(
            "SELECT plan_name, seed, pass, plan_toml, g.steps FROM runs r \
             JOIN groups g ON g.run_id = r.id WHERE r.id = ?1",
            [id_a],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    assert_eq!(plan_name, "synthetic");
    assert_eq!(seed, u64::MAX.to_string());
    assert!(pass, "{:?}", a.summary.verdict);
    assert_eq!(toml, PLAN);
    assert_eq!(groups_steps, "home,search");
    let (mode, late, min): (String, String, f64) = c
        .query_row(
            "SELECT pacing_mode, late, pacing_min_s FROM groups WHERE run_id = ?1",
            [id_a],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (mode.as_str(), late.as_str(), min),
        ("uniform", "catch-up", 0.5)
    );

    let (pass_b, reasons, errors, all): (bool, String, i64, i64) = c
        .query_row(
            "SELECT pass, reasons, errors, all_transactions FROM runs WHERE id = ?1",
            [id_b],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert!(!pass_b);
    assert_eq!(reasons, b.summary.verdict.reasons.join("\n"));
    assert!(reasons.contains('\n'), "p95 and error rate: {reasons}");
    assert_eq!(errors, 8);
    assert_eq!(all, 80);
    let failed = count(
        c,
        &format!("SELECT count(*) FROM checks WHERE run_id = {id_b} AND NOT pass"),
    );
    assert_eq!(failed, 2);

    // Timer rows match the summary.
    let (n, e, p95): (i64, i64, f64) = c
        .query_row(
            "SELECT count, errors, p95 FROM timers WHERE run_id = ?1 AND name = 'search'",
            [id_b],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((n, e), (32, 8));
    assert_eq!(p95, b.summary.timers["search"].p95);
    let it_errors: Option<i64> = c
        .query_row(
            "SELECT errors FROM timers WHERE run_id = ?1 AND kind = 'iteration'",
            [id_b],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(it_errors, None);
    let per_interval: i64 = count(
        c,
        &format!("SELECT sum(count) FROM intervals WHERE run_id = {id_b} AND timer = 'search'"),
    );
    assert_eq!(per_interval, 32);

    // History: newest first.
    let h = store.history(10).unwrap();
    assert_eq!(h.iter().map(|r| r.run_id).collect::<Vec<_>>(), [id_b, id_a]);
    assert!(!h[0].pass && h[1].pass);
    assert_eq!(h[0].errors, 8);
    assert_eq!(h[0].all_transactions, 80);
    assert_eq!(h[0].whole_run_transactions, 72);
    assert_eq!(h[1].target_tpm, Some(240.0));
    assert_eq!(store.history(1).unwrap().len(), 1);
    assert_eq!(store.history_of(0, Some("synthetic")).unwrap().len(), 2);
    assert!(store.history_of(0, Some("other")).unwrap().is_empty());
}

#[test]
fn saving_the_same_run_again_replaces_it() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("results.db");
    let dir = tmp.path().join("r1");
    let first = results(&dir, "2024-05-01T10:00:00Z", false);
    let mut store = SqliteStore::open(&db).unwrap();
    let id = store.save(&first).unwrap();
    // Re-processed: same folder and start, different numbers.
    let again = results(&dir, "2024-05-01T10:00:00Z", true);
    assert_eq!(store.save(&again).unwrap(), id);
    let c = store.connection();
    assert_eq!(count(c, "SELECT count(*) FROM runs"), 1);
    assert_eq!(count(c, "SELECT count(*) FROM groups"), 1);
    assert_eq!(count(c, "SELECT count(*) FROM timers"), 4);
    assert_eq!(
        count(c, "SELECT count(*) FROM intervals"),
        3 * again.summary.all_intervals.len() as i64
    );
    assert_eq!(count(c, "SELECT pass FROM runs"), 0);
    // A different start in the same folder is another run.
    let other = results(&dir, "2024-05-01T12:00:00Z", false);
    assert_ne!(store.save(&other).unwrap(), id);
    assert_eq!(count(store.connection(), "SELECT count(*) FROM runs"), 2);
    // Deleting a run takes its rows with it.
    let c = store.connection();
    c.execute("DELETE FROM runs WHERE id = ?1", [id]).unwrap();
    assert_eq!(count(c, "SELECT count(*) FROM timers"), 4);
    assert_eq!(
        count(
            c,
            &format!("SELECT count(*) FROM intervals WHERE run_id = {id}")
        ),
        0
    );
}

#[test]
fn url_forms() {
    assert_eq!(
        db_path("sqlite:///results.db").unwrap(),
        PathBuf::from("results.db")
    );
    assert_eq!(
        db_path("sqlite:///data/results.db").unwrap(),
        PathBuf::from("data/results.db")
    );
    assert_eq!(
        db_path("sqlite:////var/pace/results.db").unwrap(),
        PathBuf::from("/var/pace/results.db")
    );
    assert_eq!(
        db_path("sqlite+pysqlite:///r.db").unwrap(),
        PathBuf::from("r.db")
    );
    assert_eq!(db_path("results.db").unwrap(), PathBuf::from("results.db"));
    assert_eq!(
        db_path("/tmp/x/results.db").unwrap(),
        PathBuf::from("/tmp/x/results.db")
    );
    assert!(matches!(db_path("sqlite://"), Err(StoreError::Url(_))));
    assert!(matches!(
        db_path("sqlite:///:memory:"),
        Err(StoreError::Url(_))
    ));
    assert!(matches!(
        db_path("sqlite://host/x.db"),
        Err(StoreError::Url(_))
    ));

    // Open through each form, in a temporary folder.
    let tmp = tempfile::tempdir().unwrap();
    let abs = tmp.path().join("abs.db");
    let url = format!("sqlite:///{}", abs.display());
    assert!(url.starts_with("sqlite:////"));
    SqliteStore::open_url(&url).unwrap();
    assert!(abs.is_file());
    let plain = tmp.path().join("plain.db");
    SqliteStore::open_url(plain.to_str().unwrap()).unwrap();
    assert!(plain.is_file());
}

#[test]
fn other_schemes_are_refused_by_name() {
    for (url, scheme) in [
        ("mysql://user:secret@localhost/pace", "mysql"),
        ("postgresql://user:secret@db:5432/pace", "postgresql"),
        ("postgresql+psycopg2://u:p@h/d", "postgresql+psycopg2"),
        ("mssql://mydsn", "mssql"),
    ] {
        let e = match SqliteStore::open_url(url) {
            Err(StoreError::Url(e)) => e,
            other => panic!("{url}: {:?}", other.map(|_| ())),
        };
        assert!(e.contains(&format!("{scheme}://")), "{e}");
        assert!(e.contains("only SQLite is built in"), "{e}");
        assert!(!e.contains("secret"), "no password in {e}");
        assert!(!e.contains('\n'));
    }
}

#[test]
fn a_missing_folder_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("nope").join("results.db");
    let e = SqliteStore::open(&db).err().unwrap().to_string();
    assert!(
        e.contains(&tmp.path().join("nope").display().to_string()),
        "{e}"
    );
    assert!(!tmp.path().join("nope").exists());
}

#[test]
fn open_existing_never_creates() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("results.db");
    let e = SqliteStore::open_existing(db.to_str().unwrap())
        .err()
        .unwrap();
    assert!(matches!(e, StoreError::Missing(_)), "{e}");
    assert!(e.to_string().contains("results.db"));
    assert!(!db.exists());
    // An empty file holds no runs.
    std::fs::write(&db, "").unwrap();
    let s = SqliteStore::open_existing(db.to_str().unwrap()).unwrap();
    assert!(s.history(5).unwrap().is_empty());
    // A database of something else is named as such.
    let other = tmp.path().join("other.db");
    Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let e = SqliteStore::open_existing(other.to_str().unwrap())
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("not a pace results database"), "{e}");
    // A newer schema is refused, not misread.
    let newer = tmp.path().join("newer.db");
    Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let e = SqliteStore::open(&newer).err().unwrap().to_string();
    assert!(e.contains("newer pace"), "{e}");
}

/// Four paces creating one new database at once wait for each other; none
/// mistakes a schema another is creating for another application's
/// (once 1 suite run in 5: the version read before the other's commit,
/// its tables after). Twenty new files, to meet the race often.
#[test]
fn concurrent_writers_wait_for_each_other() {
    let tmp = tempfile::tempdir().unwrap();
    for round in 0..20 {
        let db = tmp.path().join(format!("results-{round}.db"));
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let db = db.clone();
                let dir = tmp.path().join(format!("r{round}-{i}"));
                std::thread::spawn(move || {
                    let r = results(&dir, "2024-05-01T10:00:00Z", i % 2 == 1);
                    let mut s = SqliteStore::open(&db).unwrap();
                    s.save(&r).unwrap()
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let s = SqliteStore::open(&db).unwrap();
        assert_eq!(count(s.connection(), "SELECT count(*) FROM runs"), 4);
    }
}

// ---- Schema versions and migrations ----

/// The tables of every version, oldest first.
const TABLES: [&str; 5] = ["runs", "groups", "timers", "intervals", "checks"];

/// Every row of every table, by id: what a migration must keep.
fn rows(c: &Connection) -> Vec<(&'static str, Vec<Vec<rusqlite::types::Value>>)> {
    // Version 1's columns: later versions only append columns (ALTER TABLE
    // ADD COLUMN), so every version shares these and the rows compare.
    let v1 = Connection::open_in_memory().unwrap();
    v1.execute_batch(migrate::V1).unwrap();
    TABLES
        .iter()
        .map(|t| {
            let mut stmt = c
                .prepare(&format!("SELECT * FROM {t} ORDER BY id"))
                .unwrap();
            let n = v1
                .prepare(&format!("SELECT * FROM {t}"))
                .unwrap()
                .column_count();
            let all = stmt
                .query_map([], |r| {
                    (0..n)
                        .map(|i| r.get::<_, rusqlite::types::Value>(i))
                        .collect()
                })
                .unwrap()
                .map(|r| r.unwrap())
                .collect();
            (*t, all)
        })
        .collect()
}

/// The schema's text: tables and indexes as SQLite keeps them.
fn schema(c: &Connection) -> Vec<(String, String, Option<String>)> {
    c.prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

/// A database as pace's schema version 1 made it: schema_v1.sql's exact
/// DDL, `user_version` as given (1 as that pace wrote it; 0 for a file
/// whose version was never recorded), WAL, and testdata/v1_runs.sql's two
/// stored runs.
fn v1_database(path: &Path, user_version: i64) {
    let c = Connection::open(path).unwrap();
    c.execute_batch(migrate::V1).unwrap();
    c.pragma_update(None, "user_version", user_version).unwrap();
    let _: String = c
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .unwrap();
    c.execute_batch(include_str!("testdata/v1_runs.sql"))
        .unwrap();
}

/// The file's bytes and the folder's listing, to show nothing was touched.
#[derive(PartialEq)]
struct Fingerprint {
    bytes: Vec<u8>,
    names: Vec<String>,
}

/// Where two files differ, not their thousands of bytes.
impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} bytes in {:?}", self.bytes.len(), self.names)
    }
}

fn fingerprint(db: &Path) -> Fingerprint {
    let mut names: Vec<String> = std::fs::read_dir(db.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Fingerprint {
        bytes: std::fs::read(db).unwrap(),
        names,
    }
}

/// Asserts `db` is as `before`; names the first byte that differs.
fn assert_untouched(db: &Path, before: &Fingerprint) {
    let now = fingerprint(db);
    let first = now
        .bytes
        .iter()
        .zip(&before.bytes)
        .position(|(a, b)| a != b);
    assert!(
        now == *before,
        "{} changed: now {now:?}, was {before:?}, first differing byte {first:?}",
        db.display()
    );
}

#[test]
fn migrations_are_consecutive_from_version_1() {
    let versions: Vec<i64> = migrate::MIGRATIONS.iter().map(|m| m.version).collect();
    let expected: Vec<i64> = (2..2 + versions.len() as i64).collect();
    assert_eq!(versions, expected);
    assert_eq!(SCHEMA_VERSION, 1 + versions.len() as i64);
}

#[test]
fn a_version_1_database_is_migrated_keeping_every_row() {
    for user_version in [1, 0] {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("results.db");
        v1_database(&db, user_version);
        let before = rows(&Connection::open(&db).unwrap());
        // Two runs, 8 timers, 12 interval rows, ids with gaps (run 2 gone).
        let ids = |t: &str| -> Vec<i64> {
            let (_, r) = before.iter().find(|(n, _)| *n == t).unwrap();
            r.iter()
                .map(|row| match row[0] {
                    rusqlite::types::Value::Integer(i) => i,
                    _ => panic!("id"),
                })
                .collect()
        };
        assert_eq!(ids("runs"), [1, 3]);
        assert_eq!(ids("timers").len(), 8);
        assert!(ids("timers").contains(&12), "{:?}", ids("timers"));
        assert_eq!(ids("intervals").len(), 12);

        let mut store = SqliteStore::open(&db).unwrap();
        let c = store.connection();
        assert_eq!(count(c, "PRAGMA user_version"), SCHEMA_VERSION);
        assert_eq!(rows(c), before, "user_version {user_version}: rows kept");
        // Version 3's verdict column says what their pass and partial said.
        let verdicts: Vec<(i64, String, String)> = c
            .prepare("SELECT pass, verdict, achieved_scope FROM runs ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(
            verdicts,
            [
                (0, "fail".to_string(), "window".to_string()),
                (1, "pass".to_string(), "window".to_string())
            ]
        );
        // Version 4's whole-run successes follow from the old columns; the
        // old runs have no samples, and say nothing about them.
        assert_eq!(
            count(
                c,
                "SELECT count(*) FROM runs WHERE whole_run_transactions = all_transactions - errors \
                 AND samples_status IS NULL AND samples_count IS NULL"
            ),
            2
        );
        assert_eq!(count(c, "PRAGMA foreign_keys"), 1);
        assert_eq!(count(c, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
        // The rebuilt tables have their indexes back.
        for index in ["timers_run", "intervals_run"] {
            assert_eq!(
                count(
                    c,
                    &format!("SELECT count(*) FROM sqlite_master WHERE name = '{index}'")
                ),
                1,
                "{index}"
            );
        }
        // A migrated file is the same as a new one.
        let fresh = SqliteStore::open(&tmp.path().join("fresh.db")).unwrap();
        assert_eq!(schema(c), schema(fresh.connection()));

        // The old runs are listed; a run with custom timers is stored.
        let old: Vec<i64> = store.history(0).unwrap().iter().map(|r| r.run_id).collect();
        assert_eq!(old.len(), 2);
        let r = synthetic(&tmp.path().join("r"), "2026-11-30T10:00:00Z", false, true);
        assert_eq!(r.summary.custom_timers, ["think"]);
        let id = store.save(&r).unwrap();
        assert!(id > 3, "a new id, after the kept ones: {id}");
        let c = store.connection();
        let (kind, n): (String, i64) = c
            .query_row(
                "SELECT kind, count FROM timers WHERE run_id = ?1 AND name = 'think'",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((kind.as_str(), n), ("custom", 40));
        let custom_intervals = count(
            c,
            &format!("SELECT sum(count) FROM intervals WHERE run_id = {id} AND kind = 'custom'"),
        );
        assert_eq!(custom_intervals, 40);
        // The custom timer is not a transaction.
        assert_eq!(
            count(
                c,
                &format!("SELECT all_transactions FROM runs WHERE id = {id}")
            ),
            80
        );
        let h = store.history(0).unwrap();
        assert_eq!(h.len(), 3);
        assert!(h.iter().any(|r| r.run_id == id), "{h:?}");
        // The old rows are still as they were.
        let after: Vec<_> = rows(store.connection())
            .into_iter()
            .map(|(t, r)| {
                let r: Vec<_> = r
                    .into_iter()
                    .filter(|row| {
                        let run = if t == "runs" { &row[0] } else { &row[1] };
                        *run != rusqlite::types::Value::Integer(id)
                    })
                    .collect();
                (t, r)
            })
            .collect();
        assert_eq!(after, before);
    }
}

#[test]
fn a_run_with_custom_timers_is_stored_in_a_new_database() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&tmp.path().join("results.db")).unwrap();
    let r = synthetic(&tmp.path().join("r"), "2026-11-30T10:00:00Z", true, true);
    let id = store.save(&r).unwrap();
    let c = store.connection();
    let kinds: Vec<(String, String)> = c
        .prepare("SELECT name, kind FROM timers WHERE run_id = ?1 ORDER BY id")
        .unwrap()
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let kinds: Vec<(&str, &str)> = kinds
        .iter()
        .map(|(n, k)| (n.as_str(), k.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("All Transactions", "all"),
            ("home", "step"),
            ("search", "step"),
            ("think", "custom"),
            ("Iteration", "iteration"),
        ]
    );
    let interval_kinds: Vec<String> = c
        .prepare("SELECT DISTINCT kind FROM intervals WHERE run_id = ?1 ORDER BY kind")
        .unwrap()
        .query_map([id], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(interval_kinds, ["all", "custom", "step"]);
}

#[test]
fn migrating_twice_is_a_no_op() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("results.db");
    v1_database(&db, 1);
    drop(SqliteStore::open(&db).unwrap());
    let migrated = fingerprint(&db);
    let (rows_once, schema_once) = {
        let c = Connection::open(&db).unwrap();
        (rows(&c), schema(&c))
    };
    // Opened again, for writing and for reading: nothing to do.
    drop(SqliteStore::open(&db).unwrap());
    drop(SqliteStore::open_existing(db.to_str().unwrap()).unwrap());
    assert_untouched(&db, &migrated);
    // The migrations themselves, run on a current database, change nothing.
    let mut c = Connection::open(&db).unwrap();
    let tx = c.transaction().unwrap();
    migrate::migrate(&tx, SCHEMA_VERSION).unwrap();
    tx.commit().unwrap();
    assert_eq!(rows(&c), rows_once);
    assert_eq!(schema(&c), schema_once);
    assert_eq!(count(&c, "PRAGMA user_version"), SCHEMA_VERSION);
}

#[test]
fn reading_an_old_database_migrates_it_too() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("results.db");
    v1_database(&db, 1);
    let before = rows(&Connection::open(&db).unwrap());
    let store = SqliteStore::open_existing(db.to_str().unwrap()).unwrap();
    assert_eq!(store.history(0).unwrap().len(), 2);
    assert_eq!(
        count(store.connection(), "PRAGMA user_version"),
        SCHEMA_VERSION
    );
    assert_eq!(rows(store.connection()), before);
}

#[test]
fn a_newer_database_is_refused_and_left_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("results.db");
    // What a newer pace would leave: a run, a column this pace does not
    // know, and a higher version.
    {
        let mut s = SqliteStore::open(&db).unwrap();
        s.save(&results(
            &tmp.path().join("r"),
            "2024-05-01T10:00:00Z",
            false,
        ))
        .unwrap();
        let c = s.connection();
        c.execute_batch("ALTER TABLE runs ADD COLUMN tags TEXT")
            .unwrap();
        c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    let before = fingerprint(&db);
    let url = db.to_str().unwrap();
    let errors = [
        SqliteStore::open(&db).err().unwrap(),
        SqliteStore::open_url(url).err().unwrap(),
        SqliteStore::open_existing(url).err().unwrap(),
        crate::store::open(url).err().unwrap(),
    ];
    for e in errors {
        let e = e.to_string();
        assert!(e.contains("newer pace"), "{e}");
        assert!(
            e.contains(&format!("schema version {}", SCHEMA_VERSION + 1)),
            "{e}"
        );
        assert!(e.contains(url), "names the file: {e}");
        assert!(!e.contains('\n'), "one line: {e}");
    }
    assert_untouched(&db, &before);
}

#[test]
fn a_store_migrated_under_it_refuses_to_save() {
    // Opened, then a newer pace migrates the file before this one saves.
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("results.db");
    let mut store = SqliteStore::open(&db).unwrap();
    Connection::open(&db)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let r = results(&tmp.path().join("r"), "2024-05-01T10:00:00Z", false);
    let e = store.save(&r).err().unwrap().to_string();
    assert!(e.contains("newer pace"), "{e}");
    assert_eq!(count(store.connection(), "SELECT count(*) FROM runs"), 0);
}

#[test]
fn a_failed_migration_leaves_the_database_as_it_was() {
    // A table in the way of the second rebuild: the first one (timers)
    // must be rolled back with it.
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("results.db");
    v1_database(&db, 1);
    Connection::open(&db)
        .unwrap()
        .execute_batch("CREATE TABLE intervals_v2 (x)")
        .unwrap();
    let (rows_before, schema_before) = {
        let c = Connection::open(&db).unwrap();
        (rows(&c), schema(&c))
    };
    let r = synthetic(&tmp.path().join("r"), "2026-11-30T10:00:00Z", false, true);
    let before = fingerprint(&db);
    // As `pace run` stores a run (src/cli/finish.rs): open, then save.
    let e = crate::store::open(db.to_str().unwrap())
        .and_then(|mut s| s.save(&r))
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("could not migrate the schema from version 1 to 2"),
        "{e}"
    );
    assert!(e.contains("intervals_v2"), "SQLite's reason: {e}");
    assert!(e.contains("left as it was") && !e.contains('\n'), "{e}");
    assert_untouched(&db, &before);
    let c = Connection::open(&db).unwrap();
    assert_eq!(count(&c, "PRAGMA user_version"), 1);
    assert_eq!(rows(&c), rows_before);
    assert_eq!(schema(&c), schema_before);
}

#[test]
fn orphan_rows_of_an_old_database_are_kept() {
    // Runs deleted in the sqlite3 shell (foreign keys off) leave their
    // timers behind; the migration keeps them rather than refusing.
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("results.db");
    v1_database(&db, 1);
    Connection::open(&db)
        .unwrap()
        .execute_batch("DELETE FROM runs WHERE id = 1")
        .unwrap();
    let before = rows(&Connection::open(&db).unwrap());
    let store = SqliteStore::open(&db).unwrap();
    assert_eq!(rows(store.connection()), before);
    assert_eq!(store.history(0).unwrap().len(), 1);
}

#[test]
fn concurrent_paces_migrate_an_old_database_once() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("results.db");
    v1_database(&db, 1);
    let before = rows(&Connection::open(&db).unwrap());
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let db = db.clone();
            let dir = tmp.path().join(format!("r{i}"));
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let r = synthetic(&dir, "2026-11-30T10:00:00Z", false, true);
                barrier.wait();
                let mut s = SqliteStore::open(&db).unwrap();
                s.save(&r).unwrap()
            })
        })
        .collect();
    let ids: Vec<i64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let c = Connection::open(&db).unwrap();
    assert_eq!(count(&c, "SELECT count(*) FROM runs"), 6, "{ids:?}");
    assert_eq!(
        count(&c, "SELECT count(*) FROM timers WHERE kind = 'custom'"),
        4
    );
    let old: Vec<_> = rows(&c)
        .into_iter()
        .map(|(t, r)| {
            let r: Vec<_> = r
                .into_iter()
                .filter(|row| {
                    let run = if t == "runs" { &row[0] } else { &row[1] };
                    !ids.iter()
                        .any(|id| *run == rusqlite::types::Value::Integer(*id))
                })
                .collect();
            (t, r)
        })
        .collect();
    assert_eq!(old, before);
}

/// `(kind, count(*))` of run `id`'s samples, by kind.
fn sample_kinds(c: &Connection, id: i64) -> Vec<(String, i64)> {
    c.prepare("SELECT kind, count(*) FROM samples WHERE run_id = ?1 GROUP BY kind ORDER BY kind")
        .unwrap()
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

/// `(samples_status, samples_count, samples_limit)` of run `id`.
fn samples_columns(c: &Connection, id: i64) -> (String, i64, i64) {
    c.query_row(
        "SELECT samples_status, samples_count, samples_limit FROM runs WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .unwrap()
}

#[test]
fn raw_samples_are_stored_with_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&tmp.path().join("r.db")).unwrap();
    let r = synthetic(&tmp.path().join("a"), "2026-11-30T10:00:00Z", true, true);
    let saved = store.save_with(&r, SaveOptions::default()).unwrap();
    assert_eq!(saved.samples, SamplesStored::Stored(160));
    let id = saved.run_id;
    let c = store.connection();
    // 2 users x 20 iterations: 2 steps, 1 custom timer, the iteration each;
    // user starts and stops are not stored.
    assert_eq!(
        sample_kinds(c, id),
        [
            ("custom".to_string(), 40),
            ("iteration".to_string(), 40),
            ("step".to_string(), 80)
        ]
    );
    assert_eq!(
        samples_columns(c, id),
        ("stored".to_string(), 160, DEFAULT_SAMPLE_LIMIT as i64)
    );
    // The samples agree with the summary: failed ones with their error.
    assert_eq!(
        count(
            c,
            &format!(
                "SELECT count(*) FROM samples WHERE run_id = {id} AND kind = 'step' AND NOT ok \
                 AND error = 'HTTP 500' AND status = 500"
            )
        ),
        r.summary.whole_run.errors as i64
    );
    assert_eq!(
        count(
            c,
            &format!("SELECT count(*) FROM samples WHERE run_id = {id} AND kind = 'step' AND ok")
        ),
        r.summary.whole_run.transactions as i64
    );
    assert_eq!(
        count(
            c,
            &format!(
                "SELECT whole_run_transactions FROM runs WHERE id = {id} \
                 AND whole_run_transactions + errors = all_transactions"
            )
        ),
        72
    );
    // A step group has no script.
    assert_eq!(
        count(
            c,
            &format!("SELECT count(*) FROM groups WHERE run_id = {id} AND script IS NULL")
        ),
        1
    );
    // Saved again (pace report), its samples are replaced, not doubled.
    let again = store.save_with(&r, SaveOptions::default()).unwrap();
    assert_eq!(again.run_id, id);
    let c = store.connection();
    assert_eq!(count(c, "SELECT count(*) FROM samples"), 160);
    // Deleting the run deletes its samples.
    c.execute("DELETE FROM runs WHERE id = ?1", [id]).unwrap();
    assert_eq!(count(c, "SELECT count(*) FROM samples"), 0);
}

#[test]
fn samples_over_the_limit_are_not_stored_and_said() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&tmp.path().join("r.db")).unwrap();
    let r = synthetic(&tmp.path().join("a"), "2026-11-30T10:00:00Z", false, true);
    // Exactly at the limit: stored.
    let at = store
        .save_with(&r, SaveOptions { sample_limit: 160 })
        .unwrap();
    assert_eq!(at.samples, SamplesStored::Stored(160));
    // One over: none stored, and the run says so.
    let over = store
        .save_with(&r, SaveOptions { sample_limit: 159 })
        .unwrap();
    assert_eq!(over.run_id, at.run_id);
    assert_eq!(over.samples, SamplesStored::OverLimit { limit: 159 });
    let c = store.connection();
    assert_eq!(count(c, "SELECT count(*) FROM samples"), 0);
    assert_eq!(
        samples_columns(c, over.run_id),
        ("over_limit".to_string(), 0, 159)
    );
    // The rest of the run is stored all the same.
    assert_eq!(
        count(
            c,
            &format!("SELECT count(*) FROM timers WHERE run_id = {}", over.run_id)
        ),
        5
    );
    // 0 switches them off.
    let off = store
        .save_with(&r, SaveOptions { sample_limit: 0 })
        .unwrap();
    assert_eq!(off.samples, SamplesStored::Off);
    let c = store.connection();
    assert_eq!(samples_columns(c, off.run_id), ("off".to_string(), 0, 0));
    assert_eq!(count(c, "SELECT count(*) FROM samples"), 0);
}

#[test]
fn a_run_without_its_samples_file_is_not_stored() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&tmp.path().join("r.db")).unwrap();
    let r = synthetic(&tmp.path().join("a"), "2026-11-30T10:00:00Z", false, false);
    std::fs::write(r.samples_path(), "kind,t\nstep,not a number\n").unwrap();
    let e = store.save(&r).unwrap_err().to_string();
    assert!(e.contains("samples.csv"), "{e}");
    assert!(!e.contains('\n'), "one line: {e}");
    assert_eq!(count(store.connection(), "SELECT count(*) FROM runs"), 0);
    // Switched off, the file is not read.
    let saved = store
        .save_with(&r, SaveOptions { sample_limit: 0 })
        .unwrap();
    assert_eq!(saved.samples, SamplesStored::Off);
}

/// Storing a million samples (the default limit): how long it takes, in
/// one transaction. Run by hand:
/// `cargo test --release --lib store_a_million_samples -- --ignored --nocapture`.
#[test]
#[ignore]
fn store_a_million_samples() {
    let tmp = tempfile::tempdir().unwrap();
    let r = synthetic(&tmp.path().join("a"), "2026-11-30T10:00:00Z", false, false);
    {
        let mut w = SampleWriter::new(std::io::BufWriter::new(
            std::fs::File::create(r.samples_path()).unwrap(),
        ));
        for i in 0..DEFAULT_SAMPLE_LIMIT {
            let mut s = Sample::event(Kind::Step, i as f64 * 0.001, "browse", (i % 50) as u32);
            s.name = if i % 2 == 0 { "home" } else { "search" }.into();
            s.iteration = i / 100;
            s.latency = 0.02 + (i % 97) as f64 * 0.001;
            s.status = 200;
            if i % 100 == 0 {
                s.ok = false;
                s.status = 500;
                s.error_kind = Some(crate::results::sample::ErrorKind::Status);
                s.error = "HTTP 500 Internal Server Error".into();
            }
            w.write(&s).unwrap();
        }
        w.flush().unwrap();
    }
    let t0 = std::time::Instant::now();
    let parsed = r.samples().unwrap().filter(|s| s.is_ok()).count();
    println!(
        "read {parsed} samples from samples.csv alone in {:.2} s",
        t0.elapsed().as_secs_f64()
    );
    let db = tmp.path().join("r.db");
    let mut store = SqliteStore::open(&db).unwrap();
    let t0 = std::time::Instant::now();
    let saved = store.save_with(&r, SaveOptions::default()).unwrap();
    let took = t0.elapsed();
    assert_eq!(saved.samples, SamplesStored::Stored(DEFAULT_SAMPLE_LIMIT));
    drop(store);
    let size = std::fs::metadata(&db).unwrap().len()
        + std::fs::metadata(tmp.path().join("r.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    println!(
        "stored {DEFAULT_SAMPLE_LIMIT} samples in {:.2} s; database {} MB",
        took.as_secs_f64(),
        size / 1_000_000
    );
}

fn stair_table() -> crate::results::stairs::StairTable {
    use crate::results::stairs::{Knee, LevelLoad, LevelRow, StairTable, Stopped};
    let row = |level: usize, users: u64, x: f64, pass: bool| LevelRow {
        level,
        users: Some(users),
        rate_per_s: None,
        dir: format!("level-0{level}-{users}users"),
        n: users as f64,
        x_per_s: x,
        expected_per_s: Some(10.0 * users as f64),
        partial: false,
        r_avg_s: 0.1,
        r_p50_s: 0.09,
        r_p95_s: 0.2,
        r_p99_s: 0.3,
        transactions: (x * 120.0) as u64,
        errors: 0,
        error_rate: 0.0,
        late_starts: 0,
        pass,
        reasons: if pass {
            vec![]
        } else {
            vec!["stop rule rate: X low".into()]
        },
    };
    StairTable {
        model: "closed".into(),
        hold_s: 120.0,
        ramp_s: 20.0,
        levels: vec![row(1, 5, 50.0, true), row(2, 10, 80.0, false)],
        not_run: vec![LevelLoad::Users(20)],
        stopped: Some(Stopped {
            level: 2,
            rule: "rate".into(),
            why: "X 80/s < 90% of the expected 100/s".into(),
        }),
        knee: Some(Knee {
            n: 5.0,
            x_per_s: 50.0,
        }),
        knee_note: "note".into(),
    }
}

#[test]
fn a_stair_is_stored_with_its_levels_and_linked_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("results.db");
    let mut store = SqliteStore::open(&db).unwrap();
    let run_id = store
        .save(&results(tmp.path(), "2026-01-01T00:00:00Z", false))
        .unwrap();
    let table = stair_table();
    let rec = crate::store::StairRecord {
        dir: tmp.path().to_path_buf(),
        started_at: "2026-01-01T00:00:00Z".into(),
        plan_name: "p".into(),
        verdict: "fail".into(),
        table: &table,
        run_ids: vec![Some(run_id), None],
    };
    store.save_stair(&rec).unwrap();
    // Saved again, it replaces itself and its levels.
    store.save_stair(&rec).unwrap();
    let c = store.connection();
    assert_eq!(count(c, "SELECT count(*) FROM stairs"), 1);
    assert_eq!(count(c, "SELECT count(*) FROM stair_levels"), 2);
    let (rule, level, not_run, knee): (String, i64, String, f64) = c
        .query_row(
            "SELECT stopped_rule, stopped_level, not_run, knee_n FROM stairs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        (rule.as_str(), level, not_run.as_str(), knee),
        ("rate", 2, "[20]", 5.0)
    );
    let levels: Vec<(i64, Option<i64>, f64, bool)> = c
        .prepare("SELECT level, run_id, x_per_s, pass FROM stair_levels ORDER BY level")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(
        levels,
        vec![(1, Some(run_id), 50.0, true), (2, None, 80.0, false)]
    );
}

#[test]
fn a_version_4_database_gains_the_stair_tables_and_keeps_its_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("results.db");
    {
        // A version 4 database: version 1, then migrations 2 to 4.
        let mut c = Connection::open(&db).unwrap();
        c.execute_batch(migrate::V1).unwrap();
        let tx = c.transaction().unwrap();
        for m in migrate::MIGRATIONS.iter().filter(|m| m.version <= 4) {
            tx.execute_batch(m.sql).unwrap();
        }
        tx.pragma_update(None, "user_version", 4).unwrap();
        tx.commit().unwrap();
    }
    let mut store = SqliteStore::open(&db).unwrap();
    assert_eq!(count(store.connection(), "PRAGMA user_version"), 5);
    store
        .save(&results(tmp.path(), "2026-01-01T00:00:00Z", false))
        .unwrap();
    let table = stair_table();
    store
        .save_stair(&crate::store::StairRecord {
            dir: tmp.path().to_path_buf(),
            started_at: "s".into(),
            plan_name: "p".into(),
            verdict: "fail".into(),
            table: &table,
            run_ids: vec![None, None],
        })
        .unwrap();
    assert_eq!(
        count(store.connection(), "SELECT count(*) FROM stair_levels"),
        2
    );
    // Its statements run again on a version 5 file change nothing.
    let c = store.connection();
    c.execute_batch(migrate::MIGRATIONS[3].sql).unwrap();
    assert_eq!(count(c, "SELECT count(*) FROM stairs"), 1);
}
