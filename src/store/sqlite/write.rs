//! One run's rows: the run, its groups, timers, interval rows, checks and
//! raw samples.

use super::{ALL_TRANSACTIONS, ITERATION};
use crate::results::Results;
use crate::results::aggregate::Stats;
use crate::results::sample::{Kind, Sample};
use crate::results::summary::IntervalRow;
use crate::store::{SamplesStored, SaveOptions, Saved};
use rusqlite::{OptionalExtension, params};
use std::path::Path;

/// Counts fit SQLite's signed integers.
pub(super) fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A finite number, else NULL.
fn real(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// The statistics of a timer as columns min, avg, p50, p80, p90, p95, p99,
/// max, stdev: NULL when it has no successful sample (not a fake 0).
fn stat_cols(s: &Stats) -> [Option<f64>; 9] {
    let v = [
        s.min, s.avg, s.p50, s.p80, s.p90, s.p95, s.p99, s.max, s.stdev,
    ];
    v.map(|x| if s.count == 0 { None } else { real(x) })
}

/// How the run's folder is recorded: absolute where it exists, so that
/// re-processing it from another directory finds the same run.
fn results_dir(dir: &Path) -> String {
    std::fs::canonicalize(dir)
        .unwrap_or_else(|_| dir.to_path_buf())
        .display()
        .to_string()
}

/// The plan's text: the copy in the results folder, else re-serialized.
fn plan_toml(r: &Results) -> String {
    std::fs::read_to_string(r.dir.join("plan.toml"))
        .ok()
        .or_else(|| toml::to_string(&r.plan).ok())
        .unwrap_or_default()
}

fn insert_interval(
    tx: &rusqlite::Transaction,
    run_id: i64,
    timer: &str,
    kind: &str,
    row: &IntervalRow,
) -> rusqlite::Result<()> {
    let s = stat_cols(&row.stats);
    tx.prepare_cached(
        "INSERT INTO intervals (run_id, timer, kind, interval, start_s, end_s, count, rate, \
         errors, min, avg, p50, p80, p90, p95, p99, max, stdev) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )?
    .execute(params![
        run_id,
        timer,
        kind,
        row.interval,
        row.start_s,
        row.end_s,
        int(row.stats.count),
        real(row.rate).unwrap_or(0.0),
        int(row.errors),
        s[0],
        s[1],
        s[2],
        s[3],
        s[4],
        s[5],
        s[6],
        s[7],
        s[8],
    ])?;
    Ok(())
}

fn insert_timer(
    tx: &rusqlite::Transaction,
    run_id: i64,
    name: &str,
    kind: &str,
    stats: &Stats,
    errors: Option<u64>,
) -> rusqlite::Result<()> {
    let s = stat_cols(stats);
    tx.prepare_cached(
        "INSERT INTO timers (run_id, name, kind, count, errors, min, avg, p50, p80, p90, p95, \
         p99, max, stdev) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        run_id,
        name,
        kind,
        int(stats.count),
        errors.map(int),
        s[0],
        s[1],
        s[2],
        s[3],
        s[4],
        s[5],
        s[6],
        s[7],
        s[8],
    ])?;
    Ok(())
}

/// Writes one run in the open transaction; returns its id and what became
/// of its samples.
pub(super) fn write_run(
    tx: &rusqlite::Transaction,
    r: &Results,
    options: SaveOptions,
) -> rusqlite::Result<Saved> {
    let s = &r.summary;
    let m = &s.meta;
    let dir = results_dir(&r.dir);
    let target_tpm = s
        .expected
        .as_ref()
        .map(|e| e.tpm)
        .or_else(|| r.plan.target.tps().map(|t| t * 60.0));
    let p95 = (s.all_transactions.count > 0)
        .then_some(s.all_transactions.p95)
        .and_then(real);
    // The same folder and start is the same run (`pace report` again):
    // keep its id, replace everything else.
    let existing: Option<i64> = tx
        .query_row(
            "SELECT id FROM runs WHERE results_dir = ?1 AND started_at = ?2",
            params![dir, m.started_at],
            |row| row.get(0),
        )
        .optional()?;
    if let Some(id) = existing {
        for table in ["groups", "timers", "intervals", "checks", "samples"] {
            tx.execute(&format!("DELETE FROM {table} WHERE run_id = ?1"), [id])?;
        }
        tx.execute("DELETE FROM runs WHERE id = ?1", [id])?;
    }
    tx.execute(
        "INSERT INTO runs (id, results_dir, plan_name, plan_file, plan_toml, started_at, \
         finished_at, started_epoch_ms, run_time_s, duration_s, ramp_up_s, ts_interval_s, seed, \
         partial, partial_reason, pass, reasons, target_tpm, expected_tpm_low, \
         expected_tpm_high, achieved_tpm, transactions, all_transactions, errors, iterations, \
         late_starts, dropped, skipped, p95, pace_version, verdict, window_errors, \
         achieved_scope, missed, whole_run_transactions, samples_limit) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, \
         ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, \
         ?35, ?36)",
        params![
            existing,
            dir,
            m.plan_name(),
            m.plan_file,
            plan_toml(r),
            m.started_at,
            m.finished_at,
            int(m.started_epoch_ms),
            m.run_time_s,
            m.duration_s,
            m.ramp_up_s,
            m.ts_interval_s,
            m.seed.to_string(),
            s.partial,
            m.partial_reason,
            s.verdict.pass,
            s.verdict.reasons.join("\n"),
            target_tpm.and_then(real),
            s.expected.as_ref().and_then(|e| real(e.tpm_low)),
            s.expected.as_ref().and_then(|e| real(e.tpm_high)),
            real(s.achieved.tpm).unwrap_or(0.0),
            int(s.achieved.transactions),
            int(s.achieved.all_transactions),
            int(s.whole_run.errors),
            int(s.achieved.iterations),
            int(s.late_starts),
            int(s.dropped),
            int(s.skipped),
            p95,
            s.pace_version,
            s.verdict.state.name(),
            int(s.achieved.errors),
            s.achieved.scope,
            int(s.missed),
            int(s.whole_run.transactions),
            int(options.sample_limit),
        ],
    )?;
    let id = tx.last_insert_rowid();

    for g in &r.plan.groups {
        let p = &g.pacing;
        let steps: Vec<&str> = g.steps.iter().map(|st| st.name.as_str()).collect();
        tx.prepare_cached(
            "INSERT INTO groups (run_id, name, users, pacing_mode, pacing_interval_s, \
             pacing_min_s, pacing_max_s, pacing_delay_s, pacing_rate_per_s, late, steps, \
             script) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?
        .execute(params![
            id,
            g.name,
            int(g.users),
            kebab(&p.mode),
            p.interval.map(|v| v.0),
            p.min.map(|v| v.0),
            p.max.map(|v| v.0),
            p.delay.map(|v| v.0),
            p.rate.map(|v| v.0),
            kebab(&p.late),
            steps.join(","),
            g.script,
        ])?;
    }

    insert_timer(
        tx,
        id,
        ALL_TRANSACTIONS,
        "all",
        &s.all_transactions,
        Some(s.whole_run.errors),
    )?;
    // A timer that only ever failed has errors but no statistics.
    let mut names: Vec<&String> = s.timers.keys().collect();
    for k in s.timer_errors.keys() {
        if !s.timers.contains_key(k) {
            names.push(k);
        }
    }
    for name in names {
        let stats = s.timers.get(name).cloned().unwrap_or_default();
        let errors = s.timer_errors.get(name).copied().unwrap_or(0);
        insert_timer(tx, id, name, timer_kind(s, name), &stats, Some(errors))?;
    }
    insert_timer(tx, id, ITERATION, "iteration", &s.iteration, None)?;

    for row in &s.all_intervals {
        insert_interval(tx, id, ALL_TRANSACTIONS, "all", row)?;
    }
    for (name, rows) in &s.intervals {
        for row in rows {
            insert_interval(tx, id, name, timer_kind(s, name), row)?;
        }
    }

    for c in &s.verdict.checks {
        tx.prepare_cached(
            "INSERT INTO checks (run_id, name, target, achieved, pass) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![id, c.name, c.target, c.achieved, c.pass])?;
    }

    let samples = write_samples(tx, id, r, options.sample_limit)?;
    let count = match samples {
        SamplesStored::Stored(n) => n,
        SamplesStored::Off | SamplesStored::OverLimit { .. } => 0,
    };
    tx.execute(
        "UPDATE runs SET samples_status = ?1, samples_count = ?2 WHERE id = ?3",
        params![samples.status(), int(count), id],
    )?;
    Ok(Saved {
        run_id: id,
        samples,
    })
}

/// A failure reading samples.csv, as an error of the save (which then
/// keeps nothing of the run).
fn unreadable(what: String) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
        Some(format!("samples.csv: {what}")),
    )
}

/// The `samples.kind` of a row users query; `None` for the others (user
/// starts and stops, dropped, skipped and missed starts, retirements),
/// which stay in samples.csv only.
fn sample_kind(k: Kind) -> Option<&'static str> {
    match k {
        Kind::Step => Some("step"),
        Kind::Timer => Some("custom"),
        Kind::Iteration => Some("iteration"),
        Kind::Dropped
        | Kind::Skipped
        | Kind::UserStart
        | Kind::UserStop
        | Kind::Retired
        | Kind::Missed => None,
    }
}

