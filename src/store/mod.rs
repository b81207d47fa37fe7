//! The results database (Pyak47's `results_database`): every run's summary,
//! groups, timers and interval rows, so runs accumulate and can be compared
//! with SQL. Storage sits behind [`ResultsStore`] so another backend
//! (PostgreSQL) can be added beside SQLite without touching its callers.

pub mod sqlite;

use crate::results::Results;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The connection string cannot be used (names what is wrong).
    #[error("{0}")]
    Url(String),
    #[error("{0}")]
    Backend(String),
}

/// One line of `pace history`.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    pub run_id: i64,
    pub started_at: String,
    pub plan_name: String,
    pub target_tpm: Option<f64>,
    pub achieved_tpm: f64,
    pub p95: f64,
    pub errors: u64,
    pub transactions: u64,
    pub pass: bool,
    pub partial: bool,
    pub results_dir: String,
}

pub trait ResultsStore {
    /// Stores one run; saving the same run (same results folder and start)
    /// again replaces its rows. Returns the run's id.
    fn save(&mut self, results: &Results) -> Result<i64, StoreError>;
    /// Runs, newest first, at most `limit`.
    fn history(&self, limit: usize) -> Result<Vec<HistoryRow>, StoreError>;
}

/// Opens a store from a connection string: `sqlite:///relative.db`,
/// `sqlite:////absolute.db` (SQLAlchemy's forms, as Pyak47 wrote them) or a
/// plain file path.
pub fn open(url: &str) -> Result<Box<dyn ResultsStore>, StoreError> {
    sqlite::SqliteStore::open_url(url).map(|s| Box::new(s) as Box<dyn ResultsStore>)
}
