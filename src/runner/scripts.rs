//! What a run sets up for its script groups: the interpreter resolved,
//! workers.log, and every user's worker started before the clock. Nothing
//! is written outside the results folder: the built-in worker is passed to
//! the interpreter with `-c`.

use super::redact::Redactor;
use super::script::{self, LogFile};
use super::work::GroupWork;
use super::{RunConfig, RunError, prepare::Group};
use crate::plan::file::PlanFile;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What script groups share for a run: the workers' log.
#[derive(Default)]
pub(super) struct Scripts {
    log: Option<script::Log>,
}

impl Scripts {
    pub(super) fn spec(
        &mut self,
        plan: &PlanFile,
        cfg: &RunConfig,
        gi: usize,
        script: &str,
    ) -> Result<script::ScriptSpec, RunError> {
        let g = &plan.groups[gi];
        let bad = |key: &str, message: String| RunError::Plan {
            key: format!("group[{gi}].{key}"),
            message,
        };
        let path = cfg.plan_dir.join(script);
        if path.is_dir() {
            return Err(bad(
                "script",
                format!("{} is a folder, not a script", path.display()),
            ));
        }
        if !path.is_file() {
            return Err(bad("script", format!("{}: no such file", path.display())));
        }
        let path = std::fs::canonicalize(&path).unwrap_or(path);
        let command = match &g.worker {
            Some(w) => vec!["sh".to_string(), "-c".to_string(), w.clone()],
            // Another machine's interpreter: its words as the plan gives them.
            None if cfg.remote => {
                let mut argv: Vec<String> = g
                    .interpreter()
                    .split_whitespace()
                    .map(String::from)
                    .collect();
                argv.push("-c".into());
                argv.push(script::PYTHON_WORKER.into());
                argv
            }
            None => {
                let mut argv =
                    resolve_python(g.interpreter()).map_err(|m| bad("interpreter", m))?;
                argv.push("-c".into());
                argv.push(script::PYTHON_WORKER.into());
                argv
            }
        };
        if self.log.is_none()
            && let Some(p) = &cfg.workers_log
        {
            let f = std::fs::File::create(p)?;
            self.log = Some(Arc::new(std::sync::Mutex::new(LogFile {
                out: std::io::BufWriter::new(f),
                redactor: Redactor::default(),
            })));
        }
        Ok(script::ScriptSpec {
            group: g.name.clone(),
            process_num: gi as u32,
            script: path,
            project_dir: std::fs::canonicalize(&cfg.plan_dir).unwrap_or(cfg.plan_dir.clone()),
            command,
            timeout: Duration::from_secs_f64(g.script_timeout()),
            log: self.log.clone(),
            zygote: std::sync::OnceLock::new(),
            forkable: g.worker.is_none(),
            env: cfg.vars.iter().chain(&cfg.user_vars).cloned().collect(),
        })
    }

    /// Gives the log the run's secrets, once they are all known (before
    /// any worker starts).
    pub(super) fn redact_log(&self, redactor: &Redactor) {
        if let Some(log) = &self.log
            && let Ok(mut f) = log.lock()
        {
            f.redactor = redactor.clone();
        }
    }

    /// Flushes the log.
    pub(super) fn finish(self) {
        if let Some(log) = &self.log
            && let Ok(mut f) = log.lock()
        {
            let _ = std::io::Write::flush(&mut f.out);
        }
    }
}

/// The interpreter's real executable (and its extra arguments): asked once
/// with `sys.executable`, so every worker skips launchers such as pyenv's
/// shims (3x faster to start 500 workers here), and a missing or broken
/// interpreter is a plan error before any worker starts.
fn resolve_python(interpreter: &str) -> Result<Vec<String>, String> {
    let mut argv: Vec<String> = interpreter.split_whitespace().map(String::from).collect();
    if argv.is_empty() {
        return Err("must not be empty".into());
    }
    let out = std::process::Command::new(&argv[0])
        .args(&argv[1..])
        .args(["-c", "import sys; print(sys.executable)"])
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("'{interpreter}' cannot be run: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "'{interpreter}' does not run Python ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let exe = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if Path::new(&exe).is_file() {
        argv[0] = exe;
    }
    Ok(argv)
}

/// Compiles a script with pace's Python worker's interpreter, without
/// running it: a SyntaxError (most published Multi-Mechanize scripts are
/// Python 2) is a plan error before any traffic, as `file:line: message`.
/// A script run by its own `worker` command is not checked here.
pub(super) fn compile(spec: &script::ScriptSpec) -> Result<(), String> {
    if !spec.forkable {
        return Ok(());
    }
    const COMPILE: &str = r#"import sys
p = sys.argv[1]
try:
    compile(open(p, 'rb').read(), p, 'exec')
except SyntaxError as e:
    print('%s:%s: %s: %s' % (e.filename, e.lineno, type(e).__name__, e.msg))
    sys.exit(1)
except Exception as e:
    print('%s: %s: %s' % (p, type(e).__name__, e))
    sys.exit(1)
"#;
    // The interpreter's argv up to pace's own `-c WORKER`.
    let python = &spec.command[..spec.command.len().saturating_sub(2)];
    let Some((exe, args)) = python.split_first() else {
        return Ok(());
    };
    let out = std::process::Command::new(exe)
        .args(args)
        .args(["-c", COMPILE])
        .arg(&spec.script)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("'{exe}' cannot be run: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&out.stdout);
    let said = said.trim();
    Err(if said.is_empty() {
        format!(
            "{}: the interpreter could not compile it ({}): {}",
            spec.script.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )
    } else {
        format!("{said} (the script does not compile with {exe})")
    })
}

/// What a script group's workers execute, in words.
pub(super) fn describe(spec: &script::ScriptSpec) -> String {
    if spec.forkable {
        format!(
            "group '{}': {} (pace's Python worker) imports {}",
            spec.group,
            spec.command[..spec.command.len().saturating_sub(2)].join(" "),
            spec.script.display()
        )
    } else {
        format!(
            "group '{}': sh -c '{}' with the script {}",
            spec.group,
            spec.command.last().map(String::as_str).unwrap_or(""),
            spec.script.display()
        )
    }
}

/// Starts the worker of every script user of `shard` before the clock starts.
pub(super) async fn prestart(groups: &[Group], shard: crate::plan::segment::Shard, quiet: bool) {
    for g in groups {
        let GroupWork::Script { spec, ready, .. } = &*g.work else {
            continue;
        };
        let t = Instant::now();
        let users: Vec<u64> = (0..g.users).filter(|&u| shard.owns(u)).collect();
        let workers = script::prestart(spec, &users).await;
        let failed = workers.iter().filter(|w| w.is_none()).count();
        if !quiet {
            errln!(
                "pace: group '{}': {} script worker(s) ready in {:.1} s",
                g.name,
                users.len() - failed,
                t.elapsed().as_secs_f64()
            );
        }
        if failed > 0 {
            errln!(
                "pace: group '{}': {failed} worker(s) failed to start; each user retries at its first iteration, where the failure is counted",
                g.name
            );
        }
        *ready.lock().expect("not poisoned") = workers;
    }
}
