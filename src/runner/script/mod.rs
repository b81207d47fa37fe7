//! Script groups: a worker process per virtual user runs a Pyak47
//! `Transaction` script (or anything speaking pace's worker protocol,
//! docs/scripts.md) while pace's scheduler owns the timing.
//!
//! One JSON object per line: pace sends `init` once, then `run` per
//! iteration, then `stop`; the worker answers each. A worker that exits,
//! prints something that is not a reply, or does not answer within the
//! group's `script_timeout` is killed, its iteration counted as an error
//! with the end of its stderr, and a new one started for the next
//! iteration; after `MAX_FAILURES` in a row the user is retired.

use crate::results::sample::ErrorKind;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, Command};
pub use zygote::Zygote;

mod sys;
mod zygote;

/// The built-in Python worker. It is handed to the interpreter with `-c`,
/// never written to a file: a file in a shared temporary folder could be
/// planted or swapped by another local user, and would be left behind by
/// a pace killed with SIGKILL.
pub const PYTHON_WORKER: &str = include_str!("worker.py");

// Linux refuses a single argument longer than 128 KiB (MAX_ARG_STRLEN).
const _: () = assert!(PYTHON_WORKER.len() < 100 * 1024);

/// The protocol version pace speaks.
pub const PROTOCOL: u32 = 1;

/// Worker failures in a row (not script exceptions) before a user retires.
pub const MAX_FAILURES: u32 = 3;

/// Lines of a worker's stderr kept to explain its failure.
const STDERR_TAIL: usize = 12;

/// What pace sends.
#[derive(Debug, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Request<'a> {
    Init {
        protocol: u32,
        script: &'a str,
        project_dir: &'a str,
        group: &'a str,
        thread_num: u32,
        process_num: u32,
    },
    Run {
        iteration: u64,
    },
    Stop,
}

/// What a worker answers (to `init` and to `run`).
#[derive(Debug, Deserialize)]
struct Reply {
    ok: bool,
    #[serde(default)]
    elapsed: Option<f64>,
    #[serde(default)]
    timers: BTreeMap<String, f64>,
    #[serde(default)]
    error: Option<String>,
}

/// How to start one group's workers.
pub struct ScriptSpec {
    pub group: String,
    /// The group's index in the plan (Pyak47's `process_num`).
    pub process_num: u32,
    /// Absolute path of the script.
    pub script: PathBuf,
    /// The working directory and import path: the plan's folder.
    pub project_dir: PathBuf,
    /// argv of the worker.
    pub command: Vec<String>,
    pub timeout: Duration,
    /// Where every worker's stderr is appended, prefixed with its user.
    pub log: Option<Log>,
    /// Set when the group's workers are forked from one zygote (pace's
    /// Python worker); unset, each worker is a process of its own.
    pub zygote: std::sync::OnceLock<Arc<Zygote>>,
    /// The zygote can be used (the built-in Python worker).
    pub forkable: bool,
    /// Variables pace set for the run (the embedded target's
    /// `PACE_TARGET`): a script reads them as any environment variable.
    pub env: Vec<(String, String)>,
}

/// workers.log, shared by every worker of the run.
pub type Log = Arc<Mutex<LogFile>>;

/// workers.log and the run's secrets: a script's traceback may quote any
/// value of its environment, so each line is redacted as samples are.
pub struct LogFile {
    pub out: std::io::BufWriter<std::fs::File>,
    pub redactor: super::redact::Redactor,
}

/// A failure of the worker itself (not of the script's transaction).
#[derive(Debug, Clone)]
pub struct WorkerFailure {
    pub kind: ErrorKind,
    pub message: String,
}

/// One `run()`: what the script measured, or why it failed.
#[derive(Debug)]
pub struct RunOutcome {
    /// When the request was sent.
    pub sent: Instant,
    /// The script's own time (measured by the worker around `run()`), or
    /// pace's wall time when the worker gave none.
    pub elapsed: f64,
    pub timers: BTreeMap<String, f64>,
    /// `None`: success. Script exceptions are `Script`; worker failures
    /// `Worker` or `Timeout`.
    pub error: Option<(ErrorKind, String)>,
}

/// A worker's lines in and out: pipes of its own process, or the Unix
/// socket of a worker forked by a zygote.
type Input = Box<dyn tokio::io::AsyncWrite + Send + Unpin>;
type Output = Lines<Box<dyn tokio::io::AsyncBufRead + Send + Unpin>>;

