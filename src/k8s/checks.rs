//! What a plan must satisfy before it is split over pods: every shard has
//! users to run, and every `${VAR}` the pods need is given to them.

use crate::plan::file::{PacingMode, PlanFile};

/// Checks that `plan` can be split into `shards` shards where each one
/// runs something (users are dealt round-robin within each group, so the
/// largest group bounds the count, not the total). Errors name
/// `--shards`: a stair plan (`pace run` refuses to split it), more shards
/// than the largest group's users, or than the pool of an arrival-rate
/// group (a shard without a pool user drops every arrival it owns).
pub fn check_shards(plan: &PlanFile, shards: u64) -> Result<(), String> {
    if plan.run.stairs.is_some() {
        return Err(format!(
            "error: --shards {shards}: stair plans cannot be split over shards ([run.stairs]); run its levels on one generator"
        ));
    }
    let Some(largest) = plan.groups.iter().max_by_key(|g| g.users) else {
        return Ok(());
    };
    if shards > largest.users {
        let idle = if shards - 1 == largest.users {
            format!("shard {}", largest.users)
        } else {
            format!("shards {}..{}", largest.users, shards - 1)
        };
        return Err(format!(
            "error: --shards {shards}: the largest group ('{}') has {}: {idle} would run none; use at most --shards {}",
            largest.name,
            crate::units::count(largest.users as f64, "user"),
            largest.users
        ));
    }
    if let Some(g) = plan
        .groups
        .iter()
        .filter(|g| g.pacing.mode == PacingMode::ArrivalRate && shards > g.users)
        .min_by_key(|g| g.users)
    {
        return Err(format!(
            "error: --shards {shards}: arrival-rate group '{}' has a pool of {}: a shard without one drops every arrival it owns; use at most --shards {} or give the group more users",
            g.name,
            crate::units::count(g.users as f64, "user"),
            g.users
        ));
    }
    Ok(())
}

/// The names of the plan's `${NAME}`s without a `:-default`, each once,
/// sorted, read from the plan's string values (comments do not count). `None`: the text is not TOML (the plan's parser says why).
pub fn required_vars(plan_text: &str) -> Option<Vec<String>> {
    let value: toml::Table = plan_text.parse().ok()?;
    let mut out = Vec::new();
    walk(&toml::Value::Table(value), &mut out);
    out.sort();
    Some(out)
}

fn walk(v: &toml::Value, out: &mut Vec<String>) {
    match v {
        toml::Value::String(s) => scan(s, out),
        toml::Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
        toml::Value::Table(t) => t.values().for_each(|v| walk(v, out)),
        _ => {}
    }
}

/// The `${NAME}`s without a default of one string.
fn scan(s: &str, out: &mut Vec<String>) {
    for (name, has_default) in crate::plan::vars::references(s) {
        if !has_default && !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    }
}

/// Refuses a plan whose pods would miss a variable: they see only the
/// `-e` variables (`given`) and, with an embedded target, `PACE_TARGET`,
/// never this shell's environment.
pub fn check_vars(
    plan: &PlanFile,
    plan_text: &str,
    given: &[(String, String)],
) -> Result<(), String> {
    let Some(names) = required_vars(plan_text) else {
        return Ok(());
    };
    let set = |n: &str| {
        given.iter().any(|(k, _)| k == n) || (n == "PACE_TARGET" && plan.target.embedded.is_some())
    };
    let missing = names.into_iter().find(|n| !set(n));
    match missing {
        Some(n) => Err(format!(
            "error: the plan uses ${{{n}}} without a default and the pods do not see this shell's environment: pass -e {n}=VALUE"
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_vars_skip_defaults_and_comments() {
        let text = "# ${IN_COMMENT}\n[a]\nu = \"${HOST}/x/${PORT:-80}/${HOST}\"\nl = [\"${TOKEN}\"]\nbad = \"${OPEN\"\n";
        assert_eq!(required_vars(text).unwrap(), ["HOST", "TOKEN"]);
        assert!(required_vars("not = toml = at all").is_none());
    }
}
