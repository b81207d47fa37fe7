//! `pace merge`: the results folders of one plan's shards (`pace run
//! --shard I/N`) made into one run, judged once.
//!
//! Loading and checking ([`load`], [`check`]): every folder is a shard
//! (`meta.shard` in its summary.json), all of one count N, one plan (its
//! SHA-256, recomputed from each folder's plan.toml) and one seed, no index
//! twice (a retried shard would count its share twice). What is refused is
//! an error; what only makes the result untrustworthy (a missing, late,
//! interrupted or failed shard, or shards that started too far apart) is a
//! reason for an INCOMPLETE verdict ([`incomplete_reasons`]), and the
//! present shards are still merged.
//!
//! One clock ([`clock`]): the shards' common start-at, or the earliest
//! shard's origin; each shard's sample times move by the distance from
//! its origin to that one. One window ([`window`]): the steady state every
//! shard covered (MinIO warp's rule for merging its clients' benchmarks).
//! The samples themselves are folded in [`fold`].

pub mod fold;

use crate::results::summary::{RunMeta, ShardMeta, ShardRow, Summary};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The start skew `pace merge` accepts by default, seconds: MinIO warp's
/// tolerance between its clients' starts.
pub const DEFAULT_MAX_SKEW_S: f64 = 1.0;

/// One shard's results folder, read.
#[derive(Debug, Clone)]
pub struct Shard {
    pub dir: PathBuf,
    /// Its summary.json's facts (`meta.shard` is `info`).
    pub meta: RunMeta,
    pub info: ShardMeta,
    /// Its plan.toml, byte for byte.
    pub plan_text: String,
    /// Whether it has samples.csv (a late shard, which never started,
    /// may have none).
    pub has_samples: bool,
}

impl Shard {
    /// Whether the shard ran to its end: status `ok` and not partial.
    pub fn whole(&self) -> bool {
        self.info.status == "ok" && !self.meta.partial
    }

    /// Whether its users ran at all (a late shard's never did).
    pub fn ran(&self) -> bool {
        self.info.status != "late"
    }

    /// Its status for the shards table: its own, or `partial` for an `ok`
    /// shard whose results are not whole.
    pub fn status(&self) -> String {
        if self.info.status == "ok" && self.meta.partial {
            "partial".into()
        } else {
            self.info.status.clone()
        }
    }
}

/// SHA-256 of `text`, lower-case hex (as `meta.shard.plan_hash`).
pub fn plan_hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The folders to merge: the arguments, or, for a single argument that is
/// no results folder (no summary.json) but holds some, one or two levels
/// down, those folders in name order.
pub fn expand(args: &[PathBuf]) -> Vec<PathBuf> {
    if let [one] = args
        && one.is_dir()
        && !one.join("summary.json").exists()
    {
        // The folders holding a summary.json one level down, or else two
        // (`--results-dir shards/I` makes shards/I/<timestamp>/).
        let results_in = |d: &Path| -> Vec<PathBuf> {
            let mut v: Vec<PathBuf> = std::fs::read_dir(d)
                .map(|es| {
                    es.filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.is_dir())
                        .collect()
                })
                .unwrap_or_default();
            v.sort();
            v
        };
        let subs = results_in(one);
        let direct: Vec<PathBuf> = subs
            .iter()
            .filter(|p| p.join("summary.json").is_file())
            .cloned()
            .collect();
        if !direct.is_empty() {
            return direct;
        }
        let nested: Vec<PathBuf> = subs
            .iter()
            .flat_map(|s| results_in(s))
            .filter(|p| p.join("summary.json").is_file())
            .collect();
        if !nested.is_empty() {
            return nested;
        }
    }
    args.to_vec()
}

