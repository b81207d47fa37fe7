//! Kubernetes manifests for a sharded run (`pace k8s`): a ConfigMap with
//! the plan and its scripts, and an Indexed Job whose pod I runs shard I of
//! N (`pace run --shards N`, the index from `JOB_COMPLETION_INDEX`), all
//! starting at one absolute time (`PACE_START_AT`). Pure: the caller reads
//! the files and the clock, and writes the YAML.
//!
//! The Job's settings and why (reference "Scale-out facts" C4 and F):
//! `completions = parallelism = N` (fewer pods at a time would run shards
//! in waves), `backoffLimit: 0` and `restartPolicy: Never` (a replaced pod
//! re-runs its shard and double-counts its share), `activeDeadlineSeconds`
//! so that a stuck shard ends, and optionally a required pod anti-affinity
//! over `kubernetes.io/hostname` (k6-operator's `separate`).

pub mod checks;
pub mod files;
mod job;
pub mod sizing;
pub mod yaml;

pub use checks::{POD_VARS, check_vars};
pub use files::{PlanFiles, ScriptFile, plan_files};
pub use sizing::{ShardSize, shard_size};

use crate::plan::file::PlanFile;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::collections::BTreeMap;

/// The image a manifest names unless `--image` says otherwise: what
/// `podman build -t pace:latest .` (the Containerfile) makes.
pub const DEFAULT_IMAGE: &str = "pace:latest";
/// Where a pod mounts the ConfigMap (the plan is `/plan/plan.toml`).
pub const PLAN_DIR: &str = "/plan";
/// Where a pod writes its results folder (an emptyDir or the claim).
pub const RESULTS_DIR: &str = "/results";
/// The most shards one Indexed Job holds (the API refuses more
/// completions).
pub const MAX_SHARDS: u64 = 100_000;
/// The longest `--name`: the run label (`NAME-YYYYMMDDtHHMMSSz`) must fit
/// a label value's 63 characters.
pub const MAX_NAME: usize = 40;
/// Added to the Job's deadline past the run's end: writing the reports,
/// and the clocks of the nodes.
pub const DEADLINE_MARGIN_S: f64 = 120.0;

/// What `pace k8s` was asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub shards: u64,
    pub image: String,
    /// The absolute start, RFC 3339 in UTC (`PACE_START_AT`).
    pub start_at: String,
    /// Seconds from now to `start_at` (for the deadline).
    pub start_in: f64,
    pub namespace: Option<String>,
    /// The ConfigMap's and the Job's name (a DNS label).
    pub name: String,
    /// The run label's value: the name and the start time.
    pub run: String,
    /// One shard per node (required pod anti-affinity).
    pub spread: bool,
    /// A PersistentVolumeClaim mounted at /results instead of an emptyDir.
    pub results_pvc: Option<String>,
    /// Seconds a pod stays up after its shard ends, so that `kubectl cp`
    /// can fetch an emptyDir's results (0: exit at once).
    pub collect_for: f64,
    /// Extra environment of the pods (a plan's `${VAR}`s).
    pub env: Vec<(String, String)>,
    /// The seed every shard runs with (`pace run --seed`): `pace merge`
    /// refuses shards whose seeds differ.
    pub seed: u64,
}

/// The objects of one sharded run, in the order to apply them.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub config_map: ConfigMap,
    pub job: k8s_openapi::api::batch::v1::Job,
    /// What the heaviest shard runs and asks for.
    pub size: ShardSize,
    /// The Job's `activeDeadlineSeconds`.
    pub deadline_s: i64,
}

impl Manifest {
    /// Both objects as one multi-document YAML, every string quoted so
    /// that YAML 1.1 readers such as kubectl take it as written
    /// ([`yaml`]).
    pub fn to_yaml(&self) -> Result<String, String> {
        let cm = yaml::to_yaml(&self.config_map)?;
        let job = yaml::to_yaml(&self.job)?;
        Ok(format!("---\n{cm}---\n{job}"))
    }
}

