//! What `pace run` refuses before it sends anything, in one place: a run,
//! `pace run --check` (with `--shard`, `--var`) and `pace k8s` (for the
//! run each of its pods makes) call this same code, so that what `--check`
//! or `pace k8s` approves the run accepts, and what the run refuses they
//! refuse with the same line (exit 2).

use super::Sharding;
use super::shard_args;
use crate::plan::file::PlanFile;
use crate::plan::fit::Finding;
use crate::plan::overrides::Overrides;
use crate::runner::{self, RunConfig};
use std::path::{Path, PathBuf};

/// A run as its command line sets it up.
pub(in crate::cli) struct Setup<'a> {
    /// The plan as it will run (the overrides applied).
    pub plan: &'a PlanFile,
    /// The plan file, as the user named it.
    pub file: &'a Path,
    /// The plan file's text (a shard's seed may be derived from it).
    pub text: &'a str,
    /// The plan's folder: its scripts and test data are relative to it.
    pub plan_dir: &'a Path,
    /// The shard and the start instant.
    pub split: &'a Sharding,
    /// `--seed`.
    pub seed: Option<u64>,
    /// The `--var` values; for a pod of `pace k8s`, its `-e` values.
    pub vars: &'a [(String, String)],
    /// The run is a pod's ([`RunConfig::remote`]): `${VAR}` reads `vars`
    /// only, and the pod's Python and proxies are not asked here.
    pub remote: bool,
    /// What the plan file alone gives to [`PlanFile::fit`], to tell the
    /// overrides' findings from the file's.
    pub written_fit: &'a [Finding],
    /// The run's overrides, named in a finding they caused.
    pub overrides: Option<&'a Overrides>,
    /// `--check`: the fit's warnings go to stdout, not stderr.
    pub check: bool,
}

/// What a run that passed every check has learnt.
pub(in crate::cli) struct Approved {
    /// What the script groups execute and the proxies the requests take.
    pub preflight: runner::Preflight,
    /// The seed of the run; `None`: a whole run, which draws one from the
    /// clock as it starts.
    pub seed: Option<u64>,
}

/// Every check of the run before any traffic, in the run's order: a stair
/// plan split over shards or waiting for a start; [`PlanFile::fit`]
/// (warnings printed, the first error refuses); a shard with no part of
/// the plan ([`shard_args::useless`]); every step's URL, method and
/// headers with the variables put in, the test data, the scripts
/// ([`runner::preflight`]); and one seed for every shard of a split run.
/// `at(key)` says where a plan key is (`plan.toml:LINE`). Errors: the one
/// line to print, `error: ...`.
pub(in crate::cli) fn before_traffic(
    s: &Setup,
    at: &dyn Fn(&str) -> String,
) -> Result<Approved, String> {
    let plan = s.plan;
    let split = s.split;
    if split.shard.is_some()
        && let Err(e) = crate::plan::segment::check_splittable(plan)
    {
        return Err(format!("error: {e}"));
    }
    if split.start_at.is_some() && plan.run.stairs.is_some() {
        return Err(
            "error: --start-at: a stair plan ([run.stairs]) cannot wait for a start: not supported"
                .into(),
        );
    }
    tpi_warning(plan);
    // A shard that would run nothing, or drop every arrival of a group,
    // is a split that cannot add up to the plan.
    if let Some(shard) = split.shard
        && let Some(e) = shard_args::useless(plan, shard)
    {
        return Err(format!("error: {e}"));
    }
    report_fit(plan, s.written_fit, s.overrides, s.check, at)?;
    let probe = RunConfig {
        samples_path: PathBuf::new(),
        seed: 0,
        quiet: true,
        vars: Vec::new(),
        user_vars: s.vars.to_vec(),
        plan_dir: s.plan_dir.to_path_buf(),
        workers_log: None,
        max_iterations: None,
        shard: split.shard,
        start_at: None,
        remote: s.remote,
    };
    let preflight = match runner::preflight(plan, &probe) {
        Ok(p) => p,
        Err(runner::RunError::Plan { key, message }) => {
            // A value quoted in the message may hold a line break.
            let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
            return Err(format!("error: {}: {key}: {message}", at(&key)));
        }
        Err(e) => return Err(format!("error: {}: {e}", s.file.display())),
    };
    let seed = shard_args::seed(s.seed.or(plan.run.seed), split, s.text)?;
    Ok(Approved { preflight, seed })
}

/// Says what [`PlanFile::fit`] finds in the plan as it will run (the
/// same for `--check` and a run): the first error refuses it (its line
/// returned); warnings go to stdout with `--check`, to stderr otherwise. A
/// finding the file alone does not have came from the overrides and names
/// them.
fn report_fit(
    plan: &PlanFile,
    written: &[Finding],
    overrides: Option<&Overrides>,
    check: bool,
    at: &dyn Fn(&str) -> String,
) -> Result<(), String> {
    let flags = overrides.map_or(String::new(), |o| {
        [
            ("--duration", o.duration.is_some()),
            ("--users", o.users.is_some()),
            ("--rate", o.rate.is_some()),
        ]
        .iter()
        .filter(|(_, set)| *set)
        .map(|(f, _)| *f)
        .collect::<Vec<_>>()
        .join(", ")
    });
    for f in plan.fit() {
        let key = f.key();
        let message = crate::visible::one_line(&f.message);
        let line = if flags.is_empty()
            || written
                .iter()
                .any(|w| w.path == f.path && w.severity == f.severity)
        {
            format!("{}: {key}: {message}", at(&key))
        } else {
            format!("{flags}: the plan would not hold: {key}: {message}")
        };
        match f.severity {
            crate::plan::fit::Severity::Error => return Err(format!("error: {line}")),
            _ if check => outln!("warning: {line}"),
            _ => errln!("warning: {line}"),
        }
    }
    Ok(())
}

fn tpi_warning(plan: &PlanFile) {
    let Some(tpi) = plan.target.transactions_per_iteration else {
        return;
    };
    for g in &plan.groups {
        if g.transactions_per_iteration() != tpi as usize {
            errln!(
                "warning: group '{}' makes {} transaction(s) per iteration ({}), not the {tpi} of [target] transactions_per_iteration; its own count is the one planned and judged",
                g.name,
                g.transactions_per_iteration(),
                if g.script.is_some() {
                    "one run() of its script"
                } else {
                    "its steps"
                }
            );
        }
    }
}