/// Reads one shard folder. Errors are one line naming the folder.
pub fn load(dir: &Path) -> Result<Shard, String> {
    let d = dir.display();
    if !dir.is_dir() {
        return Err(format!("error: {d}: no such results folder"));
    }
    let summary = dir.join("summary.json");
    if !summary.exists() {
        return Err(format!(
            "error: {d}: no summary.json: not a finished shard (a shard killed hard, by SIGKILL or out of memory, writes none: leave it out, and the merge names it missing)"
        ));
    }
    let s: Summary = crate::input::read_text(&summary)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        .map_err(|e| format!("error: {}: unreadable: {e}", summary.display()))?;
    let Some(info) = s.meta.shard.clone() else {
        return Err(format!(
            "error: {d}: not a shard: run with --shard (its summary.json has no meta.shard)"
        ));
    };
    if let Err(e) = crate::plan::segment::Shard::new(info.index, info.count) {
        return Err(format!("error: {d}: meta.shard: {e}"));
    }
    if info.count == 0 || info.index >= info.count {
        return Err(format!(
            "error: {d}: meta.shard says shard {} of {}: not a shard index",
            info.index, info.count
        ));
    }
    let plan_file = dir.join("plan.toml");
    let plan_text = crate::input::read_text(&plan_file)
        .map_err(|e| format!("error: {}: cannot read the plan: {e}", plan_file.display()))?;
    if plan_hash(&plan_text) != info.plan_hash.to_ascii_lowercase() {
        return Err(format!(
            "error: {}: its SHA-256 is not meta.shard.plan_hash: the plan copy was edited after the run",
            plan_file.display()
        ));
    }
    let has_samples = dir.join(crate::results::SAMPLES_FILE).is_file();
    if !has_samples && info.status != "late" {
        return Err(format!(
            "error: {d}: no {}: not a results folder",
            crate::results::SAMPLES_FILE
        ));
    }
    Ok(Shard {
        dir: dir.to_path_buf(),
        meta: s.meta,
        info,
        plan_text,
        has_samples,
    })
}

/// Shards that can be merged: by index, with the indices of `count` that
/// none of them has.
#[derive(Debug, Clone)]
pub struct Set {
    pub shards: Vec<Shard>,
    pub count: u32,
    pub missing: Vec<u32>,
}

