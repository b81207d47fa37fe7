//! `pace k8s PLAN --shards N`: Kubernetes manifests for a sharded run.

use super::exit;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct K8sArgs {
    /// The plan file.
    plan: PathBuf,
    /// How many shards (pods) to split the plan into.
    #[arg(long)]
    shards: u32,
}

pub fn run(a: K8sArgs) -> i32 {
    let _ = a;
    eprintln!("error: pace k8s is not built yet");
    exit::BAD_INPUT
}
