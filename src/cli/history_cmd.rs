//! PLACEHOLDER: `pace history` (being written by a helper in this session)

use super::exit;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The results database: a file path or `sqlite:///results.db`.
    #[arg(long)]
    db: PathBuf,
}

pub fn run(_a: HistoryArgs) -> i32 {
    exit::BAD_INPUT
}
