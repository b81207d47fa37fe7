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
//! (the aggregate's interval histograms, exactly). Reading one back
//! ([`read_log`]) accepts only that precision, checked in the histogram's
//! header before it is decoded ([`decode`]): the header sizes what the
//! decoder allocates.
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
    /// The line of the file it is on (from 1).
    pub line: usize,
    pub hist: Histogram<u64>,
}

/// Every interval of an interval log, in file order, to `each` (whose
/// error stops the read and is returned). Errors
/// name the line that does not parse, or whose histogram does not decode
/// or is not of pace's precision ([`decode::histogram`]: a histogram
/// costs at most a fixed amount, whatever its header declares).
pub fn read_log(
    bytes: &[u8],
    mut each: impl FnMut(Interval) -> Result<(), String>,
) -> Result<(), String> {
    let mut de = Deserializer::new();
    // Line numbers counted as the entries come, each byte once.
    let (mut line, mut seen) = (1usize, 0usize);
    let mut line_at = |offset: usize| {
        let offset = offset.min(bytes.len()).max(seen);
        line += bytes[seen..offset].iter().filter(|&&b| b == b'\n').count();
        seen = offset;
        line
    };
    for entry in IntervalLogIterator::new(bytes) {
        let entry = entry.map_err(|e| match e {
            hdrhistogram::serialization::interval_log::LogIteratorError::ParseError { offset } => {
                format!("line {}: not an interval log line", line_at(offset))
            }
        })?;
        let LogEntry::Interval(i) = entry else {
            continue;
        };
        // The encoded histogram is a slice of `bytes`: its line is where it starts.
        let enc = i.encoded_histogram();
        let n = line_at((enc.as_ptr() as usize).wrapping_sub(bytes.as_ptr() as usize));
        let raw = base64::engine::general_purpose::STANDARD
            .decode(enc)
            .map_err(|e| format!("line {n}: its histogram is not base64: {e}"))?;
        let hist = decode::histogram(&mut de, &raw).map_err(|e| format!("line {n}: {e}"))?;
        each(Interval {
            timer: i.tag().map(|t| name_of_tag(&t)),
            start_s: i.start_timestamp().as_secs_f64(),
            duration_s: i.duration().as_secs_f64(),
            line: n,
            hist,
        })?;
    }
    Ok(())
}

/// Each tagged timer's intervals added together (`Histogram::add`, exact:
/// same precision, counts summed bucket by bucket). `admit` is asked about
/// each timer before its sum is made, and its refusal is the error (after
/// "line N: "): a caller that knows the timers bounds the sums to them
/// (each holds up to [`decode::MAX_COUNTS`] counts).
pub fn sums(
    bytes: &[u8],
    admit: impl Fn(&str) -> Result<(), String>,
) -> Result<BTreeMap<String, Histogram<u64>>, String> {
    let mut sums: BTreeMap<String, Histogram<u64>> = BTreeMap::new();
    read_log(bytes, |i| {
        let Some(timer) = i.timer else {
            return Ok(());
        };
        if !sums.contains_key(&timer) {
            admit(&timer).map_err(|e| format!("line {}: {e}", i.line))?;
        }
        let sum = sums
            .entry(timer)
            .or_insert_with(|| Histogram::new(i.hist.sigfig()).expect("a decoded precision"));
        sum.add(&i.hist)
            .map_err(|e| format!("line {}: cannot add its histogram: {e:?}", i.line))
    })?;
    Ok(sums)
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

pub mod decode;
#[cfg(test)]
mod tests;
