//! One Python process per script group that imports the script once and
//! forks a worker per user on request (worker.py `--zygote`). Starting an
//! interpreter costs tens of milliseconds of CPU (here ~35 ms, most of it
//! `site`); a fork costs about one, so 500 users start in about a second
//! instead of fifteen, and share the interpreter's memory.
//!
//! pace talks to the zygote on its stdin/stdout (`init` to import the
//! script, `fork`, `status`), one request at a time. For each fork the
//! zygote makes a socket pair, gives one end to the new worker and sends
//! the other to pace over a third socket (`SCM_RIGHTS`) before it answers;
//! the worker then speaks the usual worker protocol on it. Nothing is
//! bound to a name, so nothing is left in the file system when pace is
//! killed, and no other process can connect in a worker's place. Workers
//! share the zygote's stderr; each line carries its user's mark
//! (`\x1f<user>\x1f`), so pace files it under the right user.

use super::{
    Log, PROTOCOL, Proc, ScriptSpec, Tail, Worker, WorkerFailure, push_tail, spawn, sys, write_log,
};
use crate::results::sample::ErrorKind;
use serde::Deserialize;
use std::collections::HashMap;
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::UnixStream;
use tokio::process::{Child, ChildStdin, ChildStdout};

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

/// The zygote's channels, used by one request at a time: a fork's answer
/// and the connection it sends belong together.
struct Io {
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    /// Where forked workers' connections arrive.
    conns: UnixStream,
}

/// One script group's zygote.
pub struct Zygote {
    child: tokio::sync::Mutex<Child>,
    io: tokio::sync::Mutex<Io>,
    /// Each user's stderr tail.
    tails: Arc<Mutex<HashMap<u32, Tail>>>,
}

fn failure(message: String) -> WorkerFailure {
    WorkerFailure {
        kind: ErrorKind::Worker,
        message,
    }
}

