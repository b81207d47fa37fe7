//! `pace merge SHARD_DIR... -o RESULTS_DIR`: the shards of one plan into
//! one results folder, judged once.

use super::exit;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' results folders (or one folder holding them).
    #[arg(required = true)]
    shards: Vec<PathBuf>,
    /// The merged results folder to write.
    #[arg(long, short)]
    output: PathBuf,
}

pub fn run(a: MergeArgs) -> i32 {
    let _ = a;
    eprintln!("error: pace merge is not built yet");
    exit::BAD_INPUT
}
