//! One raw record of a run, as streamed to `samples.csv` while the run goes
//! on. Everything a report or a verdict needs can be rebuilt from these rows
//! (re-processing reads them back), so nothing measured lives only in memory.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// One step (transaction) of an iteration.
    Step,
    /// A whole iteration.
    Iteration,
    /// A custom timer a script set during one transaction (Pyak47's
    /// `self.custom_timers`): reported as a named timer, never counted as
    /// a transaction.
    Timer,
    /// A start that never happened: the arrival pool was exhausted.
    Dropped,
    /// A start skipped because the previous iteration overran (`late = "skip"`).
    Skipped,
    /// A virtual user began (its ramp-up offset was reached).
    UserStart,
    /// A virtual user finished (end of run, or retired).
    UserStop,
    /// A virtual user gave up before the end: its script worker kept
    /// failing (`error` says how). Its `UserStop` follows.
    Retired,
    /// A planned start the user never made: when the run ended it was still
    /// behind its absolute schedule (`late = "drift"` or `"catch-up"`), or
    /// it had retired. `t` is the planned time, so the verdict can count
    /// the starts of any window that never happened.
    Missed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Connect,
    Timeout,
    Status,
    Expectation,
    /// Any other transport failure (reset, bad response, body read).
    Io,
    /// A script raised (a failed assert, an exception in `run()` or while
    /// loading).
    Script,
    /// A script worker crashed, could not start, or broke the protocol.
    Worker,
    /// Still in flight when the run ended (the grace was over, or a second
    /// Ctrl-C): cut off and counted as failed, never silently dropped.
    Cutoff,
}

impl ErrorKind {
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Status => "status",
            ErrorKind::Expectation => "expectation",
            ErrorKind::Io => "io",
            ErrorKind::Script => "script",
            ErrorKind::Worker => "worker",
            ErrorKind::Cutoff => "cutoff",
        }
    }
}

/// One row of `samples.csv`. Times are seconds since the run's start (the
/// first user's start), latencies seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub kind: Kind,
    /// When it happened: the actual send of a step, the actual start of an
    /// iteration, the planned time of a dropped or skipped start.
    pub t: f64,
    /// The actual start of the iteration this row belongs to.
    pub iter_start: f64,
    /// The iteration's scheduled start. The verdict counts the window's
    /// transactions by it, as the band counts scheduled starts: a start due
    /// at 59.9995 s that the generator makes at 60.0003 s still belongs
    /// before the end, and lateness is judged on its own.
    pub iter_sched: f64,
    pub group: String,
    pub user: u32,
    pub iteration: u64,
    /// Step name (the timer), or the group name for iteration rows.
    pub name: String,
    /// Response time from the actual send.
    pub latency: f64,
    /// Response time from the scheduled start (coordinated-omission view).
    pub latency_sched: f64,
    pub status: u16,
    pub ok: bool,
    pub error_kind: Option<ErrorKind>,
    pub error: String,
    pub bytes: u64,
    /// Iteration rows: how late the start was against its schedule.
    pub late: f64,
    /// Iteration rows: the lateness came from the previous iteration
    /// overrunning its interval (not from the generator waking late).
    pub overrun: bool,
    /// Step rows: time to the response headers (JMeter's Latency); the body
    /// read is the rest of `latency`. Older files without it read as 0.
    #[serde(default)]
    pub ttfb: f64,
    /// The iteration's start on the plan's absolute schedule: the user's
    /// first start plus every interval drawn since, never re-based by a late
    /// start whatever `late` says (wrk2's view). `latency_sched` is measured
    /// from it. Equal to `iter_sched` where the two cannot differ (catch-up,
    /// skip, arrival rate, after-end, back to back). Older files without it
    /// read as NaN: use [`Sample::planned`].
    #[serde(default = "not_recorded")]
    pub iter_planned: f64,
}

fn not_recorded() -> f64 {
    f64::NAN
}

