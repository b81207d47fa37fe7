//! Fuzz target `merge_shards`: the shard folders `pace merge` reads, made
//! by a real sharded run at setup (folders.rs) and mutated file by file:
//! summary.json's clocks, counts and shard facts (at their edges, of
//! another type, removed), samples.csv (rows and columns as in
//! `samples_csv`), histograms.hlog (lines, prefixes, the histograms'
//! bytes, other precisions), plan.toml (with meta.shard.plan_hash made
//! to match it, or not); a shard left out, repeated, or two of one index.
//!
//! Each case runs the merge's readers in-process (`merge::load`, `check`,
//! `bound`, `clock`, `window`, `fold` with its hlog check) under
//! `catch_unwind` and the memory bound (4x the input + 8 MiB, measured);
//! every Nth case also runs `pace merge` in a 256 MiB address space. The
//! property: a merge or a one-line refusal (exit 2); no panic, no abort
//! (the shared case: two unedited shards asked for 28 GB), nothing past
//! the memory bound.

use crate::Known;
use crate::engine::{self, Outcome, Rng, Target};
use crate::folders::{self, Files};
use crate::plan::one_line_error;
use pace::plan::file::PlanFile;

#[derive(Debug, Clone)]
pub struct MergeCase {
    pub shards: Vec<Files>,
    /// A histogram of another precision or range was put in an hlog
    /// (kind `HlogHistogramAmplification`, fixed: refused from its header).
    pub foreign_histogram: bool,
    pub binary: bool,
}

pub struct MergeTarget {
    seeds: Vec<Files>,
    tmp: tempfile::TempDir,
    bin_every: u64,
}

impl MergeTarget {
    pub fn new() -> MergeTarget {
        MergeTarget {
            seeds: folders::get().shards.clone(),
            tmp: engine::scratch(),
            bin_every: folders::every("PACE_FUZZ_BIN_EVERY", 10),
        }
    }
}

/// Sets summary.json's meta.shard.plan_hash to the plan's (so that an
/// edited plan is read, not refused by its hash).
fn rehash(files: &mut Files) {
    let (Some(plan), Some(summary)) = (files.get("plan.toml"), files.get("summary.json")) else {
        return;
    };
    let hash = pace::merge::plan_hash(&String::from_utf8_lossy(plan));
    if let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(summary)
        && let Some(h) = v.pointer_mut("/meta/shard/plan_hash")
    {
        *h = serde_json::Value::String(hash);
        files.insert(
            "summary.json".into(),
            serde_json::to_vec_pretty(&v).unwrap_or_default(),
        );
    }
}

impl Target for MergeTarget {
    type Input = MergeCase;
    const NAME: &'static str = "merge_shards";
    const CI_CASES: u64 = 250;

    fn generate(&mut self, rng: &mut Rng) -> MergeCase {
        let mut shards = self.seeds.clone();
        folders::FOREIGN_HISTOGRAM.set(false);
        for _ in 0..rng.pick(&[0, 1, 1, 2, 2, 3, 4]) {
            let k = rng.below(shards.len());
            folders::mutate_folder(rng, &mut shards[k]);
            if rng.chance(1, 2) {
                rehash(&mut shards[k]);
            }
        }
        match rng.below(12) {
            0 => {
                shards.remove(rng.below(2));
            }
            1 => {
                let s = shards[rng.below(2)].clone();
                shards.push(s);
            }
            2 => shards.reverse(),
            _ => {}
        }
        MergeCase {
            shards,
            foreign_histogram: folders::FOREIGN_HISTOGRAM.get(),
            binary: rng.chance(1, self.bin_every),
        }
    }

    fn render(&self, c: &MergeCase) -> String {
        let mut s = String::from("# pace merge");
        for i in 0..c.shards.len() {
            s.push_str(&format!(" s{i}"));
        }
        s.push_str(" -o merged\n");
        for (i, f) in c.shards.iter().enumerate() {
            s.push_str(&folders::render_files(&format!("s{i}"), f));
        }
        s
    }

