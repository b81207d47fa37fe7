//! The SQLite backend of the results database (docs/database.md): one file,
//! created with its schema on first use, versioned with `PRAGMA
//! user_version` and migrated in place when an older pace made it
//! (migrate.rs), written in WAL mode with a busy timeout so that runs
//! finishing at the same time wait for each other instead of failing.

mod migrate;
mod write;

use super::{HistoryRow, ResultsStore, SaveOptions, Saved, StairRecord, StoreError};
use crate::results::Results;
pub use migrate::SCHEMA_VERSION;
use migrate::{Found, inspect};
use rusqlite::{Connection, OpenFlags, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::time::Duration;
use write::{int, write_run, write_stair};

/// How long a writer waits for another one to finish.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The timer name of the row for all transactions together (`kind = 'all'`).
pub const ALL_TRANSACTIONS: &str = "All Transactions";
/// The timer name of the row for whole iterations (`kind = 'iteration'`).
pub const ITERATION: &str = "Iteration";

/// The file a connection string names: `sqlite:///relative.db` (relative to
/// the current directory, as SQLAlchemy reads it), `sqlite:////abs.db`, or a
/// plain path. Other schemes are refused by name, without echoing the rest
/// of the string (it may hold a password).
pub fn db_path(url: &str) -> Result<PathBuf, StoreError> {
    let url = url.trim();
    if url.is_empty() {
        return Err(StoreError::Url(
            "empty results database: give a file path or sqlite:///results.db".into(),
        ));
    }
    let Some((scheme, rest)) = split_scheme(url) else {
        return Ok(PathBuf::from(url));
    };
    // SQLAlchemy's dialect+driver form: sqlite+pysqlite:///x.db.
    let dialect = scheme.split('+').next().unwrap_or(scheme);
    if !dialect.eq_ignore_ascii_case("sqlite") {
        return Err(StoreError::Url(format!(
            "{scheme}:// databases are not supported: only SQLite is built in \
             (use sqlite:///results.db or a file path)"
        )));
    }
    // After "sqlite://" comes the host (always empty) and then "/path".
    let Some(path) = rest.strip_prefix('/') else {
        return Err(StoreError::Url(
            "sqlite URLs have three slashes before a relative path (sqlite:///results.db) \
             and four before an absolute one (sqlite:////var/pace/results.db)"
                .into(),
        ));
    };
    if path.is_empty() || path == ":memory:" {
        return Err(StoreError::Url(
            "an in-memory SQLite database keeps nothing: name a file, as in sqlite:///results.db"
                .into(),
        ));
    }
    Ok(PathBuf::from(path))
}

/// `("scheme", "after://")` when `url` starts with a URL scheme.
fn split_scheme(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    let valid = first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some((scheme, rest))
}

/// An open results database: a SQLite file at [`SCHEMA_VERSION`] (or, when
/// opened for reading only, an empty file without tables).
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    /// False for a database without pace's tables (an empty file opened
    /// for reading): it holds no runs.
    has_schema: bool,
}

fn backend(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |e| StoreError::Backend(format!("{}: {}", path.display(), reason(&e)))
}

