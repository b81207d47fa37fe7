//! `pace run --shard I/N`, `--shards N` and `--start-at`: which part of
//! the plan this process runs and when it starts, what `--check` says
//! about the part, and the results folder of a shard that was late.

use super::{OneRun, Sharding};
use crate::cli::exit;
use crate::cli::finish;
use crate::plan::file::PlanFile;
use crate::plan::segment::{Shard, part_plan};
use crate::results::aggregate::Aggregate;
use crate::results::summary::{RunMeta, ShardMeta};
use crate::units::{MAX_DURATION_S, round_sig};
use std::path::Path;
use std::time::SystemTime;

/// The variable a Kubernetes Indexed Job sets to the pod's 0-based index.
pub const INDEX_VAR: &str = "JOB_COMPLETION_INDEX";
/// The variable `--start-at` falls back on.
pub const START_VAR: &str = "PACE_START_AT";

/// The shard to run: `--shard I/N`, or `--shards N` with the index from
/// `JOB_COMPLETION_INDEX` (read with `env`). Errors are one line naming
/// the flag or the variable.
pub fn shard(
    shard: Option<&str>,
    shards: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Shard>, String> {
    let count = shards
        .map(|n| match n.trim().parse::<u32>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(format!(
                "--shards: {} is not a number of shards (a whole number, at least 1)",
                crate::visible::quoted(n)
            )),
        })
        .transpose()?;
    match (shard, count) {
        (Some(s), count) => {
            let s = Shard::parse(s).map_err(|e| format!("--shard: {e}"))?;
            match count {
                Some(n) if n != s.count => Err(format!(
                    "--shards: {n} disagrees with --shard {s} ({} shards): give one of them",
                    s.count
                )),
                _ => Ok(Some(s)),
            }
        }
        (None, Some(n)) => {
            let raw = env(INDEX_VAR).ok_or_else(|| {
                format!(
                    "{INDEX_VAR}: not set: --shards {n} takes the shard's index from it (a Kubernetes Indexed Job sets it); elsewhere use --shard I/{n}"
                )
            })?;
            let i: u32 = raw.trim().parse().map_err(|_| {
                format!(
                    "{INDEX_VAR}: {} is not a shard index (0-based: 0..{})",
                    crate::visible::quoted(&raw),
                    n - 1
                )
            })?;
            Shard::new(i, n).map(Some).map_err(|_| {
                format!(
                    "{INDEX_VAR}: {i} is not below --shards {n} (the index is 0-based: 0..{})",
                    n - 1
                )
            })
        }
        (None, None) => Ok(None),
    }
}

