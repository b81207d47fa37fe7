//! `histograms.hlog`: every timer's latency per time-series interval as a
//! standard HdrHistogram interval log (the format of the Java
//! `HistogramLogWriter`, read by `HistogramLogProcessor`, HdrHistogram's
//! plotters and any HdrHistogram library), so that `pace merge` can add the
//! shards' histograms exactly and other tools can read them.
//!
//! The log: a `StartTime` header (the run's clock origin), then per
//! non-empty interval, in time order, one untagged line for all
//! transactions together (what HdrHistogram's `HistogramLogProcessor` reads
//! without `-tag`) and one line per timer: `Tag=<timer>`, the interval's
//! start in seconds since the Unix epoch (origin + interval
//! start), its length (the time-series interval), the largest value, and
//! the histogram, V2-deflate encoded in base64. Values are microseconds;
//! successful samples only, bucketed by send time, at 2 significant digits
//! (the aggregate's interval histograms, exactly).
//!
//! Tags cannot hold ',', ' ', '\r' or '\n' (and a '=' confuses readers
//! that split on it), so a timer's name becomes its tag by writing each of
//! '%', ',', ' ', '=' and every control character as `%XX`, its UTF-8 bytes
//! in upper-case hex (`home page` → `home%20page`); [`name_of_tag`] undoes it.

use super::Exporter;
use crate::results::Results;
use crate::results::aggregate::IntervalHist;
use base64::Engine as _;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::interval_log::{
    IntervalLogIterator, IntervalLogWriterBuilder, LogEntry, Tag,
};
use hdrhistogram::serialization::{Deserializer, V2DeflateSerializer};
use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, UNIX_EPOCH};

/// The file's name in a results folder.
pub const FILE: &str = "histograms.hlog";

pub struct Hlog;

impl Exporter for Hlog {
    fn file_name(&self) -> &'static str {
        FILE
    }

    fn write(&self, r: &Results, out: &mut dyn Write) -> anyhow::Result<()> {
        write_log(
            out,
            origin_us(r),
            r.summary.meta.ts_interval_s,
            &r.all_intervals,
            &r.timer_intervals,
        )
    }
}

/// The clock origin of a results folder's sample times, microseconds since
/// the Unix epoch: a shard's `t0_epoch_us`, else the run's start.
pub fn origin_us(r: &Results) -> u64 {
    match &r.summary.meta.shard {
        Some(s) => s.t0_epoch_us,
        None => r.summary.meta.started_epoch_ms * 1000,
    }
}

/// A timer's name as an interval log tag (see the module's documentation).
pub fn tag_of(name: &str) -> String {
    let mut t = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '%' | ',' | ' ' | '=') || c.is_control() {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                t.push_str(&format!("%{b:02X}"));
            }
        } else {
            t.push(c);
        }
    }
    t
}