/// SQLite's reason in one line: a syntax error's message without the
/// (multi-line) statement rusqlite appends to it.
fn reason(e: &rusqlite::Error) -> String {
    let text = match e {
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        other => other.to_string(),
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The error for a file of a newer pace: one line, and the file is left as
/// it was.
fn newer(path: &Path, version: i64) -> StoreError {
    StoreError::Backend(format!(
        "{}: written by a newer pace (schema version {version}; this pace knows up to \
         {SCHEMA_VERSION}): left unchanged; use a newer pace or another database",
        path.display()
    ))
}

fn foreign(path: &Path) -> StoreError {
    StoreError::Backend(format!(
        "{}: not a pace results database (it has other tables)",
        path.display()
    ))
}

/// Brings the database at `conn` to [`SCHEMA_VERSION`]: creates the schema
/// in an empty file when `create`, migrates an older one in place, refuses
/// a newer one or another application's. Returns whether the file has
/// pace's schema (false only for an empty file with `create` off).
///
/// Nothing is written unless there is something to do, and then in one
/// immediate transaction: a database of a newer pace stays byte for byte
/// as it was, and two paces upgrading one file at once wait for each other
/// (busy timeout) instead of both migrating.
fn prepare(conn: &mut Connection, path: &Path, create: bool) -> Result<bool, StoreError> {
    let err = backend(path);
    // A first look without a write lock: the common case (already current)
    // and the refusals take none. One read transaction, so that its reads
    // (the version, then the tables) see one state of the file, never a
    // version read before another pace's migration and tables after it.
    let first = {
        let read = conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(&err)?;
        inspect(&read).map_err(&err)?
    };
    match first {
        Found::At(SCHEMA_VERSION) => return Ok(true),
        Found::At(v) if v > SCHEMA_VERSION => return Err(newer(path, v)),
        Found::Foreign => return Err(foreign(path)),
        Found::Empty if !create => return Ok(false),
        Found::At(_) | Found::Empty => {}
    }
    // Foreign keys cannot be switched inside a transaction, and a table
    // rebuild drops a table that rows refer to: off while migrating, then
    // checked by `migrate` before the commit.
    conn.pragma_update(None, "foreign_keys", false)
        .map_err(&err)?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(&err)?;
    // Look again under the lock: another pace may have created or migrated
    // the file meanwhile.
    let from = match inspect(&tx).map_err(&err)? {
        Found::At(SCHEMA_VERSION) => return Ok(true),
        Found::At(v) if v > SCHEMA_VERSION => return Err(newer(path, v)),
        Found::Foreign => return Err(foreign(path)),
        Found::Empty if !create => return Ok(false),
        Found::Empty => {
            tx.execute_batch(migrate::V1).map_err(&err)?;
            1
        }
        Found::At(v) => v,
    };
    migrate::migrate(&tx, from).map_err(|f| {
        StoreError::Backend(format!(
            "{}: could not migrate the schema from version {} to {} ({}): {}; \
             the database is left as it was",
            path.display(),
            f.from,
            f.to,
            f.what,
            reason(&f.error)
        ))
    })?;
    tx.commit().map_err(&err)?;
    Ok(true)
}

impl SqliteStore {
    /// Opens (creating the file and schema on first use, migrating an older
    /// schema in place) the database a connection string names.
    pub fn open_url(url: &str) -> Result<SqliteStore, StoreError> {
        SqliteStore::open(&db_path(url)?)
    }

    /// Opens an existing database for reading; never creates one. An older
    /// schema is migrated in place, as by [`SqliteStore::open`]; an empty
    /// file holds no runs. Errors: [`StoreError::Missing`] when the file
    /// does not exist, [`StoreError::Backend`] for a newer pace's file,
    /// another application's or an unreadable one.
    pub fn open_existing(url: &str) -> Result<SqliteStore, StoreError> {
        let path = db_path(url)?;
        if !path.is_file() {
            return Err(StoreError::Missing(format!(
                "{}: no such results database",
                path.display()
            )));
        }
        // Read-write without create: reading a WAL database may need its
        // shared-memory file, and nothing is created if the file is gone.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(&path, flags).map_err(backend(&path))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(backend(&path))?;
        let has_schema = prepare(&mut conn, &path, false)?;
        Ok(SqliteStore {
            conn,
            path,
            has_schema,
        })
    }

    /// Opens `path`, creating the file and the schema when missing and
    /// migrating an older schema in place. Its folder must exist. Errors
    /// ([`StoreError::Url`] for a missing folder, else
    /// [`StoreError::Backend`]) are one line naming the file.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
            && !parent.is_dir()
        {
            return Err(StoreError::Url(format!(
                "{}: the folder {} does not exist",
                path.display(),
                parent.display()
            )));
        }
        let mut conn = Connection::open(path).map_err(backend(path))?;
        // Set before anything else, so every statement below (the version
        // check too) waits for another writer rather than failing at once.
        conn.busy_timeout(BUSY_TIMEOUT).map_err(backend(path))?;
        prepare(&mut conn, path, true)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(backend(path))?;
        // WAL lets `pace history` read while a run writes; it is kept in
        // the file. Where it cannot be had (some network file systems) the
        // default journal with the busy timeout still serialises writers.
        let _: Result<String, _> = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0));
        Ok(SqliteStore {
            conn,
            path: path.to_path_buf(),
            has_schema: true,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The underlying connection, for queries the trait does not offer.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        backend(&self.path)
    }
}

impl ResultsStore for SqliteStore {
    /// Errors: any failure, as one line naming the file: no schema (an
    /// empty file opened for reading), a schema changed by another pace
    /// since the open, a constraint or I/O error, samples.csv missing or
    /// holding a row that does not parse. Nothing of the run is kept then.
    fn save_with(&mut self, results: &Results, options: SaveOptions) -> Result<Saved, StoreError> {
        let path = self.path.clone();
        let err = backend(&path);
        if !self.has_schema {
            return Err(StoreError::Backend(format!(
                "{}: has no pace schema (opened for reading)",
                path.display()
            )));
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        // A newer pace may have migrated the file since it was opened;
        // under the write lock the version is certain.
        let version = migrate::user_version(&tx).map_err(&err)?;
        if version != SCHEMA_VERSION {
            return Err(if version > SCHEMA_VERSION {
                newer(&path, version)
            } else {
                StoreError::Backend(format!(
                    "{}: schema version {version} where {SCHEMA_VERSION} was expected",
                    path.display()
                ))
            });
        }
        let saved = write_run(&tx, results, options).map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(saved)
    }

    fn save_stair(&mut self, stair: &StairRecord) -> Result<i64, StoreError> {
        let path = self.path.clone();
        let err = backend(&path);
        if !self.has_schema {
            return Err(StoreError::Backend(format!(
                "{}: has no pace schema (opened for reading)",
                path.display()
            )));
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        let version = migrate::user_version(&tx).map_err(&err)?;
        if version != SCHEMA_VERSION {
            return Err(StoreError::Backend(format!(
                "{}: schema version {version} where {SCHEMA_VERSION} was expected",
                path.display()
            )));
        }
        let id = write_stair(&tx, stair).map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(id)
    }

    fn history_of(&self, limit: usize, plan: Option<&str>) -> Result<Vec<HistoryRow>, StoreError> {
        if !self.has_schema {
            return Ok(Vec::new());
        }
        let limit = if limit == 0 { -1 } else { int(limit as u64) };
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, started_at, plan_name, target_tpm, achieved_tpm, p95, errors, \
                 all_transactions, pass, partial, results_dir, verdict, \
                 whole_run_transactions \
                 FROM runs WHERE ?1 IS NULL OR plan_name = ?1 \
                 ORDER BY started_epoch_ms DESC, id DESC LIMIT ?2",
            )
            .map_err(self.err())?;
        let rows = stmt
            .query_map(params![plan, limit], |r| {
                Ok(HistoryRow {
                    run_id: r.get(0)?,
                    started_at: r.get(1)?,
                    plan_name: r.get(2)?,
                    target_tpm: r.get(3)?,
                    achieved_tpm: r.get(4)?,
                    p95: r.get(5)?,
                    errors: r.get::<_, i64>(6)?.max(0) as u64,
                    all_transactions: r.get::<_, i64>(7)?.max(0) as u64,
                    whole_run_transactions: r.get::<_, i64>(12)?.max(0) as u64,
                    pass: r.get(8)?,
                    partial: r.get(9)?,
                    results_dir: r.get(10)?,
                    verdict: r.get(11)?,
                })
            })
            .map_err(self.err())?;
        rows.collect::<Result<Vec<_>, _>>().map_err(self.err())
    }
}

#[cfg(test)]
mod tests;
