//! Schema versions and the migrations between them (docs/database.md,
//! "Schema versions").
//!
//! A database's version is its `PRAGMA user_version`. Version 1 is
//! `schema_v1.sql`, the schema pace first shipped, frozen: it is never
//! edited, since databases in the field were made from it. Every later
//! version is one entry of [`MIGRATIONS`]. A new database is made the same
//! way an old one is upgraded (version 1, then every migration in order),
//! so a new file and an upgraded one cannot differ.
//!
//! To change the schema (say, add a column): write
//! `migrations/vN_what.sql` with the statements (`ALTER TABLE runs ADD
//! COLUMN ...`; to change a constraint, rebuild the table as
//! `v2_custom_kind.sql` does), add a [`Migration`] with `version: N` at the
//! end of [`MIGRATIONS`], and write the new column in `write.rs`.
//! [`SCHEMA_VERSION`] follows by itself.

use rusqlite::{Connection, Transaction};

/// One step of the schema, from `version - 1` to `version`.
pub(super) struct Migration {
    /// The version the database has once this step is applied.
    pub version: i64,
    /// What the step changes, in a few words (named in error messages).
    pub what: &'static str,
    /// The statements, run as one batch inside the upgrade's transaction,
    /// with foreign key enforcement off (a table rebuild drops a table that
    /// rows may refer to); the keys are checked before the commit.
    pub sql: &'static str,
}

/// The schema of version 1, exactly as the first pace wrote it.
pub(super) const V1: &str = include_str!("schema_v1.sql");

/// Every migration after version 1, in order; versions are consecutive.
pub(super) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 2,
        what: "kind 'custom' in timers and intervals",
        sql: include_str!("migrations/v2_custom_kind.sql"),
    },
    Migration {
        version: 3,
        what: "runs.verdict, window_errors, achieved_scope, missed",
        sql: include_str!("migrations/v3_verdict_state.sql"),
    },
    Migration {
        version: 4,
        what: "samples table, groups.script, runs.whole_run_transactions and samples_*",
        sql: include_str!("migrations/v4_samples.sql"),
    },
    Migration {
        version: 5,
        what: "stairs and stair_levels tables (stair tests)",
        sql: include_str!("migrations/v5_stairs.sql"),
    },
];

// A misnumbered entry fails the build, not a user's database.
const _: () = {
    let mut i = 0;
    while i < MIGRATIONS.len() {
        assert!(
            MIGRATIONS[i].version == i as i64 + 2,
            "MIGRATIONS' versions must be 2, 3, 4, ... in order"
        );
        i += 1;
    }
};

/// The schema this build writes and reads (`PRAGMA user_version`): the last
/// migration's version.
pub const SCHEMA_VERSION: i64 = match MIGRATIONS.last() {
    Some(m) => m.version,
    None => 1,
};

/// What a database file holds, as far as its schema goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Found {
    /// No tables at all: a new (or empty) file.
    Empty,
    /// Tables of something else, and no version.
    Foreign,
    /// pace's schema at this version (possibly newer than this build's).
    At(i64),
}

pub(super) fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Reads a database's version without writing anything. A file without a
/// version but with version 1's tables and columns is taken as version 1:
/// it is pace's schema whose version was never recorded.
pub(super) fn inspect(conn: &Connection) -> rusqlite::Result<Found> {
    let version = user_version(conn)?;
    if version < 0 {
        // pace never writes one: another application's number.
        return Ok(Found::Foreign);
    }
    if version != 0 {
        return Ok(Found::At(version));
    }
    let objects: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
    if objects == 0 {
        Ok(Found::Empty)
    } else if has_v1_tables(conn)? {
        Ok(Found::At(1))
    } else {
        Ok(Found::Foreign)
    }
}

/// The columns of `table`, in order (none when there is no such table).
fn columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    conn.prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?
        .query_map([table], |r| r.get(0))?
        .collect()
}

/// Whether `conn` has every table of version 1 with exactly its columns
/// (compared against version 1 built in memory, so the check cannot drift
/// from `schema_v1.sql`). Other tables may be there too.
fn has_v1_tables(conn: &Connection) -> rusqlite::Result<bool> {
    let v1 = Connection::open_in_memory()?;
    v1.execute_batch(V1)?;
    let tables: Vec<String> = v1
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for t in &tables {
        if columns(conn, t)? != columns(&v1, t)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A migration that failed: the step and SQLite's error.
#[derive(Debug)]
pub(super) struct Failed {
    pub from: i64,
    pub to: i64,
    pub what: &'static str,
    pub error: rusqlite::Error,
}

/// Applies every migration after version `from` inside `tx`, recording each
/// version as it goes; the caller commits. The transaction makes the
/// upgrade all or nothing: on an error the caller drops it and the file is
/// left as it was.
pub(super) fn migrate(tx: &Transaction, from: i64) -> Result<(), Failed> {
    let check = |at: i64| {
        dangling(tx).map_err(|error| Failed {
            from,
            to: at,
            what: "checking foreign keys",
            error,
        })
    };
    // Rows of runs deleted with foreign keys off (the sqlite3 shell's
    // default) are kept as they are; a migration must add none.
    let before = check(from)?;
    let mut at = from;
    for m in MIGRATIONS.iter().filter(|m| m.version > from) {
        let step = |error| Failed {
            from: at,
            to: m.version,
            what: m.what,
            error,
        };
        tx.execute_batch(m.sql).map_err(step)?;
        tx.pragma_update(None, "user_version", m.version)
            .map_err(step)?;
        at = m.version;
    }
    let after = check(at)?;
    if after > before {
        return Err(Failed {
            from,
            to: at,
            what: "checking foreign keys",
            error: rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY),
                Some(format!(
                    "{} more row(s) refer to a missing run than before",
                    after - before
                )),
            ),
        });
    }
    Ok(())
}

/// Rows whose `run_id` names no run.
fn dangling(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
        r.get(0)
    })
}
