//! Results folders pace itself wrote, made once per test binary: a run
//! sharded in two (`pace run --shard 0/2` and `1/2`) and a stair run of
//! two levels, both against the embedded target (no network beyond
//! 127.0.0.1; about 4 s of runs). The targets `merge_shards`,
//! `capacity_input` and `stair_folders` start from their files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A folder as its files (relative path -> bytes); sub-folders by their
/// relative path (`level-01-1users/summary.json`).
pub type Files = BTreeMap<String, Vec<u8>>;

pub struct Folders {
    /// The two shards of one run, index 0 then 1.
    pub shards: Vec<Files>,
    /// A stair run's folder (its summary.json, plan.toml, and its levels'
    /// folders).
    pub stair: Files,
}

const SHARD_PLAN: &str = r#"
[target]
tps = 80
response_time = "20ms"
[target.embedded]
latency = "5ms"
[run]
duration = "1500ms"
ramp_up = "0s"
ts_interval = "500ms"
grace = "1s"
[[group]]
name = "g"
users = 4
pacing = { mode = "fixed", interval = "100ms" }
[[group.step]]
name = "home"
url = "${PACE_TARGET}/"
[[group.step]]
name = "item"
url = "${PACE_TARGET}/item"
"#;

const STAIR_PLAN: &str = r#"
[target]
tps = 10.0
response_time = "20ms"
[target.embedded]
latency = "5ms"
[run]
ts_interval = "500ms"
grace = "1s"
[run.stairs]
users = [1, 2]
hold = "1s"
ramp = "200ms"
min_rate = "1%"
[[group]]
name = "g"
users = 1
pacing = { mode = "after-end", delay = "80ms" }
[[group.step]]
name = "home"
url = "${PACE_TARGET}/"
[acceptance]
tolerance = "90%"
"#;

/// The folders, made on first use (the process's one copy).
pub fn get() -> &'static Folders {
    static F: OnceLock<Folders> = OnceLock::new();
    F.get_or_init(make)
}

fn pace(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pace"))
        .current_dir(dir)
        .args(args)
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("PACE_START_AT")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("pace runs");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "fuzz setup: pace {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn spawn(dir: &Path, args: &[String]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_pace"))
        .current_dir(dir)
        .args(args)
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("PACE_START_AT")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("pace starts")
}

/// The one results folder under `root`.
fn only_folder(root: &Path) -> PathBuf {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("a results folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(v.len(), 1, "fuzz setup: one results folder in {root:?}");
    v.remove(0)
}

/// Every file under `dir` (report pages and the lock left out: no reader
/// fuzzed here reads them).
pub fn read_files(dir: &Path) -> Files {
    let mut out = Files::new();
    fn walk(base: &Path, dir: &Path, out: &mut Files) {
        for e in std::fs::read_dir(dir).expect("read the folder").flatten() {
            let p = e.path();
            let rel = p.strip_prefix(base).unwrap().display().to_string();
            if p.is_dir() {
                walk(base, &p, out);
            } else if !(rel.ends_with(".html")
                || rel.ends_with(".xml")
                || rel.ends_with(".jtl")
                || rel.contains(".pace-lock"))
            {
                out.insert(rel, std::fs::read(&p).expect("read a file"));
            }
        }
    }
    walk(dir, dir, &mut out);
    out
}

/// Writes `files` into `dir` (emptied first).
pub fn write_files(dir: &Path, files: &Files) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("a scratch folder");
    for (rel, bytes) in files {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("a scratch sub-folder");
        }
        std::fs::write(&p, bytes).expect("write a scratch file");
    }
}

fn make() -> Folders {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let root = tmp.path();
    std::fs::write(root.join("plan.toml"), SHARD_PLAN).unwrap();
    std::fs::write(root.join("stairs.toml"), STAIR_PLAN).unwrap();
    // The two shards run at once, from one --start-at: a merge of them is
    // complete (within --max-skew) and judged.
    let at = std::time::SystemTime::now() + std::time::Duration::from_secs(3);
    let at = humantime::format_rfc3339_seconds(at).to_string();
    let children: Vec<_> = (0..2)
        .map(|k| {
            let out = root.join(format!("shard{k}"));
            let args: Vec<String> = [
                "run",
                "plan.toml",
                "--quiet",
                "--seed",
                "7",
                "--shard",
                &format!("{k}/2"),
                "--start-at",
                &at,
                "--results-dir",
                out.to_str().unwrap(),
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            (out, spawn(root, &args))
        })
        .collect();
    let mut shards = Vec::new();
    for (out, child) in children {
        let o = child.wait_with_output().expect("pace runs");
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "fuzz setup: a shard failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        shards.push(read_files(&only_folder(&out)));
    }
    let out = root.join("stair");
    pace(
        root,
        &[
            "run",
            "stairs.toml",
            "--quiet",
            "--seed",
            "7",
            "--results-dir",
            out.to_str().unwrap(),
        ],
    );
    let stair = read_files(&only_folder(&out));
    Folders { shards, stair }
}

// ---------------------------------------------------------------- mutations

use crate::engine::Rng;
use crate::mutate::{self, NUMBERS, STRINGS};
use serde_json::Value;

/// Every leaf of a JSON value, as a JSON pointer.
fn leaves(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                leaves(
                    x,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                leaves(x, format!("{at}/{i}"), out);
            }
        }
        _ => out.push(at),
    }
}