/// The start instant: `--start-at`, else `PACE_START_AT`; RFC 3339 with
/// `Z` or a `+HH:MM` offset (a time without either is UTC). Errors name
/// the flag or the variable: a time that is no RFC 3339 time, or one more
/// than 30 days ahead ([`MAX_DURATION_S`], the cap of every duration pace
/// takes: a year typed 2027 for 2026 would park every shard for a year).
/// A start already past is no error here: the run is LATE (exit 5, its
/// folder marked), as a shard that was not ready in time.
pub fn start_at(
    flag: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<(SystemTime, String)>, String> {
    let (name, raw) = match (flag, env(START_VAR)) {
        (Some(f), _) => ("--start-at", f.to_string()),
        (None, Some(v)) if !v.trim().is_empty() => (START_VAR, v),
        _ => return Ok(None),
    };
    let raw = raw.trim();
    let shown = crate::visible::quoted(raw);
    let t = parse_time(raw).ok_or_else(|| {
        format!("{name}: {shown} is not an RFC 3339 time such as 2026-12-01T05:00:00Z")
    })?;
    if let Ok(ahead) = t.duration_since(SystemTime::now())
        && ahead.as_secs_f64() > MAX_DURATION_S
    {
        return Err(format!(
            "{name}: {shown} is {} days ahead: at most 30 days (a start further out is a typing slip)",
            (ahead.as_secs_f64() / 86_400.0).floor()
        ));
    }
    Ok(Some((t, raw.to_string())))
}

/// Parses an RFC 3339 time, with `Z`, an offset or neither (UTC).
fn parse_time(s: &str) -> Option<SystemTime> {
    let s = s.strip_suffix(['Z', 'z']).unwrap_or(s);
    // An offset is the last `+` or `-` after the time's `T`.
    let t = s.find(['T', 't', ' '])?;
    let (base, offset) = match s[t..].rfind(['+', '-']) {
        Some(i) => {
            let (b, o) = s.split_at(t + i);
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let (h, m) = o[1..].split_once(':')?;
            let (h, m): (u64, u64) = (h.parse().ok()?, m.parse().ok()?);
            if h > 23 || m > 59 {
                return None;
            }
            (b, sign * (h * 3600 + m * 60) as i64)
        }
        None => (s, 0),
    };
    let local = humantime::parse_rfc3339_weak(base).ok()?;
    // Local time = UTC + offset.
    let secs = std::time::Duration::from_secs(offset.unsigned_abs());
    if offset >= 0 {
        local.checked_sub(secs)
    } else {
        local.checked_add(secs)
    }
}

/// Microseconds since the Unix epoch (0 before it).
pub fn epoch_us(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// SHA-256 of the plan text, hex: every shard must have run the same bytes.
pub use crate::merge::plan_hash;

/// The seed of a sharded run given none: the first 8 bytes of the SHA-256
/// of the plan text and the start instant (µs since the epoch), so that
/// every shard of one run draws the same schedule, and another run (a
/// new start time) another.
pub fn common_seed(plan_text: &str, start_at: SystemTime) -> u64 {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(plan_text.as_bytes());
    h.update(epoch_us(start_at).to_le_bytes());
    let d = h.finalize();
    u64::from_le_bytes(d[..8].try_into().expect("SHA-256 has 32 bytes"))
}

/// The seed of a run split by `split`, given `given` (`--seed`, else the
/// plan's run.seed): the shards' schedules add up to the plan's only if
/// every shard draws from one seed: given, or derived from the one start
/// time they share ([`common_seed`] of the plan's `text`); never each
/// machine's clock. `Ok(None)`: a whole run, which may draw its seed from
/// the clock. Error (one line naming --shard): a split run with neither.
pub fn seed(given: Option<u64>, split: &Sharding, text: &str) -> Result<Option<u64>, String> {
    let sharded = split.shard.is_some_and(|s| !s.is_whole());
    match (given, &split.start_at) {
        (Some(s), _) => Ok(Some(s)),
        (None, Some((at, _))) if sharded => Ok(Some(common_seed(text, *at))),
        (None, None) if sharded => Err(
            "error: --shard: the shards need one seed, or their schedules do not add up to the plan's: give every shard the same --seed N (or run.seed in the plan), or a --start-at (the seed is then derived from it and the plan)"
                .into(),
        ),
        (None, _) => Ok(None),
    }
}

/// The machine's host name (the pod's, on Kubernetes).
pub fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at
    // most that many bytes.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    match std::str::from_utf8(&buf[..end]) {
        Ok(h) if ok && !h.is_empty() => h.to_string(),
        _ => std::env::var("HOSTNAME").unwrap_or_default(),
    }
}

/// Expected transactions in the window of `plan`, `(mean, half band)`.
fn expected_count(plan: &PlanFile) -> Option<(f64, f64, f64)> {
    let empty = Aggregate::for_plan(plan, (plan.run.ramp_up(), plan.run.duration.0));
    crate::verdict::expect::expected(plan, &empty).map(|e| {
        (
            e.transactions,
            (e.transactions_high - e.transactions_low) / 2.0,
            e.confidence,
        )
    })
}

/// `--check --shard`: the shard's part of every group, and what it and
/// the whole plan are expected to complete.
pub fn print_part(plan: &PlanFile, shard: Shard) {
    let part = part_plan(plan, shard);
    let users = |p: &PlanFile| p.groups.iter().map(|g| g.users).sum::<u64>();
    outln!(
        "shard {shard}: {} of the plan's {}: users u with u mod {} = {} in each group, on the whole plan's schedule",
        crate::units::count(users(&part) as f64, "user"),
        users(plan),
        shard.count,
        shard.index
    );
    for (g, whole) in part.groups.iter().zip(&plan.groups) {
        let rate = match g.pacing.rate {
            Some(r) if g.pacing.mode == crate::plan::file::PacingMode::ArrivalRate => format!(
                ", 1 arrival in {}: {} arrivals/min",
                shard.count,
                round_sig(r.0 * 60.0, 5)
            ),
            _ => String::new(),
        };
        outln!(
            "  {}: {} of {}{rate}",
            g.name,
            crate::units::count(g.users as f64, "user"),
            whole.users
        );
    }
    if let (Some((pm, ph, conf)), Some((wm, wh, _))) = (expected_count(&part), expected_count(plan))
    {
        outln!(
            "expected transactions in the window: this shard {} ± {}, the whole plan {} ± {} ({}% confidence); the shard is not judged alone: pace merge judges the whole",
            round_sig(pm, 6),
            round_sig(ph, 3),
            round_sig(wm, 6),
            round_sig(wh, 4),
            round_sig(conf * 100.0, 4)
        );
    }
}

