//! `pace run`'s quick overrides (`--duration`, `--users`, `--rate`,
//! `--var`): the flags, their checks against the rest of the command line,
//! and the line that announces them. The arithmetic is
//! [`crate::plan::overrides`]'s.

use crate::plan::file::PlanFile;
use crate::plan::overrides::{self, Overrides};
use crate::units::round_sig;
use clap::Args;

/// The override flags of `pace run`.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Overrides for a trial run (recorded in summary.json)")]
pub struct OverrideArgs {
    /// Run this long instead of run.duration: 30s, 2m.
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<String>,
    /// Users: a total split over the groups in proportion to their users
    /// (largest remainder, each group keeps at least one), or per group
    /// NAME=K,... (the others keep theirs). The target rate follows.
    #[arg(long, value_name = "N|NAME=K,..")]
    pub users: Option<String>,
    /// The target rate (10/s, 600/m): every group's load scaled by new /
    /// old target (arrival rates multiplied, pacing intervals divided).
    #[arg(long, value_name = "RATE")]
    pub rate: Option<String>,
    /// A variable for ${NAME}, ahead of the environment; repeatable.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub var: Vec<String>,
}

/// The overrides of `a` for `plan`, checked against the plan and the
/// rest of the command line (`sharded`: --shard/--shards given). Errors
/// are one line naming the flag.
pub fn overrides(a: &OverrideArgs, plan: &PlanFile, sharded: bool) -> Result<Overrides, String> {
    let mut o = Overrides {
        duration: a.duration.clone(),
        users: a.users.clone(),
        rate: a.rate.clone(),
        ..Default::default()
    };
    for v in &a.var {
        let (name, value) = overrides::parse_var(v).map_err(|e| format!("--var: {e}"))?;
        if name == "PACE_TARGET" && plan.target.embedded.is_some() {
            return Err(
                "--var PACE_TARGET: the plan starts its embedded target ([target.embedded]), whose address PACE_TARGET is: remove [target.embedded] to aim the plan elsewhere"
                    .into(),
            );
        }
        o.var.insert(name, value);
    }
    if sharded && o.changes_plan() {
        let flags = [
            ("--duration", o.duration.is_some()),
            ("--users", o.users.is_some()),
            ("--rate", o.rate.is_some()),
        ]
        .iter()
        .filter(|f| f.1)
        .map(|f| f.0)
        .collect::<Vec<_>>()
        .join(", ");
        return Err(format!(
            "{flags}: not with --shard/--shards: `pace merge` judges the shards against their plan.toml, so write the change into the plan (only --var may differ per run)"
        ));
    }
    Ok(o)
}

/// Warning lines (`pace: --var X: the plan uses no ${X}`) for the --var
/// names that `text`, the plan's own text, never references: most likely a
/// typo. A plan with script groups gets none: its scripts may read any
/// variable from their environment.
pub fn unused_vars(o: &Overrides, plan: &PlanFile, text: &str) -> Vec<String> {
    if plan
        .groups
        .iter()
        .any(|g| g.script.is_some() || g.worker.is_some())
    {
        return Vec::new();
    }
    let used: std::collections::BTreeSet<&str> = crate::plan::vars::references(text)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    o.var
        .keys()
        .filter(|k| !used.contains(k.as_str()))
        .map(|k| format!("pace: --var {k}: the plan uses no ${{{k}}}"))
        .collect()
}

/// Note lines (`pace: ${BASE_URL} is not set: its default '...' from
/// plan.toml:12 is used`) for each variable the plan gives a default
/// (`${NAME:-default}`) that neither a --var nor the environment (`env`)
/// sets: a default silently used where the user forgot the variable sends
/// the load somewhere else than meant. Once per name, at its first use;
/// comment lines are skipped. `PACE_TARGET` under `[target.embedded]` is
/// pace's own.
pub fn defaults_used(
    o: &Overrides,
    plan: &PlanFile,
    text: &str,
    file: &std::path::Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for (no, line) in text.lines().enumerate() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        for p in crate::plan::vars::pieces(line) {
            let crate::plan::vars::Piece::Var {
                name,
                default: Some(default),
                ..
            } = p
            else {
                continue;
            };
            let set = o.var.get(name).cloned().or_else(|| env(name));
            let own = name == "PACE_TARGET" && plan.target.embedded.is_some();
            if own || set.as_ref().is_some_and(|v| !v.is_empty()) || !seen.insert(name.to_string())
            {
                continue;
            }
            let how = if set.is_some() {
                "is empty"
            } else {
                "is not set"
            };
            out.push(format!(
                "pace: ${{{}}} {how}: its default {} from {}:{} is used",
                crate::visible::one_line(name),
                crate::visible::quoted(default),
                file.display(),
                no + 1
            ));
        }
    }
    out
}

/// The one line that says what a run overrides and what it came to.
pub fn describe(o: &Overrides, plan: &PlanFile) -> String {
    let mut what = Vec::new();
    if o.changes_plan() {
        let e = overrides::effective(plan);
        what.push(format!("duration {} s", round_sig(e.duration_s, 6)));
        what.push(format!(
            "users {}",
            e.users
                .iter()
                .map(|(g, u)| format!("{g} {u}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        if let Some(t) = e.target_tpm {
            what.push(format!("target {} TPM", round_sig(t, 6)));
        }
    }
    let came = if what.is_empty() {
        String::new()
    } else {
        format!(" ({})", what.join("; "))
    };
    format!("pace: overrides: {}{came}", o.describe())
}