/// Streams the run's samples from samples.csv into `samples`, [`BATCH`]
/// rows per prepared statement, inside the save's transaction (SQLite
/// commits them at once, so a row costs an insert, not a sync); memory
/// stays at one batch whatever the run's size. Past `limit` rows, everything written here is rolled
/// back (a savepoint) and none is kept: the table holds all of a run's
/// samples or none, never a silent part of them.
fn write_samples(
    tx: &rusqlite::Transaction,
    run_id: i64,
    r: &Results,
    limit: u64,
) -> rusqlite::Result<SamplesStored> {
    if limit == 0 {
        return Ok(SamplesStored::Off);
    }
    let s = &r.summary;
    // A custom timer named like a transaction is reported (and kept in
    // `timers`) as `NAME (custom timer)`: the same name here, so the two
    // tables join.
    let custom_name = |name: &str| -> String {
        if !s.custom_timers.iter().any(|c| c == name)
            && s.custom_timers.iter().any(|c| {
                c.strip_suffix(" (custom timer)")
                    .is_some_and(|base| base == name)
            })
        {
            format!("{name} (custom timer)")
        } else {
            name.to_string()
        }
    };
    let rows = r.samples().map_err(|e| unreadable(e.to_string()))?;
    tx.execute_batch("SAVEPOINT samples")?;
    let mut batch: Vec<SampleRow> = Vec::with_capacity(BATCH);
    let mut n = 0u64;
    let mut over = false;
    for row in rows {
        let row: Sample = row.map_err(unreadable)?;
        let Some(kind) = sample_kind(row.kind) else {
            continue;
        };
        if n == limit {
            over = true;
            break;
        }
        let timer = if row.kind == Kind::Timer {
            custom_name(&row.name)
        } else {
            row.name.to_string()
        };
        batch.push(SampleRow {
            sample: row,
            timer,
            kind,
        });
        if batch.len() == BATCH {
            insert_samples(tx, run_id, &batch)?;
            batch.clear();
        }
        n += 1;
    }
    if over {
        tx.execute_batch("ROLLBACK TO samples; RELEASE samples")?;
        return Ok(SamplesStored::OverLimit { limit });
    }
    if !batch.is_empty() {
        insert_samples(tx, run_id, &batch)?;
    }
    tx.execute_batch("RELEASE samples")?;
    Ok(SamplesStored::Stored(n))
}

