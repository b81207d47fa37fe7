//! What the integration tests share: running `pace` as a process, and a
//! target server on 127.0.0.1. Not every test file uses every item.
#![allow(dead_code)]

use assert_cmd::Command;
use pace::target::{Latency, RunningTarget, TargetConfig, start};
use std::path::Path;

/// Runs `pace ARGS` in `cwd` (bounded to a minute); returns (exit code,
/// stdout, stderr).
pub fn pace(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    pace_os(cwd, args)
}

/// [`pace`] with arguments that may be any bytes.
pub fn pace_os<A: AsRef<std::ffi::OsStr>>(cwd: &Path, args: &[A]) -> (i32, String, String) {
    output(
        Command::cargo_bin("pace")
            .unwrap()
            .current_dir(cwd)
            .args(args),
    )
}

/// [`pace`] with `env` added to an environment that names no proxy (the
/// machine's own proxy variables removed, so nothing leaves 127.0.0.1
/// unless `env` says so).
pub fn pace_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::cargo_bin("pace").unwrap();
    cmd.current_dir(cwd).args(args);
    for k in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "REQUEST_METHOD",
    ] {
        cmd.env_remove(k).env_remove(k.to_lowercase());
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    output(&mut cmd)
}

/// Runs `cmd`, bounded to a minute: (exit code, stdout, stderr).
fn output(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// A copy of case `name` of tests/fixtures/cases in a temporary folder.
pub fn case(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(name);
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/cases")
            .join(name),
        &dir,
    );
    (tmp, dir)
}

/// Replaces `from` with `to` in the file at `path`.
pub fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no {from:?}", path.display());
    std::fs::write(path, text.replace(from, to)).unwrap();
}

/// A target served by a runtime that lives as long as the test.
pub struct Server {
    rt: tokio::runtime::Runtime,
    target: Option<RunningTarget>,
}

impl Server {
    pub fn new(latency: &str, error_rate: f64) -> Server {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let cfg = TargetConfig {
            latency: latency.parse::<Latency>().unwrap(),
            error_rate,
            seed: Some(7),
            ..Default::default()
        };
        let target = rt.block_on(start(cfg, 0)).unwrap();
        Server {
            rt,
            target: Some(target),
        }
    }

    pub fn url(&self) -> String {
        self.target.as_ref().unwrap().base_url()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(t) = self.target.take() {
            self.rt.block_on(t.shutdown());
        }
    }
}

impl Server {
    /// Requests the target has answered so far.
    pub fn served(&self) -> u64 {
        self.target.as_ref().map_or(0, |t| t.requests_served())
    }
}

/// Copies a folder tree (a fixture project) into `to`.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// The one results folder a run made under `results`.
pub fn only_results_dir(results: &Path) -> std::path::PathBuf {
    let mut dirs: Vec<_> = std::fs::read_dir(results)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(dirs.len(), 1, "one results folder in {}", results.display());
    dirs.pop().unwrap()
}