/// The last lines a worker wrote to stderr.
pub type Tail = Arc<Mutex<VecDeque<String>>>;

fn push_tail(tail: &Tail, line: String) {
    let mut t = tail.lock().expect("not poisoned");
    if t.len() == STDERR_TAIL {
        t.pop_front();
    }
    t.push_back(line);
}

/// Whose process a worker is.
enum Proc {
    /// Started by pace.
    Child(Child),
    /// Forked by the group's zygote.
    Forked { pid: i32, zygote: Arc<Zygote> },
}

/// A running worker.
pub struct Worker {
    proc: Proc,
    stdin: Input,
    stdout: Output,
    stderr: Tail,
}

impl Drop for Worker {
    /// A worker dropped without a clean stop (cut off at the end of the
    /// grace, or after a failure) is killed with whatever its script
    /// started, so none outlives the run.
    fn drop(&mut self) {
        self.kill();
    }
}

impl Worker {
    /// Starts a worker (forked from the group's zygote when it has one, a
    /// process of its own otherwise) and initialises it; the error says why
    /// not, with the worker's stderr.
    pub async fn start(spec: &ScriptSpec, user: u32) -> Result<Worker, WorkerFailure> {
        let mut w = match spec.zygote.get() {
            // A zygote that died or cannot fork leaves its users on a
            // process of their own, not on failures.
            Some(z) => match z.fork(user, spec.timeout).await {
                Ok(w) => w,
                Err(_) => Worker::spawn(spec, user).await?,
            },
            None => Worker::spawn(spec, user).await?,
        };
        let script = spec.script.display().to_string();
        let project = spec.project_dir.display().to_string();
        let init = Request::Init {
            protocol: PROTOCOL,
            script: &script,
            project_dir: &project,
            group: &spec.group,
            thread_num: user,
            process_num: spec.process_num,
        };
        match w.call(&init, spec.timeout).await {
            Ok(r) if r.ok => Ok(w),
            Ok(r) => {
                w.kill();
                Err(WorkerFailure {
                    kind: ErrorKind::Script,
                    message: format!(
                        "the script failed to load: {}",
                        r.error.unwrap_or_else(|| "no reason given".into())
                    ),
                })
            }
            Err(f) => Err(WorkerFailure {
                message: format!("while loading the script: {}", f.message),
                ..f
            }),
        }
    }

    /// A worker process of its own, on pipes.
    async fn spawn(spec: &ScriptSpec, user: u32) -> Result<Worker, WorkerFailure> {
        let mut child = spawn(&spec.command, &spec.project_dir, &spec.env, None).await?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        let stderr: Tail = Arc::default();
        let mut err_lines = BufReader::new(child.stderr.take().expect("piped")).lines();
        let (tail, log, who) = (
            stderr.clone(),
            spec.log.clone(),
            format!("[{} user {user}] ", spec.group),
        );
        tokio::spawn(async move {
            while let Ok(Some(line)) = err_lines.next_line().await {
                write_log(&log, &who, &line);
                push_tail(&tail, line);
            }
        });
        Ok(Worker::new(
            Proc::Child(child),
            Box::new(stdin),
            Box::new(stdout),
            stderr,
        ))
    }

    fn new(
        proc: Proc,
        stdin: Input,
        stdout: Box<dyn tokio::io::AsyncBufRead + Send + Unpin>,
        stderr: Tail,
    ) -> Worker {
        Worker {
            proc,
            stdin,
            stdout: stdout.lines(),
            stderr,
        }
    }

    /// Kills the worker and its process group, unless it has been reaped
    /// (its number may then be another process's).
    fn kill(&mut self) {
        match &mut self.proc {
            Proc::Child(c) => {
                if let Some(pid) = c.id() {
                    sys::kill_tree(pid as i32);
                }
            }
            Proc::Forked { pid, .. } => sys::kill_tree(*pid),
        }
    }

    /// Runs the script's `run()` once.
    pub async fn run(
        &mut self,
        iteration: u64,
        timeout: Duration,
    ) -> Result<RunOutcome, WorkerFailure> {
        let sent = Instant::now();
        let r = self.call(&Request::Run { iteration }, timeout).await?;
        let wall = sent.elapsed().as_secs_f64();
        let elapsed = r
            .elapsed
            .filter(|e| e.is_finite() && *e >= 0.0)
            .unwrap_or(wall);
        let error = if r.ok {
            None
        } else {
            Some((
                ErrorKind::Script,
                r.error
                    .unwrap_or_else(|| "run() failed (no reason given)".into()),
            ))
        };
        Ok(RunOutcome {
            sent,
            elapsed,
            timers: r.timers,
            error,
        })
    }

