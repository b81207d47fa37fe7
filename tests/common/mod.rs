//! What the integration tests share: running `pace` as a process.

use assert_cmd::Command;
use std::path::Path;

/// Runs `pace ARGS` in `cwd` (bounded to a minute); returns (exit code,
/// stdout, stderr).
pub fn pace(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("pace")
        .unwrap()
        .current_dir(cwd)
        .args(args)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}