/// The timer name a tag stands for: [`tag_of`] undone. A `%` not followed
/// by two hex digits is kept as it is (a tag another tool wrote).
pub fn name_of_tag(tag: &str) -> String {
    let b = tag.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes the interval log of `all` (every transaction's histogram per
/// interval, untagged) and `timers` (each timer's, tagged), microseconds,
/// whose interval `i` starts at `origin_us` + `i` × `ts` seconds. Empty
/// intervals are left out.
pub fn write_log(
    out: &mut dyn Write,
    origin_us: u64,
    ts: f64,
    all: &[IntervalHist],
    timers: &BTreeMap<String, Vec<IntervalHist>>,
) -> anyhow::Result<()> {
    let origin = Duration::from_micros(origin_us);
    let mut ser = V2DeflateSerializer::new();
    let mut out = out;
    let mut log = IntervalLogWriterBuilder::new()
        .add_comment("pace: successful samples' latency per timer and time-series interval, microseconds")
        .add_comment("pace: Tag = the timer's name with '%', ',', ' ', '=' and control characters written %XX (UTF-8 bytes)")
        .with_start_time(UNIX_EPOCH + origin)
        .begin_log_with(&mut out, &mut ser)?;
    let tags: Vec<(String, &Vec<IntervalHist>)> =
        timers.iter().map(|(k, v)| (tag_of(k), v)).collect();
    let slots = tags
        .iter()
        .map(|(_, v)| v.len())
        .chain([all.len()])
        .max()
        .unwrap_or(0);
    // A time-series interval too long for the log's timestamps (`pace
    // report --ts-interval 1e300`: one interval holds the whole run) is
    // written as the longest the format keeps, never a panic.
    const LONGEST: Duration = Duration::from_secs(u32::MAX as u64);
    let len = Duration::try_from_secs_f64(ts).map_or(LONGEST, |d| d.min(LONGEST));
    // Interval by interval, as a live log would have them: readers expect
    // start times in order.
    for i in 0..slots {
        let start = origin + len * i.min(u32::MAX as usize) as u32;
        if let Some(h) = all.get(i).filter(|h| !h.is_empty()) {
            log.write_histogram(h, start, len, None)
                .map_err(|e| anyhow::anyhow!("{FILE}: {e}"))?;
        }
        for (tag, hists) in &tags {
            let Some(h) = hists.get(i).filter(|h| !h.is_empty()) else {
                continue;
            };
            log.write_histogram(h, start, len, Tag::new(tag))
                .map_err(|e| anyhow::anyhow!("{FILE}: {e}"))?;
        }
    }
    Ok(())
}

/// One interval of a log read back.
#[derive(Debug, Clone)]
pub struct Interval {
    /// The timer ([`name_of_tag`] of the tag); `None` for an untagged line.
    pub timer: Option<String>,
    /// Seconds since the Unix epoch (the log's timestamps are absolute).
    pub start_s: f64,
    pub duration_s: f64,
    pub hist: Histogram<u64>,
}

/// Every interval of an interval log, in file order, to `each`. Errors
/// name the byte where a line does not parse, or the interval whose
/// histogram does not decode.
pub fn read_log(bytes: &[u8], mut each: impl FnMut(Interval)) -> Result<(), String> {
    let mut de = Deserializer::new();
    for (n, entry) in IntervalLogIterator::new(bytes).enumerate() {
        let entry = entry.map_err(|e| match e {
            hdrhistogram::serialization::interval_log::LogIteratorError::ParseError { offset } => {
                format!("byte {offset}: not an interval log line")
            }
        })?;
        let LogEntry::Interval(i) = entry else {
            continue;
        };
        let raw = base64::engine::general_purpose::STANDARD
            .decode(i.encoded_histogram())
            .map_err(|e| format!("entry {}: its histogram is not base64: {e}", n + 1))?;
        let hist: Histogram<u64> = de
            .deserialize(&mut raw.as_slice())
            .map_err(|e| format!("entry {}: its histogram does not decode: {e:?}", n + 1))?;
        each(Interval {
            timer: i.tag().map(|t| name_of_tag(&t)),
            start_s: i.start_timestamp().as_secs_f64(),
            duration_s: i.duration().as_secs_f64(),
            hist,
        });
    }
    Ok(())
}

/// Each tagged timer's intervals added together (`Histogram::add`, exact:
/// same precision, counts summed bucket by bucket).
pub fn sums(bytes: &[u8]) -> Result<BTreeMap<String, Histogram<u64>>, String> {
    let mut sums: BTreeMap<String, Histogram<u64>> = BTreeMap::new();
    let mut err = None;
    read_log(bytes, |i| {
        let Some(timer) = i.timer else { return };
        let sum = sums
            .entry(timer)
            .or_insert_with(|| Histogram::new(i.hist.sigfig()).expect("a decoded precision"));
        if let Err(e) = sum.add(&i.hist) {
            err.get_or_insert(format!("cannot add an interval: {e:?}"));
        }
    })?;
    match err {
        Some(e) => Err(e),
        None => Ok(sums),
    }
}

/// Every recorded bucket of `h`: (the bucket's highest equivalent value,
/// its count). Two histograms of one precision hold the same samples, to
/// that precision, when these are equal.
pub fn buckets<C: hdrhistogram::Counter>(h: &Histogram<C>) -> Vec<(u64, u64)> {
    h.iter_recorded()
        .map(|v| {
            (
                h.highest_equivalent(v.value_iterated_to()),
                v.count_at_value().as_u64(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests;