    /// Asks the worker to stop, then makes sure it has.
    pub async fn stop(mut self) {
        let _ = self.send(&Request::Stop).await;
        let gone = match &mut self.proc {
            Proc::Child(c) => tokio::time::timeout(Duration::from_millis(500), c.wait())
                .await
                .is_ok(),
            // Its end of the socket closes when it exits.
            Proc::Forked { .. } => matches!(
                tokio::time::timeout(Duration::from_millis(500), self.stdout.next_line()).await,
                Ok(Ok(None))
            ),
        };
        if !gone {
            self.kill();
        } else if let Proc::Forked { pid, .. } = &mut self.proc {
            // It exited: never signal its (reusable) pid again.
            *pid = 0;
        }
    }

    async fn send(&mut self, req: &Request<'_>) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(req).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.stdin.write_all(&line).await?;
        self.stdin.flush().await
    }

    /// One request and its reply line, within `timeout`.
    async fn call(&mut self, req: &Request<'_>, timeout: Duration) -> Result<Reply, WorkerFailure> {
        if let Err(e) = self.send(req).await {
            return Err(self.died(format!("cannot write to the worker: {e}")).await);
        }
        match tokio::time::timeout(timeout, self.stdout.next_line()).await {
            Err(_) => {
                self.kill();
                Err(WorkerFailure {
                    kind: ErrorKind::Timeout,
                    message: format!(
                        "no answer within the script_timeout of {} s: worker killed{}",
                        timeout.as_secs_f64(),
                        self.tail()
                    ),
                })
            }
            Ok(Ok(Some(line))) => serde_json::from_str::<Reply>(&line).map_err(|e| {
                self.kill();
                let shown: String = line.chars().take(200).collect();
                WorkerFailure {
                    kind: ErrorKind::Worker,
                    message: format!(
                        "the worker printed something that is not a reply ({e}): {shown:?}{}",
                        self.tail()
                    ),
                }
            }),
            Ok(Ok(None)) => Err(self.died("the worker exited".into()).await),
            Ok(Err(e)) => Err(self.died(format!("cannot read from the worker: {e}")).await),
        }
    }

    /// The worker is gone: how it ended, and what it said last.
    async fn died(&mut self, what: String) -> WorkerFailure {
        let status = match &mut self.proc {
            Proc::Child(c) => {
                match tokio::time::timeout(Duration::from_millis(500), c.wait()).await {
                    Ok(Ok(s)) => Some(s.to_string()),
                    _ => None,
                }
            }
            Proc::Forked { pid, zygote } => {
                let s = zygote.status(*pid).await;
                if s.is_some() {
                    // Reaped: its pid may be reused, never signal it again.
                    *pid = 0;
                }
                s
            }
        };
        let status = match status {
            Some(s) => format!(" ({s})"),
            None => {
                self.kill();
                String::new()
            }
        };
        // Its last stderr lines may still be on their way.
        tokio::time::sleep(Duration::from_millis(20)).await;
        WorkerFailure {
            kind: ErrorKind::Worker,
            message: format!("{what}{status}{}", self.tail()),
        }
    }

    fn tail(&self) -> String {
        let t = self.stderr.lock().expect("not poisoned");
        if t.is_empty() {
            String::new()
        } else {
            let lines: Vec<&str> = t.iter().map(String::as_str).collect();
            format!("; its stderr ends: {}", lines.join("\n"))
        }
    }
}

/// A virtual user's worker across its iterations: started on demand,
/// restarted after a failure, retired after `MAX_FAILURES` in a row.
pub struct ScriptUser {
    spec: Arc<ScriptSpec>,
    user: u32,
    worker: Option<Worker>,
    failures: u32,
}

impl ScriptUser {
    pub fn new(spec: Arc<ScriptSpec>, user: u32, worker: Option<Worker>) -> ScriptUser {
        ScriptUser {
            spec,
            user,
            worker,
            failures: 0,
        }
    }

    /// True once the user has failed too often to go on.
    pub fn retired(&self) -> bool {
        self.failures >= MAX_FAILURES
    }