/// Where shard `index`'s results folder is made, in the pod (and on a
/// shared claim): `/results/RUN/shard-I/`.
pub fn shard_results_dir(run: &str, index: &str) -> String {
    format!("{RESULTS_DIR}/{run}/shard-{index}")
}

/// Checks a DNS label (RFC 1123): what names and namespaces must be.
/// `flag` names the option in the error.
pub fn check_dns_label(flag: &str, value: &str, max: usize) -> Result<(), String> {
    let ok = !value.is_empty()
        && value.len() <= max
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !value.starts_with('-')
        && !value.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "error: {flag} {}: must be a DNS label: 1 to {max} characters of a-z, 0-9 and -, starting and ending with a letter or digit",
            crate::visible::quoted(value)
        ))
    }
}

/// Checks a DNS subdomain (RFC 1123): dot-separated DNS labels, at most
/// 253 characters, what a PersistentVolumeClaim's name must be.
pub fn check_dns_subdomain(flag: &str, value: &str) -> Result<(), String> {
    let ok = value.len() <= 253
        && value
            .split('.')
            .all(|part| check_dns_label(flag, part, 63).is_ok());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "error: {flag} {value:?}: must be a DNS subdomain: labels of a-z, 0-9 and - joined by dots, at most 253 characters"
        ))
    }
}

/// The default `--name`: `pace-` and the plan file's name, as a DNS label.
pub fn default_name(plan_stem: &str) -> String {
    let mut s = String::from("pace-");
    for c in plan_stem.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            s.push(c);
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    s.truncate(MAX_NAME);
    let s = s.trim_end_matches('-');
    if s == "pace" { "pace".into() } else { s.into() }
}

/// How long the whole run lasts, seconds: each stair level or the one run,
/// with its grace.
pub fn run_seconds(plan: &PlanFile) -> f64 {
    let levels = plan
        .run
        .stairs
        .as_ref()
        .map_or(1, |s| s.levels().len().max(1));
    levels as f64 * (plan.run.duration.0 + plan.run.grace.0)
}

/// The labels every object and pod of the run carries.
pub fn labels(run: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_string(), "pace".to_string()),
        ("app.kubernetes.io/instance".to_string(), run.to_string()),
    ])
}

/// The manifest of `plan` (its text byte for byte, its scripts) split
/// into `o.shards` shards. Errors (one line): the files do not fit a
/// ConfigMap, a script lies outside the plan's folder.
pub fn manifest(
    plan: &PlanFile,
    plan_text: &str,
    scripts: &[ScriptFile],
    o: &Options,
) -> Result<Manifest, String> {
    let files = plan_files(plan_text, scripts).map_err(|e| format!("error: {e}"))?;
    let size = shard_size(plan, o.shards);
    let deadline_s =
        (o.start_in + run_seconds(plan) + o.collect_for + DEADLINE_MARGIN_S).ceil() as i64;
    let config_map = ConfigMap {
        metadata: metadata(o),
        data: Some(files.data.clone()),
        ..Default::default()
    };
    let job = job::job(o, &files, &size, deadline_s);
    Ok(Manifest {
        config_map,
        job,
        size,
        deadline_s,
    })
}

fn metadata(o: &Options) -> ObjectMeta {
    ObjectMeta {
        name: Some(o.name.clone()),
        namespace: o.namespace.clone(),
        labels: Some(labels(&o.run)),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_are_dns_labels() {
        assert_eq!(default_name("plan"), "pace-plan");
        assert_eq!(default_name("My Plan_v2"), "pace-my-plan-v2");
        assert_eq!(default_name("___"), "pace");
        let long = default_name(&"x".repeat(100));
        assert_eq!(long.len(), MAX_NAME);
        for n in ["pace-plan", "pace-my-plan-v2", "pace", &long] {
            check_dns_label("--name", n, MAX_NAME).unwrap();
        }
    }

    #[test]
    fn bad_labels_name_the_flag() {
        for v in ["", "-a", "a-", "A", "a_b", &"a".repeat(64)] {
            let e = check_dns_label("--namespace", v, 63).unwrap_err();
            assert!(e.starts_with("error: --namespace "), "{e}");
        }
    }
}