/// Sample rows per INSERT statement: binding a batch at once costs a
/// fraction of one statement per row (12 parameters a row, far under
/// SQLite's limit of 32766), and bounds what is held in memory.
const BATCH: usize = 100;

/// One row of `samples` waiting in a batch.
struct SampleRow {
    sample: Sample,
    /// The timer's name as `timers` has it.
    timer: String,
    /// `samples.kind`.
    kind: &'static str,
}

/// Inserts `rows` with one statement (prepared once per batch size: the
/// full batches share one).
fn insert_samples(
    tx: &rusqlite::Transaction,
    run_id: i64,
    rows: &[SampleRow],
) -> rusqlite::Result<()> {
    let values = vec!["(?,?,?,?,?,?,?,?,?,?,?,?)"; rows.len()].join(",");
    let mut stmt = tx.prepare_cached(&format!(
        "INSERT INTO samples (run_id, t, group_name, timer, kind, user, iteration, latency, ok, \
         status, error_kind, error) VALUES {values}"
    ))?;
    for (i, row) in rows.iter().enumerate() {
        let s = &row.sample;
        let at = i * 12;
        stmt.raw_bind_parameter(at + 1, run_id)?;
        stmt.raw_bind_parameter(at + 2, real(s.t).unwrap_or(0.0))?;
        stmt.raw_bind_parameter(at + 3, &*s.group)?;
        stmt.raw_bind_parameter(at + 4, row.timer.as_str())?;
        stmt.raw_bind_parameter(at + 5, row.kind)?;
        stmt.raw_bind_parameter(at + 6, s.user)?;
        stmt.raw_bind_parameter(at + 7, int(s.iteration))?;
        stmt.raw_bind_parameter(at + 8, real(s.latency).unwrap_or(0.0))?;
        stmt.raw_bind_parameter(at + 9, s.ok)?;
        stmt.raw_bind_parameter(at + 10, s.status)?;
        stmt.raw_bind_parameter(at + 11, s.error_kind.map(|k| k.name()))?;
        stmt.raw_bind_parameter(at + 12, (!s.error.is_empty()).then_some(s.error.as_str()))?;
    }
    stmt.raw_execute()?;
    Ok(())
}

