//! The results database (Pyak47's `results_database`): every run's summary,
//! groups, timers and interval rows, so runs accumulate and can be compared
//! with SQL. Storage sits behind [`ResultsStore`] so another backend
//! (PostgreSQL) can be added beside SQLite without touching its callers.
//!
//! Error messages are one line without an `error:` prefix: callers add the
//! prefix and what they were doing. They never repeat a connection string,
//! which may hold a password.

pub mod sqlite;

use crate::results::Results;
use serde::Serialize;

/// Why the results database could not be opened, read or written. Every
/// message is one line naming the file (or the refused scheme).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The connection string cannot be used (names what is wrong).
    #[error("{0}")]
    Url(String),
    /// The database file does not exist (only when opening without creating).
    #[error("{0}")]
    Missing(String),
    /// Anything else: the database refused, failed or could not be
    /// migrated (a newer pace's file, another application's, a failed
    /// upgrade, a constraint, I/O). Nothing of the failed operation is kept.
    #[error("{0}")]
    Backend(String),
}

/// How many raw samples a run may have and still have them stored in the
/// `samples` table, unless the plan's `run.results_database_samples` says
/// otherwise: a million rows (a 3-hour run at 100 transactions a second)
/// took 3.2 to 5.4 s and 67 MB to store (docs/database.md, "Raw samples").
pub const DEFAULT_SAMPLE_LIMIT: u64 = 1_000_000;

/// How a run is stored besides its summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaveOptions {
    /// The most sample rows (transactions, custom timer values, iterations)
    /// a run may have for them to be stored; a run with more stores none of
    /// them, and says so ([`SamplesStored::OverLimit`]). 0 stores none.
    pub sample_limit: u64,
}

impl Default for SaveOptions {
    fn default() -> Self {
        SaveOptions {
            sample_limit: DEFAULT_SAMPLE_LIMIT,
        }
    }
}

/// What became of a run's raw samples (`runs.samples_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SamplesStored {
    /// Every sample of the stored kinds is in `samples`: this many rows.
    Stored(u64),
    /// The limit was 0: none stored, by choice.
    Off,
    /// The run had more than `limit` samples: none stored.
    OverLimit { limit: u64 },
}

impl SamplesStored {
    /// The word in `runs.samples_status`.
    pub fn status(self) -> &'static str {
        match self {
            SamplesStored::Stored(_) => "stored",
            SamplesStored::Off => "off",
            SamplesStored::OverLimit { .. } => "over_limit",
        }
    }
}

/// A stored run: its id and what became of its samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    pub run_id: i64,
    pub samples: SamplesStored,
}

/// One line of `pace history`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryRow {
    pub run_id: i64,
    pub started_at: String,
    pub plan_name: String,
    /// The planned throughput, where the plan sets one.
    pub target_tpm: Option<f64>,
    pub achieved_tpm: f64,
    /// All transactions' p95 in seconds; none without a successful one.
    pub p95: Option<f64>,
    /// Failed transactions, whole run (`runs.errors`, summary.json's
    /// `whole_run.errors`).
    pub errors: u64,
    /// Every transaction of the run, ok or not: the errors' denominator
    /// (`runs.all_transactions`, summary.json's `achieved.all_transactions`).
    /// Not named `transactions`, which in `runs` and summary.json means
    /// the window's successful transactions.
    pub all_transactions: u64,
    /// Successful transactions, whole run (`runs.whole_run_transactions`,
    /// summary.json's `whole_run.transactions`).
    pub whole_run_transactions: u64,
    pub pass: bool,
    pub partial: bool,
    pub results_dir: String,
    /// The verdict's state: pass, fail, no_checks or incomplete.
    pub verdict: String,
}

/// A stair test to store: its folder, start, plan name, verdict state and
/// per-level table, and each level's run id (`None` where the level's run
/// could not be stored).
pub struct StairRecord<'a> {
    pub dir: std::path::PathBuf,
    pub started_at: String,
    pub plan_name: String,
    /// pass, fail, no_checks or incomplete.
    pub verdict: String,
    pub table: &'a crate::results::stairs::StairTable,
    pub run_ids: Vec<Option<i64>>,
}

/// A results database backend (docs/database.md, "Adding a PostgreSQL
/// backend").
pub trait ResultsStore {
    /// Stores one run; saving the same run (same results folder and start)
    /// again replaces its rows. Returns the run's id. Any failure is an
    /// error, and then nothing of the run is stored.
    fn save(&mut self, results: &Results) -> Result<i64, StoreError> {
        self.save_with(results, SaveOptions::default())
            .map(|s| s.run_id)
    }
    /// [`ResultsStore::save`], with its raw samples streamed from
    /// samples.csv into the `samples` table as `options` say, in the same
    /// transaction: the run is stored with its samples or not at all.
    fn save_with(&mut self, results: &Results, options: SaveOptions) -> Result<Saved, StoreError>;
    /// Stores a stair test's table (its levels' runs are stored each with
    /// [`ResultsStore::save_with`]); returns the stair's id.
    fn save_stair(&mut self, stair: &StairRecord) -> Result<i64, StoreError>;
    /// Runs, newest first, at most `limit` (0: all), only those of the plan
    /// named `plan` when given.
    fn history_of(&self, limit: usize, plan: Option<&str>) -> Result<Vec<HistoryRow>, StoreError>;
    /// Runs, newest first, at most `limit` (0: all).
    fn history(&self, limit: usize) -> Result<Vec<HistoryRow>, StoreError> {
        self.history_of(limit, None)
    }
}

/// Opens a store from a connection string: `sqlite:///relative.db`,
/// `sqlite:////absolute.db` (SQLAlchemy's forms, as Pyak47 wrote them) or a
/// plain file path. The database and its schema are created on first use;
/// an older schema is migrated in place, a newer pace's is refused.
pub fn open(url: &str) -> Result<Box<dyn ResultsStore>, StoreError> {
    sqlite::SqliteStore::open_url(url).map(|s| Box::new(s) as Box<dyn ResultsStore>)
}

/// Opens an existing store for reading; a missing database is
/// [`StoreError::Missing`] and nothing is created. An older schema is
/// migrated in place (as by [`open`]), a newer pace's is refused.
pub fn open_existing(url: &str) -> Result<Box<dyn ResultsStore>, StoreError> {
    sqlite::SqliteStore::open_existing(url).map(|s| Box::new(s) as Box<dyn ResultsStore>)
}