impl Zygote {
    /// Starts the group's zygote and has it import the script; an error
    /// (the script does not import) leaves the group on one process per
    /// worker, where each user reports it.
    pub async fn start(spec: &ScriptSpec) -> Result<Arc<Zygote>, WorkerFailure> {
        let fail = |e: std::io::Error| failure(format!("the worker zygote's socket: {e}"));
        let (ours, theirs) = std::os::unix::net::UnixStream::pair().map_err(fail)?;
        ours.set_nonblocking(true).map_err(fail)?;
        let conns = UnixStream::from_std(ours).map_err(fail)?;
        let mut command = spec.command.clone();
        command.push("--zygote".into());
        command.push(theirs.as_raw_fd().to_string());
        let mut child = spawn(
            &command,
            &spec.project_dir,
            &spec.env,
            Some(theirs.as_raw_fd()),
        )
        .await?;
        // Only the zygote holds this end now: its death is an end of file.
        drop(theirs);
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
        let z = Zygote {
            child: tokio::sync::Mutex::new(child),
            io: tokio::sync::Mutex::new(Io {
                stdin,
                stdout,
                conns,
            }),
            tails,
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
        ask(&mut *self.io.lock().await, req, timeout).await
    }

    /// Forks user `user`'s worker and takes its connection.
    pub async fn fork(
        self: &Arc<Self>,
        user: u32,
        timeout: Duration,
    ) -> Result<Worker, WorkerFailure> {
        let tail: Tail = Arc::default();
        self.tails
            .lock()
            .expect("not poisoned")
            .insert(user, tail.clone());
        let (pid, conn) = {
            let mut io = self.io.lock().await;
            let a = ask(
                &mut io,
                &serde_json::json!({"op": "fork", "thread_num": user}),
                timeout,
            )
            .await?;
            let pid = a.pid.filter(|_| a.ok).ok_or_else(|| {
                failure(format!(
                    "the worker zygote could not fork: {}",
                    a.error.unwrap_or_default()
                ))
            })?;
            // The zygote sent the connection before it answered.
            match tokio::time::timeout(timeout, sys::recv_fd(&io.conns)).await {
                Ok(Ok(Some(fd))) => (pid, fd),
                other => {
                    sys::kill_tree(pid);
                    let why = match other {
                        Ok(Ok(_)) => "the zygote closed it".to_string(),
                        Ok(Err(e)) => e.to_string(),
                        Err(_) => format!("not within {} s", timeout.as_secs_f64()),
                    };
                    return Err(failure(format!(
                        "the forked worker's connection did not arrive: {why}"
                    )));
                }
            }
        };
        let conn = std::os::unix::net::UnixStream::from(conn);
        let stream = conn
            .set_nonblocking(true)
            .and_then(|()| UnixStream::from_std(conn));
        let (read, write) = match stream {
            Ok(s) => s.into_split(),
            Err(e) => {
                sys::kill_tree(pid);
                return Err(failure(format!("the forked worker's connection: {e}")));
            }
        };
        Ok(Worker::new(
            Proc::Forked {
                pid,
                zygote: self.clone(),
            },
            Box::new(write),
            Box::new(BufReader::new(read)),
            tail,
        ))
    }

    /// Stops the zygote once its workers have stopped: it reaps them and
    /// exits (killed if it takes longer than `wait`).
    pub async fn shutdown(&self, wait: Duration) {
        {
            let mut io = self.io.lock().await;
            let _ = io.stdin.write_all(b"{\"op\":\"stop\"}\n").await;
            let _ = io.stdin.flush().await;
        }
        let mut child = self.child.lock().await;
        if tokio::time::timeout(wait, child.wait()).await.is_err()
            && let Some(pid) = child.id()
        {
            sys::kill_tree(pid as i32);
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

/// One request to the zygote and its answer, on channels already locked.
async fn ask(
    io: &mut Io,
    req: &serde_json::Value,
    timeout: Duration,
) -> Result<Answer, WorkerFailure> {
    let fail = |message: String| failure(format!("the worker zygote {message}"));
    let mut line = serde_json::to_vec(req).expect("plain JSON");
    line.push(b'\n');
    io.stdin
        .write_all(&line)
        .await
        .map_err(|e| fail(format!("cannot be written to: {e}")))?;
    io.stdin
        .flush()
        .await
        .map_err(|e| fail(format!("cannot be written to: {e}")))?;
    match tokio::time::timeout(timeout, io.stdout.next_line()).await {
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

#[cfg(test)]
mod tests {
    use super::super::PYTHON_WORKER;
    use super::*;
    use std::io::Write;

    /// The watchdog: a zygote whose input ends without a stop (pace was
    /// killed) kills its workers, even one deep in run(), and exits; it
    /// does not wait for them.
    #[tokio::test]
    async fn a_zygote_whose_input_ends_kills_its_workers_and_exits() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("sleeper.py");
        std::fs::File::create(&script)
            .unwrap()
            .write_all(
                b"import time\nclass Transaction:\n    def run(self):\n        \
                  open('in_run', 'w').close()\n        time.sleep(3600)\n",
            )
            .unwrap();
        let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
        ours.set_nonblocking(true).unwrap();
        let conns = UnixStream::from_std(ours).unwrap();
        let fd = theirs.as_raw_fd();
        let command: Vec<String> = ["python3", "-c", PYTHON_WORKER, "--zygote", &fd.to_string()]
            .map(String::from)
            .to_vec();
        let mut child = spawn(&command, dir.path(), &[], Some(fd)).await.unwrap();
        drop(theirs);
        let mut stdin = child.stdin.take().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
        let limit = Duration::from_secs(30);
        let init = serde_json::json!({
            "op": "init", "protocol": 1, "thread_num": 0,
            "script": script.display().to_string(),
            "project_dir": dir.path().display().to_string(),
        });
        let mut line = init.to_string();
        line.push('\n');
        for req in [line.as_str(), "{\"op\":\"fork\",\"thread_num\":0}\n"] {
            stdin.write_all(req.as_bytes()).await.unwrap();
            let answer = tokio::time::timeout(limit, out.next_line()).await;
            let answer = answer.unwrap().unwrap().unwrap();
            assert!(answer.contains("\"ok\": true"), "{answer}");
        }
        let conn = tokio::time::timeout(limit, sys::recv_fd(&conns)).await;
        let conn = std::os::unix::net::UnixStream::from(conn.unwrap().unwrap().unwrap());
        conn.set_nonblocking(true).unwrap();
        let (read, mut write) = UnixStream::from_std(conn).unwrap().into_split();
        let mut replies = BufReader::new(read).lines();
        write
            .write_all(format!("{line}{{\"op\":\"run\",\"iteration\":1}}\n").as_bytes())
            .await
            .unwrap();
        let loaded = tokio::time::timeout(limit, replies.next_line()).await;
        let loaded = loaded.unwrap().unwrap().unwrap();
        assert!(loaded.contains("\"ok\": true"), "{loaded}");
        let deadline = tokio::time::Instant::now() + limit;
        while !dir.path().join("in_run").exists() {
            assert!(tokio::time::Instant::now() < deadline, "run() never began");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }

        drop(stdin);
        let exited = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
        assert!(exited.is_ok(), "the zygote waited for its sleeping worker");
        // The worker is gone too: its end of the connection has closed.
        let ended = tokio::time::timeout(Duration::from_secs(5), replies.next_line()).await;
        assert!(matches!(ended, Ok(Ok(None))), "{ended:?}");
    }
}
