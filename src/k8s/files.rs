//! The files a shard reads, as one ConfigMap: the plan under `plan.toml`
//! and each script group's script under a key made from its path, mounted
//! back at that relative path beside the plan (a volume's `items`), so the
//! plan runs in the pod unchanged.

use std::collections::BTreeMap;
use std::path::{Component, Path};

/// The key (and file name in the pod) of the plan.
pub const PLAN_KEY: &str = "plan.toml";

/// What one ConfigMap may hold: etcd refuses an object over 1 MiB
/// (Kubernetes' ConfigMap documentation). The data counts, keys included;
/// the rest of the object is small.
pub const CONFIGMAP_MAX_BYTES: usize = 1024 * 1024;

/// A file the plan reads, a script group's script or a group's test data,
/// as the plan names it (relative to the plan's folder) and its text.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptFile {
    pub path: String,
    pub text: String,
}

/// The ConfigMap's data and the volume's items (key → relative path).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlanFiles {
    pub data: BTreeMap<String, String>,
    pub items: Vec<(String, String)>,
}

/// Checks that a script's path stays inside the plan's folder once
/// mounted: relative, without `..`. Returns its parts joined by `/`.
pub fn mount_path(script: &str) -> Result<String, String> {
    let p = Path::new(script);
    let mut parts = Vec::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => parts.push(
                s.to_str()
                    .ok_or_else(|| format!("{script:?}: the path is not UTF-8"))?
                    .to_string(),
            ),
            Component::CurDir => {}
            _ => {
                return Err(format!(
                    "{script:?}: a sharded plan's scripts and test data must be inside its folder (a relative path without ..): they are mounted beside plan.toml"
                ));
            }
        }
    }
    if parts.is_empty() {
        return Err(format!("{script:?}: names no file"));
    }
    Ok(parts.join("/"))
}

/// A ConfigMap key for a relative path: the characters outside
/// `[-._a-zA-Z0-9]` (which keys must match) become `_`, and a key already
/// taken gets `-2`, `-3`, ...
fn key_for(path: &str, taken: &BTreeMap<String, String>) -> String {
    let base: String = path
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-._".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    // "." and ".." are not valid keys.
    let base = if base.chars().all(|c| c == '.') {
        format!("script{base}")
    } else {
        base
    };
    let mut key = base.clone();
    let mut i = 2;
    while taken.contains_key(&key) {
        key = format!("{base}-{i}");
        i += 1;
    }
    key
}

/// The plan's text byte for byte and every script, once each (two groups
/// may run the same script). Errors: a script outside the plan's folder,
/// or more than a ConfigMap holds.
pub fn plan_files(plan_text: &str, scripts: &[ScriptFile]) -> Result<PlanFiles, String> {
    let mut files = PlanFiles::default();
    files.data.insert(PLAN_KEY.into(), plan_text.into());
    files.items.push((PLAN_KEY.into(), PLAN_KEY.into()));
    for s in scripts {
        let path = mount_path(&s.path)?;
        if path == PLAN_KEY {
            return Err(format!(
                "{:?}: is named like the plan, which the pod mounts as plan.toml",
                s.path
            ));
        }
        if files.items.iter().any(|(_, p)| *p == path) {
            continue;
        }
        let key = key_for(&path, &files.data);
        files.data.insert(key.clone(), s.text.clone());
        files.items.push((key, path));
    }
    let bytes: usize = files.data.iter().map(|(k, v)| k.len() + v.len()).sum();
    if bytes > CONFIGMAP_MAX_BYTES {
        return Err(format!(
            "the plan, its scripts and its test data are {} bytes: a ConfigMap holds at most 1 MiB ({CONFIGMAP_MAX_BYTES} bytes); build the scripts and the data into the image instead",
            bytes
        ));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(path: &str, text: &str) -> ScriptFile {
        ScriptFile {
            path: path.into(),
            text: text.into(),
        }
    }

    #[test]
    fn scripts_keep_their_relative_path_under_a_valid_key() {
        let f = plan_files(
            "x = 1\n",
            &[
                script("./test_scripts/my script.py", "a"),
                script("test_scripts/my_script.py", "b"),
                script("test_scripts/my script.py", "a"),
            ],
        )
        .unwrap();
        assert_eq!(f.data["plan.toml"], "x = 1\n");
        assert_eq!(
            f.items,
            vec![
                ("plan.toml".to_string(), "plan.toml".to_string()),
                (
                    "test_scripts_my_script.py".to_string(),
                    "test_scripts/my script.py".to_string()
                ),
                (
                    "test_scripts_my_script.py-2".to_string(),
                    "test_scripts/my_script.py".to_string()
                ),
            ]
        );
        for k in f.data.keys() {
            assert!(
                k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
            );
        }
    }

    #[test]
    fn a_script_outside_the_plan_folder_is_refused() {
        for p in ["../x.py", "/abs/x.py", "a/../../x.py"] {
            let e = plan_files("", &[script(p, "")]).unwrap_err();
            assert!(e.contains("inside its folder"), "{p}: {e}");
        }
    }

    #[test]
    fn more_than_a_configmap_holds_is_refused() {
        let big = "#".repeat(CONFIGMAP_MAX_BYTES);
        let e = plan_files("x", &[script("s.py", &big)]).unwrap_err();
        assert!(e.contains("1 MiB"), "{e}");
    }
}
