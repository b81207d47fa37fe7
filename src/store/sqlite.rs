//! PLACEHOLDER: SQLite backend (being written by a helper in this session)

use super::{HistoryRow, ResultsStore, StoreError};
use crate::results::Results;

pub struct SqliteStore;

impl SqliteStore {
    pub fn open_url(_url: &str) -> Result<SqliteStore, StoreError> {
        Err(StoreError::Url("not yet".into()))
    }
}

impl ResultsStore for SqliteStore {
    fn save(&mut self, _results: &Results) -> Result<i64, StoreError> {
        Err(StoreError::Backend("not yet".into()))
    }
    fn history(&self, _limit: usize) -> Result<Vec<HistoryRow>, StoreError> {
        Ok(Vec::new())
    }
}