/// Why `shard` of `plan` cannot run its part, if so (one line naming
/// --shard): it would have no user at all (more shards than the largest
/// group has users), or an arrival-rate group would have no pool user on
/// it, so every arrival it owns would be dropped.
pub fn useless(plan: &PlanFile, shard: Shard) -> Option<String> {
    let n = shard.count;
    let largest = plan.groups.iter().map(|g| g.users).max().unwrap_or(0);
    if plan.groups.iter().all(|g| shard.part(g.users) == 0) {
        return Some(format!(
            "--shard {shard}: this shard would have no user (the largest group has {largest}, striped over {n} shards): use at most {largest} shards"
        ));
    }
    plan.groups
        .iter()
        .find(|g| {
            g.pacing.mode == crate::plan::file::PacingMode::ArrivalRate && shard.part(g.users) == 0
        })
        .map(|g| {
            format!(
                "--shard {shard}: group '{}' (arrival rate) has {} pool user(s) for {n} shards: this shard would drop every arrival it owns; use at most {} shards, or give the group at least {n} users",
                g.name, g.users, g.users
            )
        })
}

/// A run not ready by its start: nothing was sent. Leaves the folder
/// marked invalid for `pace merge` (an empty samples.csv and a
/// summary.json with `meta.partial` and `meta.shard.status` = "late"),
/// prints how late, and returns [`exit::LATE`].
#[allow(clippy::too_many_arguments)]
pub fn write_late(
    plan: &PlanFile,
    text: &str,
    dir: &Path,
    o: &OneRun,
    split: &Sharding,
    ready_at: SystemTime,
    start_at: SystemTime,
    late: f64,
) -> i32 {
    let when = split.start_at.as_ref().map_or_else(
        || humantime::format_rfc3339_millis(start_at).to_string(),
        |s| s.1.clone(),
    );
    let why = format!(
        "not ready by the start: ready {} s after {when}; nothing was sent",
        round_sig(late, 4)
    );
    errln!("error: --start-at: {why} (exit 5)");
    let samples = dir.join(crate::results::SAMPLES_FILE);
    let empty = Aggregate::for_plan(plan, finish::window(plan, true, 0.0));
    let meta = RunMeta {
        plan_file: o.file.display().to_string(),
        seed: o.seed,
        started_at: humantime::format_rfc3339_seconds(start_at).to_string(),
        finished_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        started_epoch_ms: epoch_us(start_at) / 1000,
        run_time_s: 0.0,
        duration_s: plan.run.duration.0,
        ramp_up_s: plan.run.ramp_up(),
        ts_interval_s: plan.run.ts_interval.0,
        late_policy: finish::late_policy(plan),
        partial: true,
        partial_reason: Some(why),
        vars: Default::default(),
        shard: Some(ShardMeta {
            index: split.shard.map_or(0, |s| s.index),
            count: split.shard.map_or(1, |s| s.count),
            plan_hash: plan_hash(text),
            start_at: split.start_at.as_ref().map(|s| s.1.clone()),
            t0_epoch_us: epoch_us(start_at),
            ready_epoch_us: epoch_us(ready_at),
            first_start_epoch_us: 0,
            status: "late".into(),
            host: host_name(),
        }),
        window_s: None,
        ran_shards: None,
        overrides: o.overrides.cloned(),
        targets: Vec::new(),
        generator: None,
    };
    let summary = finish::judged(plan, &empty, meta);
    let written = std::fs::write(&samples, samples_header()).and_then(|()| {
        let json = serde_json::to_string_pretty(&summary).map_err(std::io::Error::other)?;
        std::fs::write(dir.join("summary.json"), json + "\n")
    });
    if let Err(e) = written {
        errln!("error: {}: {e}", dir.display());
    }
    exit::LATE
}

/// The header row of samples.csv alone: a samples file with no rows.
pub(super) fn samples_header() -> Vec<u8> {
    let mut buf = Vec::new();
    let _ = crate::results::sample::SampleWriter::new(&mut buf).header();
    buf
}

#[cfg(test)]
#[path = "shard_args_tests.rs"]
mod tests;