/// Checks that `shards` are shards of one run of one plan. Errors (one
/// line, naming the folders) for different counts, plans or seeds and for
/// an index given twice.
pub fn check(mut shards: Vec<Shard>) -> Result<Set, String> {
    let Some(first) = shards.first().cloned() else {
        return Err("error: no shard folders to merge".into());
    };
    let d0 = first.dir.display();
    for s in &shards[1..] {
        let d = s.dir.display();
        if s.info.count != first.info.count {
            return Err(format!(
                "error: {d} is shard {} of {}, but {d0} is of {}: shards of different splits",
                s.info.index, s.info.count, first.info.count
            ));
        }
        if !s.info.plan_hash.eq_ignore_ascii_case(&first.info.plan_hash) {
            return Err(format!(
                "error: {d} ran another plan than {d0} (plan_hash {} vs {}): shards of one plan only",
                short(&s.info.plan_hash),
                short(&first.info.plan_hash)
            ));
        }
        if s.meta.seed != first.meta.seed {
            return Err(format!(
                "error: {d} ran with seed {}, {d0} with seed {}: their schedules do not add up to one run",
                s.meta.seed, first.meta.seed
            ));
        }
    }
    shards.sort_by_key(|s| s.info.index);
    for w in shards.windows(2) {
        if w[0].info.index == w[1].info.index {
            return Err(format!(
                "error: {} and {} are both shard {}: a shard given twice (a retried shard?) would count its share twice; keep one",
                w[0].dir.display(),
                w[1].dir.display(),
                w[0].info.index
            ));
        }
    }
    let count = first.info.count;
    // Sorted by index above: a search per index, not a scan.
    let missing = (0..count)
        .filter(|i| shards.binary_search_by_key(i, |s| s.info.index).is_err())
        .collect();
    Ok(Set {
        shards,
        count,
        missing,
    })
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// The merged run's clock.
#[derive(Debug, Clone, PartialEq)]
pub struct Clock {
    /// The merged origin (sample time 0), microseconds since the epoch.
    pub t0_us: u64,
    /// Per shard (in `Set` order): how far its origin lies after `t0_us`,
    /// seconds; its sample times move by this much.
    pub shifts: Vec<f64>,
    /// The earliest first start of a shard that ran, microseconds.
    pub first_start_us: u64,
    /// The latest first start less the earliest, seconds (shards that ran).
    pub skew_s: f64,
}

/// The merged clock: the shards' common start-at, if they all had the
/// same one, else the earliest origin of a shard that ran (a late shard's
/// origin is its start-at, which may be any time: a mistyped one years
/// back must not stretch the merged run over the years between).
pub fn clock(shards: &[Shard]) -> Clock {
    let common = shards
        .first()
        .and_then(|s| s.info.start_at.clone())
        .filter(|a| shards.iter().all(|s| s.info.start_at.as_ref() == Some(a)));
    let earliest = shards
        .iter()
        .filter(|s| s.ran())
        .map(|s| s.info.t0_epoch_us)
        .min()
        .or_else(|| shards.iter().map(|s| s.info.t0_epoch_us).min())
        .unwrap_or(0);
    let t0_us = common
        .and_then(|a| humantime::parse_rfc3339_weak(&a).ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_micros() as u64)
        .filter(|&t| t <= earliest)
        .unwrap_or(earliest);
    let shifts = shards
        .iter()
        .map(|s| (s.info.t0_epoch_us as f64 - t0_us as f64) / 1e6)
        .collect();
    let starts: Vec<u64> = shards
        .iter()
        // A shard stopped before its start has none (0).
        .filter(|s| s.ran() && s.info.first_start_epoch_us != 0)
        .map(|s| s.info.first_start_epoch_us)
        .collect();
    let first = starts.iter().copied().min().unwrap_or(t0_us);
    let last = starts.iter().copied().max().unwrap_or(t0_us);
    Clock {
        t0_us,
        shifts,
        first_start_us: first,
        skew_s: (last - first) as f64 / 1e6,
    }
}

/// The earliest and latest instants a shard's clock fields may hold,
/// microseconds since the epoch: 2000-01-01 and 2200-01-01. Outside is an
/// edited or corrupted summary.json, not a clock.
const EPOCH_US_RANGE: (u64, u64) = (946_684_800_000_000, 7_258_118_400_000_000);

/// Checks what each shard's summary.json says about its clock before
/// anything is sized by it, as `pace verify` and `pace report` check one
/// folder (the case merge-trusts-shard-clock: a `run_time_s` of 1e9 or
/// 1e300, a `t0_epoch_us` of 2^63-1, shards a day apart made the merge
/// abort asking for gigabytes). For each shard: `meta.run_time_s` within 0
/// to `run_s` + 60 s (`run_s` = duration + grace), and its epoch fields
/// (`t0_epoch_us`, and `first_start_epoch_us` and `ready_epoch_us` when
/// set) between 2000 and 2200. Then the shards that
/// ran must have started within `run_s` of each other: further apart they
/// are shards of different runs (a shard that never started, late, is
/// left out: its origin is whatever start-at it was given). Errors are one
/// line naming the shard's folder and the field.
pub fn bound(set: &Set, run_s: f64) -> Result<(), String> {
    let horizon = run_s + 60.0;
    for s in &set.shards {
        let d = s.dir.display();
        let rt = s.meta.run_time_s;
        if !(0.0..=horizon).contains(&rt) {
            return Err(format!(
                "error: {d}: meta.run_time_s = {} s is outside the run (0 to {horizon} s: duration + grace + 60 s): not this plan's run",
                crate::results::sample::number(rt)
            ));
        }
        let mut fields = vec![("meta.shard.t0_epoch_us", s.info.t0_epoch_us)];
        // 0: never started (late, or stopped before its start).
        if s.info.first_start_epoch_us != 0 {
            fields.push((
                "meta.shard.first_start_epoch_us",
                s.info.first_start_epoch_us,
            ));
        }
        if s.info.ready_epoch_us != 0 {
            fields.push(("meta.shard.ready_epoch_us", s.info.ready_epoch_us));
        }
        for (name, v) in fields {
            if !(EPOCH_US_RANGE.0..EPOCH_US_RANGE.1).contains(&v) {
                return Err(format!(
                    "error: {d}: {name} = {v} is not a time between the years 2000 and 2200: an edited or corrupted summary.json"
                ));
            }
        }
    }
    let ran = || set.shards.iter().filter(|s| s.ran());
    if let (Some(a), Some(b)) = (
        ran().min_by_key(|s| s.info.t0_epoch_us),
        ran().max_by_key(|s| s.info.t0_epoch_us),
    ) {
        let apart = (b.info.t0_epoch_us - a.info.t0_epoch_us) as f64 / 1e6;
        if apart > run_s {
            return Err(format!(
                "error: {} and {} are shards of different runs: they started {} s apart, and a run of this plan spans {run_s} s",
                a.dir.display(),
                b.dir.display(),
                crate::units::round_sig(apart, 6)
            ));
        }
    }
    Ok(())
}

/// The steady-state window every shard that ran covered, seconds on the
/// merged clock: from ramp-up's end on the latest shard to the earliest
/// end (a whole shard ends at the planned `duration`, a partial one where
/// it stopped). Empty (`start == end`) when they covered none together.
pub fn window(ramp: f64, duration: f64, shards: &[Shard], shifts: &[f64]) -> (f64, f64) {
    let ran: Vec<(&Shard, f64)> = shards
        .iter()
        .zip(shifts)
        .filter(|(s, _)| s.ran())
        .map(|(s, &d)| (s, d))
        .collect();
    let start = ramp + ran.iter().map(|r| r.1).fold(0.0, f64::max);
    let end = ran
        .iter()
        .map(|(s, d)| {
            let own = if s.whole() {
                duration
            } else {
                s.meta.run_time_s.min(duration)
            };
            d + own
        })
        .fold(f64::INFINITY, f64::min);
    let end = if end.is_finite() { end } else { duration };
    (start, end.max(start))
}

/// Why the merged verdict cannot be PASS: missing shards, shards that did
/// not run to their end, a start skew over `max_skew` seconds. Empty when
/// the merge is whole.
pub fn incomplete_reasons(set: &Set, clock: &Clock, max_skew: f64) -> Vec<String> {
    let n = set.count;
    let mut why = Vec::new();
    if !set.missing.is_empty() {
        // Named one by one up to a point: 99,999 missing shards are a count.
        const NAMED: usize = 20;
        let mut list = set
            .missing
            .iter()
            .take(NAMED)
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        if set.missing.len() > NAMED {
            list.push_str(&format!(" and {} more", set.missing.len() - NAMED));
        }
        let word = if set.missing.len() == 1 {
            "shard"
        } else {
            "shards"
        };
        why.push(format!("{word} {list} of {n} missing"));
    }
    for s in &set.shards {
        let i = s.info.index;
        let host = &s.info.host;
        match s.info.status.as_str() {
            "ok" if s.meta.partial => why.push(format!(
                "shard {i} ({host}) is partial: {}",
                s.meta
                    .partial_reason
                    .as_deref()
                    .unwrap_or("its results are not whole")
            )),
            "ok" => {}
            "late" => why.push(format!(
                "shard {i} ({host}) was late: not ready by its start-at, it did not run"
            )),
            other => why.push(format!(
                "shard {i} ({host}) {}",
                match other {
                    "interrupted" => "was interrupted".to_string(),
                    "failed" => "failed".to_string(),
                    o => format!("has status '{}'", o.escape_debug()),
                }
            )),
        }
    }
    if clock.skew_s > max_skew {
        why.push(format!(
            "shards started {} s apart (over --max-skew {} s): they did not load the target together",
            crate::units::round_sig(clock.skew_s, 3),
            crate::units::round_sig(max_skew, 3)
        ));
    }
    why
}

/// What a merged results folder's summary.json says about its shards (the
/// `shards` table and the start skew), for `pace report` to keep when it
/// rebuilds the folder: the samples alone no longer know them. Nothing for
/// a folder that was not merged, or whose summary.json does not read.
pub fn merged_shards(dir: &Path) -> (Vec<ShardRow>, Option<f64>) {
    #[derive(serde::Deserialize)]
    struct Kept {
        #[serde(default)]
        shards: Vec<ShardRow>,
        #[serde(default)]
        start_skew_s: Option<f64>,
    }
    std::fs::read_to_string(dir.join("summary.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Kept>(&t).ok())
        .map(|k| (k.shards, k.start_skew_s))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