    fn shrink(&self, c: &MergeCase) -> Vec<MergeCase> {
        let mut out = Vec::new();
        if c.binary {
            out.push(MergeCase {
                binary: false,
                ..c.clone()
            });
        }
        for i in 0..c.shards.len() {
            for cand in folders::shrink_files(&c.shards[i]) {
                let mut d = c.clone();
                d.shards[i] = cand;
                out.push(d);
            }
        }
        out
    }

    fn known_open(&mut self, c: &MergeCase) -> Option<Known> {
        c.foreign_histogram
            .then_some(Known::HlogHistogramAmplification)
    }

    fn hazard(&mut self, _c: &MergeCase) -> Option<String> {
        None
    }

    fn run(&mut self, c: &MergeCase, _rng: &mut Rng) -> Outcome {
        let root = self.tmp.path().join("shards");
        let _ = std::fs::remove_dir_all(&root);
        let dirs: Vec<std::path::PathBuf> = (0..c.shards.len())
            .map(|i| {
                let d = root.join(format!("s{i}"));
                folders::write_files(&d, &c.shards[i]);
                d
            })
            .collect();
        let bytes = c.shards.iter().map(folders::size).sum();
        let out = self.tmp.path().join("merged-samples.csv");
        let tables = c.shards.iter().map(plan_tables).max().unwrap_or(0);
        let r =
            engine::within_memory_plus("merge (load, check, bound, fold)", bytes, tables, || {
                merge_readers(&dirs, &out)
            })?;
        if let Err(e) = r {
            one_line_error("merge (load, check, bound, fold)", &e)?;
        }
        if c.binary {
            let merged = self.tmp.path().join("merged");
            let _ = std::fs::remove_dir_all(&merged);
            let mut args = vec!["merge".to_string(), "-q".to_string()];
            args.extend(dirs.iter().map(|d| d.display().to_string()));
            args.push(format!("--output={}", merged.display()));
            crate::capacity::run_binary(args, self.tmp.path())?;
        }
        Ok(())
    }
}

/// What a shard's plan sizes, whatever its files hold: the time series'
/// intervals over duration + grace (at most 10,000, the plan's own bound)
/// for each timer, group and the total, at most 2 KiB an interval each
/// (measured: 1.2 KiB with 2-digit histograms). Part of the reader's fixed
/// amount, as docs/fuzzing.md says; 0 for a plan that does not load.
fn plan_tables(files: &Files) -> u64 {
    let Some(plan) = files
        .get("plan.toml")
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|t| PlanFile::parse(t, "plan.toml").ok())
    else {
        return 0;
    };
    let r = &plan.run;
    let intervals = ((r.duration.0 + r.grace.0) / r.ts_interval.0)
        .ceil()
        .min(10_000.0);
    let series: usize =
        1 + plan.groups.len() + plan.groups.iter().map(|g| g.steps.len()).sum::<usize>();
    (intervals.max(0.0) as u64) * series as u64 * 2048
}

/// What `pace merge` reads before it writes the reports, in its order
/// (src/cli/merge_cmd.rs); the first refusal.
fn merge_readers(dirs: &[std::path::PathBuf], out: &std::path::Path) -> Result<(), String> {
    let dirs = pace::merge::expand(dirs);
    let shards = dirs
        .iter()
        .map(|d| pace::merge::load(d))
        .collect::<Result<Vec<_>, _>>()?;
    let set = pace::merge::check(shards)?;
    let first = &set.shards[0];
    let plan = PlanFile::parse(&first.plan_text, "plan.toml").map_err(|e| e.to_string())?;
    pace::merge::bound(&set, plan.run.duration.0 + plan.run.grace.0)?;
    let clock = pace::merge::clock(&set.shards);
    let window = plan.judged_span(pace::merge::window(
        plan.run.ramp_up(),
        plan.run.duration.0,
        &set.shards,
        &clock.shifts,
    ));
    let folded = pace::merge::fold::fold(&plan, &set.shards, &clock.shifts, window, out)?;
    let _ = pace::merge::incomplete_reasons(&set, &clock, 1.0);
    drop(folded);
    Ok(())
}
