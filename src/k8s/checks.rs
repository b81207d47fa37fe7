//! What a plan must satisfy before it is split over pods besides what each
//! pod's `pace run` checks (`pace k8s` runs those same checks: see
//! `cli::run_cmd::run_checks`): every `${VAR}` the pods need is given to
//! them.

use crate::plan::file::PlanFile;

/// The variables every pod of the Job has besides the `-e` ones: its
/// index and the start.
pub const POD_VARS: [&str; 2] = ["JOB_COMPLETION_INDEX", "PACE_START_AT"];

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
/// `-e` variables (`given`), [`POD_VARS`] and, with an embedded target,
/// `PACE_TARGET`, never this shell's environment.
pub fn check_vars(
    plan: &PlanFile,
    plan_text: &str,
    given: &[(String, String)],
) -> Result<(), String> {
    let Some(names) = required_vars(plan_text) else {
        return Ok(());
    };
    let set = |n: &str| {
        given.iter().any(|(k, _)| k == n)
            || POD_VARS.contains(&n)
            || (n == "PACE_TARGET" && plan.target.embedded.is_some())
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
