//! Fuzz target `k8s_values`: `pace k8s PLAN --shards N -e NAME=VALUE ...`
//! with values (and names) that YAML or a shell reads specially: quotes,
//! `: `, `#`, `{`, `&`, `*`, `!!`, `$(...)`, backquotes, line breaks,
//! NUL, leading spaces, `null`/`true`/`~`/`---`, very long values; with
//! the other flags at their edges (`--name`, `--namespace`, `--image`,
//! `--start-in`, `--shards`). Always through the binary (the writer is
//! behind the command), in a 256 MiB address space.
//!
//! The property: a manifest (exit 0) that is YAML, or a one-line
//! refusal (exit 2); no panic. How a value is quoted is not checked here
//! (it is being changed on its own branch).

use crate::Known;
use crate::engine::{self, Finding, Outcome, Rng, Target};
use crate::mutate::{self, STRINGS};

const PLAN: &str = r#"[target]
tps = 2
response_time = "50ms"
[run]
duration = "60s"
[[group]]
name = "shop"
users = 4
[group.pacing]
mode = "fixed"
interval = "2s"
[[group.step]]
name = "home"
url = "${BASE_URL}/"
headers = { Authorization = "Bearer ${TOKEN}" }
"#;

const VALUES: &[&str] = &[
    "http://shop.svc:8080",
    "a: b",
    "- x",
    "# c",
    "'single'",
    "\"double\"",
    "{a: 1}",
    "[1, 2]",
    "&anchor",
    "*alias",
    "!!binary",
    "%TAG",
    "@at",
    "`whoami`",
    "$(id)",
    "${HOME}",
    "$$",
    "a\nb",
    "a\r\nb",
    " lead",
    "trail ",
    "null",
    "true",
    "~",
    "---",
    "...",
    "0x10",
    "1e3",
    "0777",
    "yes",
    "\\",
    "a\\nb",
    "\t",
    "|",
    ">",
    "? q",
    "\u{0}",
    "\u{85}",
    "\u{2028}",
    "\u{feff}x",
    "=",
    "a=b=c",
    "",
];

const NAMES: &[&str] = &[
    "BASE_URL",
    "TOKEN",
    "X",
    "1X",
    "X-Y",
    "",
    "PACE_START_AT",
    "PATH",
    "é",
    "A B",
    "a\nb",
    "JOB_COMPLETION_INDEX",
];

#[derive(Debug, Clone)]
pub struct K8sCase {
    pub args: Vec<String>,
}

pub struct K8sTarget {
    tmp: tempfile::TempDir,
}

impl K8sTarget {
    pub fn new() -> K8sTarget {
        let tmp = engine::scratch();
        std::fs::write(tmp.path().join("plan.toml"), PLAN).expect("write plan.toml");
        K8sTarget { tmp }
    }
}

fn value(rng: &mut Rng) -> String {
    let mut v = String::new();
    for _ in 0..rng.between(1, 3) {
        v.push_str(if rng.chance(1, 4) {
            rng.pick(STRINGS)
        } else {
            rng.pick(VALUES)
        });
    }
    if rng.chance(1, 30) {
        v.push_str(&mutate::long(rng, 'v'));
    }
    // An argument cannot hold a NUL byte (execve).
    v.replace('\0', "")
}

impl Target for K8sTarget {
    type Input = K8sCase;
    const NAME: &'static str = "k8s_values";
    const CI_CASES: u64 = 150;

    fn generate(&mut self, rng: &mut Rng) -> K8sCase {
        let mut args = vec!["k8s".to_string(), "plan.toml".to_string()];
        args.push(format!(
            "--shards={}",
            rng.pick(&["1", "2", "4", "0", "100000", "-1", "x"])
        ));
        let mut given = Vec::new();
        for name in ["BASE_URL", "TOKEN"] {
            if rng.chance(7, 8) {
                given.push(format!("{name}={}", value(rng)));
            }
        }
        for _ in 0..rng.pick(&[0, 0, 1, 2]) {
            given.push(format!("{}={}", rng.pick(NAMES), value(rng)));
        }
        if rng.chance(1, 20) {
            given.push(rng.pick(&["NOEQUALS", "=v", "X="]).to_string());
        }
        for g in given {
            if rng.chance(1, 2) {
                args.push("-e".into());
                args.push(g);
            } else {
                args.push(format!("--env={g}"));
            }
        }
        for _ in 0..rng.pick(&[0, 0, 1, 2]) {
            let f = rng.pick(&[
                "--name",
                "--namespace",
                "--image",
                "--start-in",
                "--results-pvc",
                "--collect-for",
                "--seed",
            ]);
            let v = if rng.chance(1, 2) {
                value(rng)
            } else {
                rng.pick(&[
                    "load",
                    "pace-x",
                    "a.b",
                    "60s",
                    "0s",
                    "1e308s",
                    "18446744073709551616",
                    "registry/pace:1",
                ])
                .to_string()
            };
            args.push(format!("{f}={v}"));
        }
        args.push("--output=job.yaml".into());
        args.push("--force".into());
        K8sCase { args }
    }

    fn render(&self, c: &K8sCase) -> String {
        let mut s = String::from("# pace");
        for a in &c.args {
            s.push_str(&format!(" {a:?}"));
        }
        s.push_str("\n## plan.toml\n");
        s.push_str(PLAN);
        s
    }

    fn shrink(&self, c: &K8sCase) -> Vec<K8sCase> {
        (2..c.args.len().saturating_sub(2))
            .map(|i| {
                let mut d = c.clone();
                d.args.remove(i);
                d
            })
            .collect()
    }

    fn known_open(&mut self, _c: &K8sCase) -> Option<Known> {
        None
    }

    fn hazard(&mut self, _c: &K8sCase) -> Option<String> {
        None
    }

    fn run(&mut self, c: &K8sCase, _rng: &mut Rng) -> Outcome {
        let dir = self.tmp.path();
        let _ = std::fs::remove_file(dir.join("job.yaml"));
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pace"));
        cmd.args(&c.args)
            .current_dir(dir)
            .env_remove("PACE_START_AT")
            .env_remove("JOB_COMPLETION_INDEX")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        engine::limit_memory(&mut cmd, engine::BIN_ADDRESS_SPACE);
        let out = engine::run_with_timeout(cmd, std::time::Duration::from_secs(30))
            .map_err(|e| Finding::new("binary: could not start", e))?;
        let shown = c
            .args
            .iter()
            .map(|a| format!("{a:?}"))
            .collect::<Vec<_>>()
            .join(" ");
        crate::samples::binary_outcome_of(&out, "k8s", &shown, engine::BIN_ADDRESS_SPACE)?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            // A refusal is one `error:` line and nothing else.
            Some(2) => {
                let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
                if lines.len() != 1 || !lines[0].starts_with("error:") {
                    return Err(Finding::new(
                        "binary `pace k8s`: a refusal is not one `error:` line",
                        format!("pace {shown}: {stderr:?}"),
                    ));
                }
                Ok(())
            }
            Some(0) if !yaml_ok(dir) => Err(Finding::new(
                "binary `pace k8s`: exit 0 and job.yaml is not YAML",
                format!("pace {shown}"),
            )),
            _ => Ok(()),
        }
    }
}

/// job.yaml parses as YAML (every document).
fn yaml_ok(dir: &std::path::Path) -> bool {
    let Ok(text) = std::fs::read_to_string(dir.join("job.yaml")) else {
        return true;
    };
    serde_yaml_ng::Deserializer::from_str(&text)
        .all(|d| <serde_yaml_ng::Value as serde::Deserialize>::deserialize(d).is_ok())
}
