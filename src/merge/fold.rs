//! The shards' samples folded into one aggregate and one samples file,
//! streamed (memory bounded whatever the sample count), and their
//! histograms checked against each shard's `histograms.hlog`.
//!
//! Rows are taken from the shards' files in send-time order (a k-way
//! merge on the shifted `t`, ties by shard index): each file is in the
//! order its run wrote it, so the merged file is in the order one machine
//! would have written, and the active-user counts of the time series add
//! up across shards instead of following one shard after another.

use super::Shard;
use crate::export::hlog;
use crate::plan::file::PlanFile;
use crate::results::aggregate::{Aggregate, IntervalHist};
use crate::results::sample::{Kind, Sample, SampleWriter, open_samples_within};
use hdrhistogram::Histogram;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};
use std::path::Path;

/// One shard's whole run, as folded from its samples.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    pub users: u64,
    pub iterations: u64,
    pub transactions: u64,
    pub errors: u64,
}

/// What folding the shards came to.
pub struct Folded {
    pub agg: Aggregate,
    /// Per shard, in the order given.
    pub tallies: Vec<Tally>,
    /// Per shard: the bytes of a torn last line left out (0 for none).
    pub torn: Vec<u64>,
    /// Warnings to print (a shard without histograms.hlog).
    pub warnings: Vec<String>,
}

/// A row waiting in the merge: ordered by shifted time, then shard.
struct Head {
    t: f64,
    k: usize,
    row: Sample,
}