/// Every object and array of a JSON value, as a JSON pointer.
fn containers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            out.push(at.clone());
            for (k, x) in m {
                containers(
                    x,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            out.push(at.clone());
            for (i, x) in a.iter().enumerate() {
                containers(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// A JSON value of another type, or a number at an edge.
fn edge_value(rng: &mut Rng, old: &Value) -> Value {
    match rng.below(6) {
        0..=2 => {
            let t = match old.as_f64() {
                Some(v) => mutate::number(rng, Some(v)),
                None => rng.pick(NUMBERS).to_string(),
            };
            // NUMBERS holds what JSON cannot say (nan, 0x10): as strings.
            serde_json::from_str(&t).unwrap_or(Value::String(t))
        }
        3 => Value::String(rng.pick(STRINGS).to_string()),
        4 => rng.pick(&[Value::Null, Value::Bool(true), Value::Bool(false)]),
        _ => rng.pick(&[
            serde_json::json!([]),
            serde_json::json!({}),
            serde_json::json!(u64::MAX),
            serde_json::json!(i64::MIN),
            serde_json::json!(1e308),
            serde_json::json!(-1e308),
            serde_json::json!(5e-324),
        ]),
    }
}

/// One structured edit of a JSON document: a leaf replaced by a value of
/// its type at an edge or of another type, a key removed, an array's
/// element repeated or removed; or, 1 in 6, a text-level edit.
pub fn mutate_json(rng: &mut Rng, text: &str) -> String {
    let Ok(mut v) = serde_json::from_str::<Value>(text) else {
        return mutate::text_edit(rng, text);
    };
    if rng.chance(1, 6) {
        return mutate::text_edit(rng, text);
    }
    let mut ls = Vec::new();
    leaves(&v, String::new(), &mut ls);
    let mut cs = Vec::new();
    containers(&v, String::new(), &mut cs);
    match rng.below(5) {
        0..=2 if !ls.is_empty() => {
            for _ in 0..rng.between(1, 2) {
                let p = rng.pick(&ls);
                if let Some(x) = v.pointer_mut(&p) {
                    *x = edge_value(rng, x);
                }
            }
        }
        3 if !cs.is_empty() => {
            let p = rng.pick(&cs);
            match v.pointer_mut(&p) {
                Some(Value::Object(m)) if !m.is_empty() => {
                    let k = m.keys().nth(rng.below(m.len())).cloned().unwrap();
                    m.remove(&k);
                }
                Some(Value::Array(a)) if !a.is_empty() => {
                    let i = rng.below(a.len());
                    if rng.chance(1, 2) {
                        a.remove(i);
                    } else {
                        let x = a[i].clone();
                        for _ in 0..rng.between(1, 40) {
                            a.insert(i, x.clone());
                        }
                    }
                }
                _ => {}
            }
        }
        _ => return mutate::perturb_digits(rng, text),
    }
    serde_json::to_string_pretty(&v).unwrap_or_else(|_| text.to_string())
}

thread_local! {
    /// Set when [`mutate_hlog`] put a histogram of another precision or
    /// range in a log (the generator of `merge_shards` reads it).
    pub static FOREIGN_HISTOGRAM: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// One edit of an HdrHistogram interval log: a line removed, repeated
/// or cut; a number of a line's prefix perturbed; a histogram's bytes
/// (decoded from base64 and encoded again) flipped, cut or grown; a
/// histogram of another precision and range in place of one (valid, as
/// another tool would write it); or a text-level edit.
pub fn mutate_hlog(rng: &mut Rng, bytes: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let text = String::from_utf8_lossy(bytes).into_owned();
    let mut ls = mutate::lines(&text);
    let hist_lines: Vec<usize> = (0..ls.len()).filter(|&i| ls[i].contains("HIST")).collect();
    match rng.below(8) {
        0 | 1 if !hist_lines.is_empty() => {
            let i = rng.pick(&hist_lines);
            let (head, enc) = ls[i].rsplit_once(',').unwrap();
            let mut raw = b64.decode(enc).unwrap_or_default();
            match rng.below(4) {
                0 if !raw.is_empty() => {
                    // A byte of the header (cookie, length) or the data.
                    let head_only = rng.chance(1, 2);
                    let j = rng.below(raw.len().min(if head_only { 16 } else { usize::MAX }));
                    raw[j] = rng.pick(&[0, 0xff, 0x7f, 0x80, raw[j] ^ 1, raw[j].wrapping_add(1)]);
                }
                1 => raw.truncate(rng.below(raw.len() + 1)),
                2 if raw.len() >= 8 => {
                    // The payload length says more (or less) than there is.
                    let n: u32 = rng.pick(&[0, 1, 0x7fff_ffff, 0xffff_ffff, 1 << 20]);
                    raw[4..8].copy_from_slice(&n.to_be_bytes());
                }
                _ => raw.extend(std::iter::repeat_n(
                    rng.pick(&[0u8, 0xff]),
                    rng.between(1, 64),
                )),
            }
            ls[i] = format!("{head},{}", b64.encode(&raw));
        }
        2 if !hist_lines.is_empty() => {
            let i = rng.pick(&hist_lines);
            let (head, _) = ls[i].rsplit_once(',').unwrap();
            let (low, high, sig) = rng.pick(&[
                (1u64, u64::MAX / 2, 5u8),
                (1, 2, 0),
                (1, 1 << 40, 3),
                (1000, 1 << 20, 2),
                (1, u64::MAX / 2, 1),
            ]);
            if let Ok(mut h) = hdrhistogram::Histogram::<u64>::new_with_bounds(low, high, sig) {
                for v in [low, high / 2, high] {
                    let _ = h.record(v);
                }
                let mut raw = Vec::new();
                let _ = hdrhistogram::serialization::Serializer::serialize(
                    &mut hdrhistogram::serialization::V2DeflateSerializer::new(),
                    &h,
                    &mut raw,
                );
                ls[i] = format!("{head},{}", b64.encode(&raw));
                FOREIGN_HISTOGRAM.set(true);
            }
        }
        3 if !ls.is_empty() => {
            let i = rng.below(ls.len());
            if rng.chance(1, 2) {
                ls.remove(i);
            } else {
                let l = ls[i].clone();
                for _ in 0..rng.between(1, 30) {
                    ls.insert(i, l.clone());
                }
            }
        }
        4 if !ls.is_empty() => {
            let i = rng.below(ls.len());
            ls[i] = mutate::perturb_digits(rng, &ls[i]);
        }
        5 => {
            let cut = rng.below(bytes.len() + 1);
            return bytes[..cut].to_vec();
        }
        _ => return mutate::text_edit(rng, &text).into_bytes(),
    }
    mutate::join(&ls).into_bytes()
}

/// One edit of a plan.toml in a results folder: a number perturbed, a
/// line edited, removed or repeated.
pub fn mutate_plan_text(rng: &mut Rng, text: &str) -> String {
    if rng.chance(1, 2) {
        mutate::perturb_digits(rng, text)
    } else {
        mutate::text_edit(rng, text)
    }
}

/// One edit of a results folder: a file edited by its kind, removed, or
/// (for a sub-folder) dropped whole.
pub fn mutate_folder(rng: &mut Rng, files: &mut Files) {
    let names: Vec<String> = files.keys().cloned().collect();
    if names.is_empty() {
        return;
    }
    let name = rng.pick(&names);
    if rng.chance(1, 25) {
        files.remove(&name);
        return;
    }
    let bytes = files.get(&name).cloned().unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let new: Vec<u8> = if name.ends_with("summary.json") {
        mutate_json(rng, &text).into_bytes()
    } else if name.ends_with("samples.csv") {
        crate::samples::mutate_samples(rng, &text).into_bytes()
    } else if name.ends_with(".hlog") {
        mutate_hlog(rng, &bytes)
    } else if name.ends_with("plan.toml") {
        mutate_plan_text(rng, &text).into_bytes()
    } else {
        mutate::text_edit(rng, &text).into_bytes()
    };
    files.insert(name, new);
}

/// The files of a folder, as a person reads them.
pub fn render_files(label: &str, files: &Files) -> String {
    let mut s = String::new();
    for (name, bytes) in files {
        s.push_str(&format!("## {label}/{name}\n"));
        if name.ends_with(".hlog") || std::str::from_utf8(bytes).is_err() {
            s.push_str(&String::from_utf8_lossy(bytes));
        } else {
            s.push_str(std::str::from_utf8(bytes).unwrap());
        }
        s.push('\n');
    }
    s
}

/// Smaller folders: each file removed, each text file's lines halved.
pub fn shrink_files(files: &Files) -> Vec<Files> {
    let mut out = Vec::new();
    for name in files.keys() {
        let mut f = files.clone();
        f.remove(name);
        out.push(f);
    }
    for (name, bytes) in files {
        if let Ok(t) = std::str::from_utf8(bytes) {
            for cand in mutate::shrink_lines(t).into_iter().take(8) {
                let mut f = files.clone();
                f.insert(name.clone(), cand.into_bytes());
                out.push(f);
            }
        }
    }
    out
}

/// Total bytes of a folder's files.
pub fn size(files: &Files) -> usize {
    files.values().map(Vec::len).sum()
}

/// The setting `PACE_FUZZ_BIN_EVERY` (the binary's share of cases) with
/// a target's own default.
pub fn every(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
        .max(1)
}
