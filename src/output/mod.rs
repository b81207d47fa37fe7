//! What people and machines see: tables, JSON, progress.

pub mod capacity;
pub mod model_table;
pub mod plan_json;
pub mod plan_table;
