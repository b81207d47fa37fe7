//! One Python process per script group that imports the script once and
//! forks a worker per user on request (worker.py `--zygote`). Starting an
//! interpreter costs tens of milliseconds of CPU (here ~35 ms, most of it
//! `site`); a fork costs about one, so 500 users start in about a second
//! instead of fifteen, and share the interpreter's memory.
//!
//! pace talks to the zygote on its stdin/stdout (`init` to import the
//! script, `fork`, `status`), one request at a time. A forked worker
//! connects to a Unix socket pace listens on, says which user it is, and
//! then speaks the usual worker protocol on the socket. Workers share the
//! zygote's stderr; each line carries its user's mark (`\x1f<user>\x1f`),
//! so pace files it under the right user.

use super::{
    Log, PROTOCOL, Proc, ScriptSpec, Tail, Worker, WorkerFailure, push_tail, spawn, write_log,
};
use crate::results::sample::ErrorKind;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::{UnixListener, UnixStream};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::sync::oneshot;

/// A forked worker's connection, handed to the user that asked for it.
type Conn = (
    BufReader<tokio::net::unix::OwnedReadHalf>,
    tokio::net::unix::OwnedWriteHalf,
);

#[derive(Debug, Deserialize)]
struct Answer {
    ok: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    pid: Option<i32>,
    #[serde(default)]
    exited: Option<bool>,
    #[serde(default)]
    code: Option<i32>,
    #[serde(default)]
    signal: Option<i32>,
}

#[derive(Debug, Deserialize)]
struct Hello {
    hello: u32,
}

pub struct Zygote {
    child: tokio::sync::Mutex<Child>,
    io: tokio::sync::Mutex<(ChildStdin, Lines<BufReader<ChildStdout>>)>,
    /// Users waiting for their forked worker to connect.
    waiting: Arc<Mutex<HashMap<u32, oneshot::Sender<Conn>>>>,
    /// Each user's stderr tail.
    tails: Arc<Mutex<HashMap<u32, Tail>>>,
    socket: PathBuf,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for Zygote {
    fn drop(&mut self) {
        self.accept.abort();
        let _ = std::fs::remove_file(&self.socket);
    }
}

/// Kills a forked worker.
pub fn kill(pid: i32) {
    if pid > 0 {
        // SAFETY: kill(2) on a process id pace got from its own zygote;
        // no memory is involved.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
}

impl Zygote {
    /// Starts the group's zygote and has it import the script; an error
    /// (the script does not import) leaves the group on one process per
    /// worker, where each user reports it.
    pub async fn start(spec: &ScriptSpec) -> Result<Arc<Zygote>, WorkerFailure> {
        let fail = |message: String| WorkerFailure {
            kind: ErrorKind::Worker,
            message,
        };
        let socket = std::env::temp_dir().join(format!(
            "pace-{}-{}.sock",
            std::process::id(),
            spec.process_num
        ));
        let _ = std::fs::remove_file(&socket);
        let listener =
            UnixListener::bind(&socket).map_err(|e| fail(format!("{}: {e}", socket.display())))?;
        let mut command = spec.command.clone();
        command.push("--zygote".into());
        command.push(socket.display().to_string());
        let mut child = spawn(&command, &spec.project_dir)?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped")).lines();
        let tails: Arc<Mutex<HashMap<u32, Tail>>> = Arc::default();
        let err_lines = BufReader::new(child.stderr.take().expect("piped")).lines();
        tokio::spawn(route_stderr(
            err_lines,
            tails.clone(),
            spec.log.clone(),
            spec.group.clone(),
        ));
        let waiting: Arc<Mutex<HashMap<u32, oneshot::Sender<Conn>>>> = Arc::default();
        let accept = tokio::spawn(accept(listener, waiting.clone()));
        let z = Zygote {
            child: tokio::sync::Mutex::new(child),
            io: tokio::sync::Mutex::new((stdin, stdout)),
            waiting,
            tails,
            socket,
            accept,
        };
        let init = serde_json::json!({
            "op": "init",
            "protocol": PROTOCOL,
            "script": spec.script.display().to_string(),
            "project_dir": spec.project_dir.display().to_string(),
            "group": spec.group,
        });
        let a = z.ask(&init, spec.timeout).await?;
        if !a.ok {
            return Err(WorkerFailure {
                kind: ErrorKind::Script,
                message: a
                    .error
                    .unwrap_or_else(|| "the script did not import".into()),
            });
        }
        Ok(Arc::new(z))
    }

    /// One request to the zygote and its answer.
    async fn ask(
        &self,
        req: &serde_json::Value,
        timeout: Duration,
    ) -> Result<Answer, WorkerFailure> {
        let fail = |message: String| WorkerFailure {
            kind: ErrorKind::Worker,
            message: format!("the worker zygote {message}"),
        };
        let mut io = self.io.lock().await;
        let mut line = serde_json::to_vec(req).expect("plain JSON");
        line.push(b'\n');
        io.0.write_all(&line)
            .await
            .map_err(|e| fail(format!("cannot be written to: {e}")))?;
        io.0.flush()
            .await
            .map_err(|e| fail(format!("cannot be written to: {e}")))?;
        match tokio::time::timeout(timeout, io.1.next_line()).await {
            Ok(Ok(Some(l))) => serde_json::from_str(&l)
                .map_err(|e| fail(format!("answered something else ({e}): {l:?}"))),
            Ok(Ok(None)) => Err(fail("exited".into())),
            Ok(Err(e)) => Err(fail(format!("cannot be read: {e}"))),
            Err(_) => Err(fail(format!(
                "did not answer within {} s",
                timeout.as_secs_f64()
            ))),
        }
    }

    /// Forks user `user`'s worker and waits for it to connect.
    pub async fn fork(
        self: &Arc<Self>,
        user: u32,
        timeout: Duration,
    ) -> Result<Worker, WorkerFailure> {
        let (tx, rx) = oneshot::channel();
        self.waiting.lock().expect("not poisoned").insert(user, tx);
        let tail: Tail = Arc::default();
        self.tails
            .lock()
            .expect("not poisoned")
            .insert(user, tail.clone());
        let a = self
            .ask(
                &serde_json::json!({"op": "fork", "thread_num": user}),
                timeout,
            )
            .await?;
        let pid = a.pid.filter(|_| a.ok).ok_or_else(|| WorkerFailure {
            kind: ErrorKind::Worker,
            message: format!(
                "the worker zygote could not fork: {}",
                a.error.unwrap_or_default()
            ),
        })?;
        let (read, write) = match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(c)) => c,
            _ => {
                kill(pid);
                self.waiting.lock().expect("not poisoned").remove(&user);
                let t: Vec<String> = tail.lock().expect("not poisoned").iter().cloned().collect();
                return Err(WorkerFailure {
                    kind: ErrorKind::Worker,
                    message: format!(
                        "the forked worker did not connect within {} s; its stderr ends: {}",
                        timeout.as_secs_f64(),
                        t.join("\n")
                    ),
                });
            }
        };
        Ok(Worker::new(
            Proc::Forked {
                pid,
                zygote: self.clone(),
            },
            Box::new(write),
            Box::new(read),
            tail,
        ))
    }

