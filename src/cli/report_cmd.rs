//! `pace report RESULTS_DIR`: rebuild every report from the raw samples.

use super::exit;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A results folder written by `pace run`.
    results: PathBuf,
}

pub fn run(_a: ReportArgs) -> i32 {
    exit::BAD_INPUT
}