impl Sample {
    pub fn event(kind: Kind, t: f64, group: &str, user: u32) -> Sample {
        Sample {
            kind,
            t,
            iter_start: t,
            iter_sched: t,
            group: group.to_string(),
            user,
            iteration: 0,
            name: group.to_string(),
            latency: 0.0,
            latency_sched: 0.0,
            status: 0,
            ok: true,
            error_kind: None,
            error: String::new(),
            bytes: 0,
            late: 0.0,
            overrun: false,
            ttfb: 0.0,
            iter_planned: t,
        }
    }

    /// The iteration's start on the absolute schedule (`iter_sched` for
    /// files written before pace recorded it).
    pub fn planned(&self) -> f64 {
        if self.iter_planned.is_nan() {
            self.iter_sched
        } else {
            self.iter_planned
        }
    }
}

/// Writes rows to any `io::Write` as CSV with a header.
pub struct SampleWriter<W: std::io::Write> {
    inner: csv::Writer<W>,
}

impl<W: std::io::Write> SampleWriter<W> {
    pub fn new(w: W) -> Self {
        SampleWriter {
            inner: csv::Writer::from_writer(w),
        }
    }

    pub fn write(&mut self, s: &Sample) -> std::io::Result<()> {
        self.inner.serialize(s).map_err(std::io::Error::other)
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A samples file opened for reading: its rows, and whether its last line
/// was torn.
pub struct SamplesFile {
    /// The complete rows, streamed.
    pub rows: Box<dyn Iterator<Item = Result<Sample, String>>>,
    /// Bytes of an incomplete last line that were left out: a run killed
    /// while writing (SIGKILL, a full disk) ends its file mid-row.
    pub torn_bytes: u64,
}

/// Opens a samples file for reading. Every row the writer finished ends
/// with a newline, so whatever follows the last newline is a row cut short
/// and is left out (reported in `torn_bytes`) rather than read as a row
/// whose last field lost digits. Errors: the file cannot be opened or read.
pub fn open_samples(path: &std::path::Path) -> std::io::Result<SamplesFile> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    // The last newline: scan back from the end a block at a time.
    let mut complete = 0u64;
    let mut end = len;
    let mut buf = vec![0u8; 1 << 16];
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let n = (end - start) as usize;
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(&mut buf[..n])?;
        if let Some(i) = buf[..n].iter().rposition(|&b| b == b'\n') {
            complete = start + i as u64 + 1;
            break;
        }
        end = start;
    }
    f.seek(SeekFrom::Start(0))?;
    let reader = std::io::BufReader::with_capacity(1 << 16, f.take(complete));
    Ok(SamplesFile {
        rows: Box::new(read_samples(reader)),
        torn_bytes: len - complete,
    })
}

/// Reads rows back, one at a time (a large file is never held in memory).
pub fn read_samples<R: std::io::Read>(r: R) -> impl Iterator<Item = Result<Sample, String>> {
    let rdr = csv::Reader::from_reader(r);
    rdr.into_deserialize::<Sample>().map(|row| {
        row.map_err(|e| match e.position() {
            Some(p) => format!("line {}: {e}", p.line()),
            None => e.to_string(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_with_commas_and_newlines() {
        let mut s = Sample::event(Kind::Step, 1.25, "browse", 3);
        s.name = "home".into();
        s.error = "bad, very\nbad".into();
        s.error_kind = Some(ErrorKind::Status);
        s.ok = false;
        s.status = 500;
        let mut buf = Vec::new();
        {
            let mut w = SampleWriter::new(&mut buf);
            w.write(&s).unwrap();
            w.write(&Sample::event(Kind::UserStart, 0.0, "browse", 0))
                .unwrap();
            w.flush().unwrap();
        }
        let back: Vec<Sample> = read_samples(&buf[..]).map(|r| r.unwrap()).collect();
        assert_eq!(back[0], s);
        assert_eq!(back[1].kind, Kind::UserStart);
    }
}