    /// Stops the zygote once its workers have stopped: it reaps them and
    /// exits (killed if it takes longer than `wait`).
    pub async fn shutdown(&self, wait: Duration) {
        {
            let mut io = self.io.lock().await;
            let _ = io.0.write_all(b"{\"op\":\"stop\"}\n").await;
            let _ = io.0.flush().await;
        }
        let mut child = self.child.lock().await;
        if tokio::time::timeout(wait, child.wait()).await.is_err() {
            let _ = child.start_kill();
        }
    }

    /// How a forked worker ended, if it has ("exit status: 3").
    pub async fn status(&self, pid: i32) -> Option<String> {
        for _ in 0..25 {
            let a = self
                .ask(
                    &serde_json::json!({"op": "status", "pid": pid}),
                    Duration::from_secs(2),
                )
                .await
                .ok()?;
            if a.exited == Some(true) {
                return Some(match (a.code, a.signal) {
                    (_, Some(sig)) => format!("signal: {sig}"),
                    (Some(code), _) => format!("exit status: {code}"),
                    _ => "exited".into(),
                });
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }
}

/// Hands each connecting worker to the user it says it is.
async fn accept(listener: UnixListener, waiting: Arc<Mutex<HashMap<u32, oneshot::Sender<Conn>>>>) {
    while let Ok((stream, _)) = listener.accept().await {
        let waiting = waiting.clone();
        tokio::spawn(async move {
            let (read, write) = UnixStream::into_split(stream);
            let mut read = BufReader::new(read);
            let mut line = String::new();
            let hello =
                tokio::time::timeout(Duration::from_secs(10), read.read_line(&mut line)).await;
            if let (Ok(Ok(n)), Ok(h)) = (hello, serde_json::from_str::<Hello>(&line))
                && n > 0
                && let Some(tx) = waiting.lock().expect("not poisoned").remove(&h.hello)
            {
                let _ = tx.send((read, write));
            }
        });
    }
}

/// Files each stderr line of the zygote's workers under its user.
async fn route_stderr(
    mut lines: Lines<BufReader<tokio::process::ChildStderr>>,
    tails: Arc<Mutex<HashMap<u32, Tail>>>,
    log: Option<Log>,
    group: String,
) {
    while let Ok(Some(line)) = lines.next_line().await {
        let marked = line.strip_prefix('\u{1f}').and_then(|rest| {
            let (user, text) = rest.split_once('\u{1f}')?;
            Some((user.parse::<u32>().ok()?, text.to_string()))
        });
        match marked {
            Some((user, text)) => {
                write_log(&log, &format!("[{group} user {user}] "), &text);
                if let Some(t) = tails.lock().expect("not poisoned").get(&user) {
                    push_tail(t, text);
                }
            }
            None => write_log(&log, &format!("[{group}] "), &line),
        }
    }
}