/// A plan enum as plan files write it (`after-end`, `catch-up`).
fn kebab<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// `custom` for a script's custom timer, `step` for a transaction's timer.
fn timer_kind(s: &crate::results::summary::Summary, name: &str) -> &'static str {
    if s.custom_timers.iter().any(|c| c == name) {
        "custom"
    } else {
        "step"
    }
}

/// One stair's rows: replaces a stair stored before from the same folder
/// and start (`pace` never does so today; a re-import would).
pub(super) fn write_stair(
    tx: &rusqlite::Transaction,
    st: &crate::store::StairRecord,
) -> rusqlite::Result<i64> {
    let dir = results_dir(&st.dir);
    let t = st.table;
    tx.execute(
        "DELETE FROM stairs WHERE results_dir = ?1 AND started_at = ?2",
        params![dir, st.started_at],
    )?;
    tx.execute(
        "INSERT INTO stairs (results_dir, started_at, plan_name, model, hold_s, ramp_s, verdict, \
         stopped_level, stopped_rule, stopped_why, not_run, knee_n, knee_x_per_s, knee_note) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        params![
            dir,
            st.started_at,
            st.plan_name,
            t.model,
            t.hold_s,
            t.ramp_s,
            st.verdict,
            t.stopped.as_ref().map(|s| s.level as i64),
            t.stopped.as_ref().map(|s| s.rule.as_str()),
            t.stopped.as_ref().map(|s| s.why.as_str()),
            json(&t.not_run),
            t.knee.map(|k| k.n),
            t.knee.map(|k| k.x_per_s),
            t.knee_note,
        ],
    )?;
    let id = tx.last_insert_rowid();
    for (row, run_id) in t.levels.iter().zip(st.run_ids.iter()) {
        tx.execute(
            "INSERT INTO stair_levels (stair_id, level, run_id, users, rate_per_s, n, x_per_s, \
             expected_per_s, r_avg_s, r_p50_s, r_p95_s, r_p99_s, transactions, errors, \
             error_rate, late_starts, pass, reasons) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
            params![
                id,
                row.level as i64,
                run_id,
                row.users.map(int),
                row.rate_per_s,
                real(row.n),
                real(row.x_per_s),
                row.expected_per_s.and_then(real),
                real(row.r_avg_s),
                real(row.r_p50_s),
                real(row.r_p95_s),
                real(row.r_p99_s),
                int(row.transactions),
                int(row.errors),
                real(row.error_rate),
                int(row.late_starts),
                row.pass,
                json(&row.reasons),
            ],
        )?;
    }
    Ok(id)
}

/// JSON text of a value for a TEXT column.
fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}