    /// One iteration: (re)starts the worker if needed, then `run()`.
    pub async fn iteration(&mut self, n: u64) -> RunOutcome {
        let sent = Instant::now();
        if self.worker.is_none() {
            match Worker::start(&self.spec, self.user).await {
                Ok(w) => self.worker = Some(w),
                Err(f) => return self.failed(sent, f),
            }
        }
        let w = self.worker.as_mut().expect("started above");
        match w.run(n, self.spec.timeout).await {
            Ok(o) => {
                self.failures = 0;
                o
            }
            Err(f) => {
                // Dropping the worker kills it; the next iteration starts anew.
                self.worker = None;
                self.failed(sent, f)
            }
        }
    }

    fn failed(&mut self, sent: Instant, f: WorkerFailure) -> RunOutcome {
        self.failures += 1;
        let mut message = f.message;
        if self.retired() {
            message.push_str(&format!(
                " (user retired after {MAX_FAILURES} worker failures in a row)"
            ));
        }
        RunOutcome {
            sent,
            elapsed: sent.elapsed().as_secs_f64(),
            timers: BTreeMap::new(),
            error: Some((f.kind, message)),
        }
    }

    pub async fn stop(self) {
        if let Some(w) = self.worker {
            w.stop().await;
        }
    }
}

/// Starts `command` in `dir` with piped stdio, in a process group of its
/// own: a Ctrl-C at the terminal reaches pace, which lets in-flight
/// iterations finish, not the workers; and the group is what a kill
/// takes down. The process dies with pace (sys.rs). `inherit`, if any, is
/// a descriptor the process keeps under its number.
async fn spawn(
    command: &[String],
    dir: &Path,
    env: &[(String, String)],
    inherit: Option<std::os::fd::RawFd>,
) -> Result<Child, WorkerFailure> {
    let fail = |message: String| WorkerFailure {
        kind: ErrorKind::Worker,
        message,
    };
    let (program, args) = command
        .split_first()
        .ok_or_else(|| fail("no worker command".into()))?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(dir)
        .env("PYTHONUNBUFFERED", "1")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd.process_group(0);
    sys::die_with_pace(&mut cmd);
    if let Some(fd) = inherit {
        sys::inherit(&mut cmd, fd);
    }
    sys::spawn(cmd).await.map_err(|e| {
        // The built-in worker's source is an argument: named, not shown.
        let shown: Vec<&str> = command
            .iter()
            .map(|a| match a.as_str() {
                PYTHON_WORKER => "<pace's worker>",
                a => a,
            })
            .collect();
        fail(format!(
            "cannot start the worker `{}`: {e}",
            shown.join(" ")
        ))
    })
}

/// Appends a worker's stderr line to workers.log.
fn write_log(log: &Option<Log>, who: &str, line: &str) {
    if let Some(log) = log
        && let Ok(mut f) = log.lock()
    {
        let LogFile { out, redactor } = &mut *f;
        let _ = writeln!(out, "{who}{}", redactor.redact(line));
    }
}

/// Starts every user's worker before the run's clock starts, a few at a
/// time, so that iterations begin on schedule. A user whose worker fails
/// here gets `None` and tries again at its first iteration, where the
/// failure is counted.
pub async fn prestart(spec: &Arc<ScriptSpec>, users: &[u64]) -> Vec<Option<Worker>> {
    if spec.forkable && spec.zygote.get().is_none() {
        // A script that does not import stays on a process per worker:
        // each user then reports the error at its iteration.
        if let Ok(z) = Zygote::start(spec).await {
            let _ = spec.zygote.set(z);
        }
    }
    let parallel = std::thread::available_parallelism()
        .map(|n| n.get() * 4)
        .unwrap_or(8);
    let sem = Arc::new(tokio::sync::Semaphore::new(parallel));
    let mut set = tokio::task::JoinSet::new();
    for &u in users {
        let (spec, sem) = (spec.clone(), sem.clone());
        set.spawn(async move {
            let _permit = sem.acquire_owned().await.ok();
            (u, Worker::start(&spec, u as u32).await.ok())
        });
    }
    // Indexed by user id: a shard's users are every N-th.
    let len = users.iter().max().map_or(0, |m| m + 1);
    let mut out: Vec<Option<Worker>> = (0..len).map(|_| None).collect();
    while let Some(r) = set.join_next().await {
        if let Ok((u, w)) = r {
            out[u as usize] = w;
        }
    }
    out
}