impl PartialEq for Head {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Head {}
impl PartialOrd for Head {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Head {
    // Reversed: BinaryHeap is a max-heap, the earliest row goes first.
    fn cmp(&self, o: &Self) -> Ordering {
        o.t.total_cmp(&self.t).then(o.k.cmp(&self.k))
    }
}

/// Moves a row by `d` seconds on the clock (its times; latencies are
/// durations and stay).
pub fn shift(row: &mut Sample, d: f64) {
    row.t += d;
    row.iter_start += d;
    row.iter_sched += d;
    row.iter_planned += d;
}

/// Where a timer's successful latencies go in the aggregate's `timers`
/// (a script's custom timer that shares a step's name moves aside, as
/// `Aggregate::add` does): (is a custom timer, the row's name).
type TimerKey = (bool, String);

fn timer_name(agg: &Aggregate, key: &TimerKey) -> String {
    let (custom, name) = key;
    if *custom && !agg.timers.get(name).is_some_and(|t| t.custom) {
        format!("{name} (custom timer)")
    } else {
        name.clone()
    }
}

fn interval_hist() -> IntervalHist {
    // The precision of `Aggregate`'s interval histograms, which a shard's
    // histograms.hlog holds.
    Histogram::new(2).expect("2 significant digits is valid")
}

/// Folds the shards' samples (each moved by its shift, seconds) into one
/// aggregate of `plan` over `window`, writing every row to `out` as it
/// goes, then checks each shard's histograms.hlog against its samples and
/// their sum against the aggregate. Errors are one line naming the shard's
/// file.
pub fn fold(
    plan: &PlanFile,
    shards: &[Shard],
    shifts: &[f64],
    window: (f64, f64),
    out: &Path,
) -> Result<Folded, String> {
    let span = plan.run.duration.0 + plan.run.grace.0;
    let mut agg = Aggregate::for_plan(plan, window);
    let mut streams = Vec::new();
    let mut torn = Vec::new();
    for s in shards {
        let path = s.dir.join(crate::results::SAMPLES_FILE);
        // A late shard's results are invalid by definition (it never
        // started): nothing of it is folded.
        if !s.has_samples || !s.ran() {
            streams.push(None);
            torn.push(0);
            continue;
        }
        // The horizon of reaggregate: rows up to the grace's end, and a
        // minute of slack for those cut off in flight.
        let file = open_samples_within(&path, Some(span + 60.0))
            .map_err(|e| format!("error: {}: {e}", path.display()))?;
        torn.push(file.torn_bytes);
        streams.push(Some(file.rows));
    }
    let next = |k: usize, streams: &mut Vec<Option<_>>| -> Result<Option<Head>, String> {
        let rows: &mut Option<Box<dyn Iterator<Item = Result<Sample, String>>>> = &mut streams[k];
        let Some(rows) = rows else { return Ok(None) };
        match rows.next() {
            None => Ok(None),
            Some(Err(e)) => Err(format!(
                "error: {}: {e} (an edited or corrupted file, or another plan's samples)",
                shards[k].dir.join(crate::results::SAMPLES_FILE).display()
            )),
            Some(Ok(mut row)) => {
                shift(&mut row, shifts[k]);
                Ok(Some(Head { t: row.t, k, row }))
            }
        }
    };
    let mut heap = BinaryHeap::new();
    for k in 0..shards.len() {
        if let Some(h) = next(k, &mut streams)? {
            heap.push(h);
        }
    }
    let file = std::fs::File::create(out).map_err(|e| format!("error: {}: {e}", out.display()))?;
    let mut w = SampleWriter::new(std::io::BufWriter::with_capacity(1 << 16, file));
    // The header even if no shard has a row (every shard late or stopped
    // before its start): the merged folder must read back.
    w.header()
        .map_err(|e| format!("error: {}: {e}", out.display()))?;
    let mut tallies = vec![Tally::default(); shards.len()];
    let mut own: Vec<BTreeMap<TimerKey, IntervalHist>> = vec![BTreeMap::new(); shards.len()];
    while let Some(Head { k, row, .. }) = heap.pop() {
        if !plan.groups.iter().any(|g| *g.name == *row.group) {
            return Err(format!(
                "error: {}: group '{}' is not a group of the plan: not this plan's run",
                shards[k].dir.join(crate::results::SAMPLES_FILE).display(),
                row.group.escape_debug()
            ));
        }
        let tally = &mut tallies[k];
        match row.kind {
            Kind::UserStart => tally.users += 1,
            Kind::Iteration => tally.iterations += 1,
            Kind::Step if row.ok => tally.transactions += 1,
            Kind::Step => tally.errors += 1,
            _ => {}
        }
        if row.ok && matches!(row.kind, Kind::Step | Kind::Timer) {
            let key = (row.kind == Kind::Timer, row.name.to_string());
            let h = own[k].entry(key).or_insert_with(interval_hist);
            let _ = h.record((row.latency * 1e6).round().max(0.0) as u64);
        }
        agg.add(&row);
        w.write(&row)
            .map_err(|e| format!("error: {}: {e}", out.display()))?;
        if let Some(h) = next(k, &mut streams)? {
            heap.push(h);
        }
    }
    w.flush()
        .map_err(|e| format!("error: {}: {e}", out.display()))?;
    let warnings = check_histograms(shards, &own, &agg)?;
    Ok(Folded {
        agg,
        tallies,
        torn,
        warnings,
    })
}

/// Each shard's histograms.hlog, per timer over all its intervals, against
/// the histogram of its samples (bucket for bucket); then their sum
/// against the merged aggregate's interval histograms. A mismatch means a
/// shard's files were edited or torn apart: refused, naming the shard. A
/// shard without the file is warned about and left out of the check.
fn check_histograms(
    shards: &[Shard],
    own: &[BTreeMap<TimerKey, IntervalHist>],
    agg: &Aggregate,
) -> Result<Vec<String>, String> {
    let mut warnings = Vec::new();
    let mut total: BTreeMap<String, Histogram<u64>> = BTreeMap::new();
    let mut all = true;
    for (s, own) in shards.iter().zip(own) {
        let path = s.dir.join(hlog::FILE);
        // A late shard sent nothing: there is nothing to check.
        if !s.has_samples || !s.ran() {
            continue;
        }
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                warnings.push(format!(
                    "warning: {}: no {}: shard {}'s histograms are not checked against its samples",
                    s.dir.display(),
                    hlog::FILE,
                    s.info.index
                ));
                all = false;
                continue;
            }
            Err(e) => return Err(format!("error: {}: {e}", path.display())),
        };
        let mut mine: BTreeMap<String, Vec<(u64, u64)>> = BTreeMap::new();
        for (key, h) in own {
            mine.insert(timer_name(agg, key), hlog::buckets(h));
        }
        // Only the timers of the shard's samples are summed: a log naming
        // others (one histogram each) is refused at the first.
        let sums = hlog::sums(&bytes, |timer| {
            if mine.contains_key(timer) {
                Ok(())
            } else {
                Err(format!(
                    "timer '{}' has no successful sample in samples.csv: the shard's files were edited or torn; re-run the shard",
                    timer.escape_debug()
                ))
            }
        })
        .map_err(|e| format!("error: {}: {e}", path.display()))?;
        let names: std::collections::BTreeSet<&String> = sums.keys().chain(mine.keys()).collect();
        for name in names {
            let logged = sums.get(name).map(hlog::buckets).unwrap_or_default();
            let folded = mine.get(name).cloned().unwrap_or_default();
            if logged != folded {
                let n = |b: &[(u64, u64)]| b.iter().map(|x| x.1).sum::<u64>();
                return Err(format!(
                    "error: {}: timer '{}' holds {} samples in {} but {} in samples.csv (or in other buckets): the shard's files were edited or torn; re-run the shard",
                    s.dir.display(),
                    name.escape_debug(),
                    n(&logged),
                    hlog::FILE,
                    n(&folded)
                ));
            }
        }
        for (name, h) in sums {
            match total.get_mut(&name) {
                Some(t) => t
                    .add(&h)
                    .map_err(|e| format!("error: {}: {e:?}", path.display()))?,
                None => {
                    total.insert(name, h);
                }
            }
        }
    }
    if all {
        for (name, t) in &agg.timers {
            let mut merged = interval_hist();
            for slot in &t.slots {
                let _ = merged.add(&slot.latency);
            }
            let logged = total.get(name).map(hlog::buckets).unwrap_or_default();
            if logged != hlog::buckets(&merged) {
                return Err(format!(
                    "error: timer '{}': the shards' {} files add up to other histograms than their samples: refused",
                    name.escape_debug(),
                    hlog::FILE
                ));
            }
        }
    }
    Ok(warnings)
}
