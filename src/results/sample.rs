//! One raw record of a run, as streamed to `samples.csv` while the run goes
//! on. Everything a report or a verdict needs can be rebuilt from these rows
//! (re-processing reads them back), so nothing measured lives only in memory.

use serde::{Deserialize, Serialize};
use std::sync::Arc;

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
    /// An extractor found nothing (and has no default), or a step needed a
    /// variable that was not set.
    Extract,
    /// A request whose method is not idempotent (POST, PATCH, ...) lost on
    /// a reused keep-alive connection that the target closed as it was
    /// sent, before any answer: pace's stale connection, not an answer of
    /// the target, and not sent again (an idempotent one is, and counts in
    /// `reconnects`; see runner/connection.rs).
    Stale,
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
            ErrorKind::Extract => "extract",
            ErrorKind::Stale => "stale",
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
    /// Shared, not copied: every sample of a group points at one name.
    #[serde(with = "shared_str")]
    pub group: Arc<str>,
    pub user: u32,
    pub iteration: u64,
    /// Step name (the timer), or the group name for iteration rows.
    /// Shared like `group`: a step's samples all point at its one name.
    #[serde(with = "shared_str")]
    pub name: Arc<str>,
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
    /// Step rows: the bytes of the request pace asked to send, computed
    /// once per step from its HTTP/1.1 form (request line, the headers
    /// pace and its client set, the body); not counted on the socket, so
    /// over HTTP/2 (HPACK) or through a proxy the wire differs. 0 where no
    /// HTTP request was made (script transactions) and in older files.
    #[serde(default)]
    pub sent_bytes: u64,
    /// Step rows: seconds spent opening the connection the request went on
    /// (DNS, TCP connect and any TLS handshake), 0 when it reused a kept-
    /// alive connection, as JMeter's `Connect`. 0 in older files.
    #[serde(default)]
    pub connect: f64,
    /// Step rows: how many times pace sent the request again after the
    /// target closed the reused keep-alive connection it went on, before
    /// any answer: 0 or 1 (2 only if the re-send met another idle
    /// connection the target had closed too). The row's latency covers
    /// every attempt, its `connect` is the new connection's. 0 in older
    /// files.
    #[serde(default)]
    pub reconnects: u32,
}

/// `Arc<str>` as a plain string field (serde's own `rc` feature would
/// rebuild every crate that uses serde for two fields).
mod shared_str {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::sync::Arc;

    pub fn serialize<S: Serializer>(v: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<str>, D::Error> {
        String::deserialize(d).map(Arc::from)
    }
}

fn not_recorded() -> f64 {
    f64::NAN
}

impl Sample {
    /// A row of `kind` at `t` for `user` of `group`, named after the group.
    /// Pass the group's `Arc<str>` on hot paths: no allocation then.
    pub fn event(kind: Kind, t: f64, group: impl Into<Arc<str>>, user: u32) -> Sample {
        let group: Arc<str> = group.into();
        Sample {
            kind,
            t,
            iter_start: t,
            iter_sched: t,
            name: group.clone(),
            group,
            user,
            iteration: 0,
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
            sent_bytes: 0,
            connect: 0.0,
            reconnects: 0,
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

impl Sample {
    /// Whether a row read back can be one pace wrote for a run that ended
    /// by `horizon` seconds (duration + grace + slack): every time finite
    /// and between -1 s and the horizon, every latency finite, not negative
    /// and no longer than the horizon. A row that is not is a corrupted or
    /// foreign file, never something to judge (its times also size the
    /// time series). The error names the field and its value.
    pub fn check(&self, horizon: f64) -> Result<(), String> {
        let times = [
            ("t", self.t),
            ("iter_start", self.iter_start),
            ("iter_sched", self.iter_sched),
            ("iter_planned", self.iter_planned),
        ];
        for (name, v) in times {
            if name == "iter_planned" && v.is_nan() {
                continue; // written before pace recorded it
            }
            if !v.is_finite() || !(-1.0..=horizon).contains(&v) {
                return Err(format!(
                    "{name} = {} s is outside the run (0 to {horizon} s: duration + grace + 60 s)",
                    number(v)
                ));
            }
        }
        let spans = [
            ("latency", self.latency),
            ("latency_sched", self.latency_sched),
            ("late", self.late),
            ("ttfb", self.ttfb),
            ("connect", self.connect),
        ];
        for (name, v) in spans {
            if !v.is_finite() || !(0.0..=horizon).contains(&v) {
                return Err(format!(
                    "{name} = {} s is not a time this run could measure (0 to {horizon} s)",
                    number(v)
                ));
            }
        }
        Ok(())
    }
}

/// A value quoted in an error: huge ones in scientific notation (1e300
/// prints with 301 digits otherwise).
pub(crate) fn number(v: f64) -> String {
    if v.is_finite() && v.abs() >= 1e15 {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}

/// The columns of `samples.csv`, in [`Sample`]'s field order (serde's
/// header for it).
pub const COLUMNS: [&str; 22] = [
    "kind",
    "t",
    "iter_start",
    "iter_sched",
    "group",
    "user",
    "iteration",
    "name",
    "latency",
    "latency_sched",
    "status",
    "ok",
    "error_kind",
    "error",
    "bytes",
    "late",
    "overrun",
    "ttfb",
    "iter_planned",
    "sent_bytes",
    "connect",
    "reconnects",
];

/// Writes rows to any `io::Write` as CSV with a header (written with the
/// first row, as the csv crate's serializer does). The recorder's hot
/// path: each row is formatted into one reused line buffer with the
/// number formatters the csv crate uses (ryu, itoa), so the text is byte
/// for byte what `csv::Writer::serialize` writes (a test holds it to
/// that), without serde's dispatch per field or an allocation per row.
pub struct SampleWriter<W: std::io::Write> {
    inner: W,
    line: Vec<u8>,
    header_done: bool,
}

impl<W: std::io::Write> SampleWriter<W> {
    pub fn new(w: W) -> Self {
        SampleWriter {
            inner: w,
            line: Vec::with_capacity(256),
            header_done: false,
        }
    }

    /// Writes the header row now, if not yet written, and flushes: a
    /// file with no rows is still a samples file (a run stopped before
    /// its first row, a shard interrupted while it waits for its start).
    pub fn header(&mut self) -> std::io::Result<()> {
        if !self.header_done {
            self.inner.write_all(COLUMNS.join(",").as_bytes())?;
            self.inner.write_all(b"\n")?;
            self.header_done = true;
        }
        self.inner.flush()
    }

    pub fn write(&mut self, s: &Sample) -> std::io::Result<()> {
        let l = &mut self.line;
        l.clear();
        if !self.header_done {
            l.extend_from_slice(COLUMNS.join(",").as_bytes());
            l.push(b'\n');
            self.header_done = true;
        }
        let mut f = ryu::Buffer::new();
        let mut i = itoa::Buffer::new();
        let mut float = |l: &mut Vec<u8>, v: f64| {
            l.extend_from_slice(f.format(v).as_bytes());
            l.push(b',');
        };
        l.extend_from_slice(kind_name(s.kind).as_bytes());
        l.push(b',');
        float(l, s.t);
        float(l, s.iter_start);
        float(l, s.iter_sched);
        text(l, &s.group);
        l.extend_from_slice(i.format(s.user).as_bytes());
        l.push(b',');
        l.extend_from_slice(i.format(s.iteration).as_bytes());
        l.push(b',');
        text(l, &s.name);
        float(l, s.latency);
        float(l, s.latency_sched);
        l.extend_from_slice(i.format(s.status).as_bytes());
        l.push(b',');
        l.extend_from_slice(if s.ok { b"true," } else { b"false," });
        if let Some(k) = s.error_kind {
            l.extend_from_slice(k.name().as_bytes());
        }
        l.push(b',');
        text(l, &s.error);
        l.extend_from_slice(i.format(s.bytes).as_bytes());
        l.push(b',');
        float(l, s.late);
        l.extend_from_slice(if s.overrun { b"true," } else { b"false," });
        float(l, s.ttfb);
        float(l, s.iter_planned);
        l.extend_from_slice(i.format(s.sent_bytes).as_bytes());
        l.push(b',');
        l.extend_from_slice(f.format(s.connect).as_bytes());
        l.push(b',');
        l.extend_from_slice(i.format(s.reconnects).as_bytes());
        l.push(b'\n');
        self.inner.write_all(l)
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A text field and its comma, quoted as the csv crate quotes by default
/// (`QuoteStyle::Necessary`): only when it holds a comma, a quote or a
/// line break, quotes doubled inside.
fn text(l: &mut Vec<u8>, v: &str) {
    let b = v.as_bytes();
    if b.iter().any(|c| matches!(c, b',' | b'"' | b'\n' | b'\r')) {
        l.push(b'"');
        for &c in b {
            if c == b'"' {
                l.push(b'"');
            }
            l.push(c);
        }
        l.push(b'"');
    } else {
        l.extend_from_slice(b);
    }
    l.push(b',');
}

/// [`Kind`]'s name in samples.csv (its serde name).
fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Step => "step",
        Kind::Iteration => "iteration",
        Kind::Timer => "timer",
        Kind::Dropped => "dropped",
        Kind::Skipped => "skipped",
        Kind::UserStart => "user_start",
        Kind::UserStop => "user_stop",
        Kind::Retired => "retired",
        Kind::Missed => "missed",
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
/// whose last field lost digits. Errors: the file cannot be opened or
/// read, is not a regular file, or is empty (not even a header).
pub fn open_samples(path: &std::path::Path) -> std::io::Result<SamplesFile> {
    open_samples_within(path, None)
}

/// [`open_samples`], with every row also checked by [`Sample::check`]
/// against `horizon` (seconds): a row outside it is an error naming its
/// line, as is a row that does not parse.
pub fn open_samples_within(
    path: &std::path::Path,
    horizon: Option<f64>,
) -> std::io::Result<SamplesFile> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = crate::input::open_regular(path)?;
    let len = f.metadata()?.len();
    if len == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "empty file: not even the header row pace writes first",
        ));
    }
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
    let path = path.to_path_buf();
    // A quoted field may hold a line break, and csv quotes a bad field in
    // its error: an error is one line.
    let rows = read_samples_within(reader, horizon).map(move |row| {
        row.map_err(|(byte, e)| {
            let e = e.split_whitespace().collect::<Vec<_>>().join(" ");
            format!("line {}: {e}", line_at(&path, byte))
        })
    });
    Ok(SamplesFile {
        rows: Box::new(rows),
        torn_bytes: len - complete,
    })
}

/// The 1-based line of the record that starts at `byte` (csv's own line
/// count is one short in files with CRLF endings, as a spreadsheet saves
/// them; its byte offset then points at the previous line's `\n`).
fn line_at(path: &std::path::Path, byte: u64) -> u64 {
    use std::io::Read;
    let Ok(f) = std::fs::File::open(path) else {
        return 0;
    };
    let mut head = Vec::new();
    if f.take(byte + 1).read_to_end(&mut head).is_err() {
        return 0;
    }
    let end = match head.get(byte as usize) {
        Some(b'\n') => byte as usize + 1,
        _ => (byte as usize).min(head.len()),
    };
    head[..end].iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

/// Reads rows back, one at a time (a large file is never held in memory).
/// Errors start with `byte N:`, where the bad row starts.
pub fn read_samples<R: std::io::Read>(r: R) -> impl Iterator<Item = Result<Sample, String>> {
    read_samples_within(r, None).map(|row| row.map_err(|(byte, e)| format!("byte {byte}: {e}")))
}

/// Rows, each checked against `horizon` when given; an error comes with
/// the byte offset where its row starts.
fn read_samples_within<R: std::io::Read>(
    r: R,
    horizon: Option<f64>,
) -> impl Iterator<Item = Result<Sample, (u64, String)>> {
    let mut rdr = csv::Reader::from_reader(r);
    let headers = rdr.headers().cloned();
    let mut record = csv::StringRecord::new();
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed {
            return None;
        }
        let headers = match &headers {
            Ok(h) => h,
            Err(e) => {
                failed = true;
                return Some(Err((0, e.to_string())));
            }
        };
        match rdr.read_record(&mut record) {
            Ok(false) => None,
            Err(e) => {
                failed = true;
                let byte = e.position().map_or(0, |p| p.byte());
                Some(Err((byte, e.to_string())))
            }
            Ok(true) => {
                let byte = record.position().map_or(0, |p| p.byte());
                // The field's own complaint: the caller names the line
                // (csv's own record and line numbers are one short in
                // CRLF files).
                let row = record
                    .deserialize::<Sample>(Some(headers))
                    .map_err(|e| match e.kind() {
                        csv::ErrorKind::Deserialize { err, .. } => (byte, err.to_string()),
                        _ => (byte, e.to_string()),
                    })
                    .and_then(|s| match horizon {
                        Some(h) => s.check(h).map(|()| s).map_err(|e| (byte, e)),
                        None => Ok(s),
                    });
                failed = row.is_err();
                Some(row)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kind_of(i: u8) -> Kind {
        [
            Kind::Step,
            Kind::Iteration,
            Kind::Timer,
            Kind::Dropped,
            Kind::Skipped,
            Kind::UserStart,
            Kind::UserStop,
            Kind::Retired,
            Kind::Missed,
        ][i as usize % 9]
    }

    fn error_kind_of(i: u8) -> Option<ErrorKind> {
        [
            None,
            Some(ErrorKind::Connect),
            Some(ErrorKind::Timeout),
            Some(ErrorKind::Status),
            Some(ErrorKind::Expectation),
            Some(ErrorKind::Io),
            Some(ErrorKind::Script),
            Some(ErrorKind::Worker),
            Some(ErrorKind::Cutoff),
            Some(ErrorKind::Extract),
            Some(ErrorKind::Stale),
        ][i as usize % 11]
    }

    fn any_f64() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<f64>(),
            0.0..100.0f64,
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(-0.0),
            Just(1e-7),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        /// The hand-written row is byte for byte what the csv crate's
        /// serde serializer writes, header included, for any values and
        /// any text (commas, quotes, line breaks, non-ASCII).
        #[test]
        fn rows_are_what_csv_serialize_writes(
            kind in 0u8..9, ek in 0u8..11,
            floats in proptest::collection::vec(any_f64(), 9),
            ints in proptest::collection::vec(any::<u64>(), 3), reconnects in any::<u32>(),
            user in any::<u32>(), status in any::<u16>(), ok in any::<bool>(), overrun in any::<bool>(),
            group in "[a-z ,\"\n\r\u{e9}]{0,12}", name in "[a-z ,\"\n]{0,12}", error in "\\PC{0,20}",
        ) {
            let mut s = Sample::event(kind_of(kind), floats[0], group.as_str(), user);
            s.iter_start = floats[1];
            s.iter_sched = floats[2];
            s.iteration = ints[0];
            s.name = name.as_str().into();
            s.latency = floats[3];
            s.latency_sched = floats[4];
            s.status = status;
            s.ok = ok;
            s.error_kind = error_kind_of(ek);
            s.error = error;
            s.bytes = ints[1];
            s.late = floats[5];
            s.overrun = overrun;
            s.ttfb = floats[6];
            s.iter_planned = floats[7];
            s.sent_bytes = ints[2];
            s.connect = floats[8];
            s.reconnects = reconnects;
            let mut ours = Vec::new();
            let mut w = SampleWriter::new(&mut ours);
            w.write(&s).unwrap();
            w.write(&s).unwrap();
            w.flush().unwrap();
            let mut theirs = csv::Writer::from_writer(Vec::new());
            theirs.serialize(&s).unwrap();
            theirs.serialize(&s).unwrap();
            let theirs = theirs.into_inner().unwrap();
            prop_assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs));
        }
    }

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

    /// A file written before pace measured request bytes, connect times
    /// and re-sends reads them as 0.
    #[test]
    fn older_rows_without_sent_bytes_or_connect_read_as_zero() {
        let old = "kind,t,iter_start,iter_sched,group,user,iteration,name,latency,latency_sched,\
                   status,ok,error_kind,error,bytes,late,overrun,ttfb,iter_planned\n\
                   step,1.0,1.0,1.0,g,0,0,home,0.1,0.1,200,true,,,10,0,false,0.05,1.0\n";
        let rows: Vec<Sample> = read_samples(old.as_bytes()).map(|r| r.unwrap()).collect();
        assert_eq!(rows[0].sent_bytes, 0);
        assert_eq!(rows[0].connect, 0.0);
        assert_eq!(rows[0].reconnects, 0);
        assert_eq!(rows[0].bytes, 10);
        // Written before `reconnects`: 21 columns.
        let old = "kind,t,iter_start,iter_sched,group,user,iteration,name,latency,latency_sched,\
                   status,ok,error_kind,error,bytes,late,overrun,ttfb,iter_planned,sent_bytes,connect\n\
                   step,1.0,1.0,1.0,g,0,0,home,0.1,0.1,200,true,,,10,0,false,0.05,1.0,58,0.002\n";
        let rows: Vec<Sample> = read_samples(old.as_bytes()).map(|r| r.unwrap()).collect();
        assert_eq!(rows[0].sent_bytes, 58);
        assert_eq!(rows[0].connect, 0.002);
        assert_eq!(rows[0].reconnects, 0);
    }

    /// A re-sent step and a stale one are written and read back: the new
    /// column last, the new kind by its name.
    #[test]
    fn reconnects_and_stale_round_trip() {
        let mut s = Sample::event(Kind::Step, 2.0, "api", 1);
        s.reconnects = 1;
        let mut lost = Sample::event(Kind::Step, 3.0, "api", 1);
        lost.ok = false;
        lost.error_kind = Some(ErrorKind::Stale);
        lost.error = "x closed the kept-alive connection".into();
        let mut buf = Vec::new();
        {
            let mut w = SampleWriter::new(&mut buf);
            w.write(&s).unwrap();
            w.write(&lost).unwrap();
            w.flush().unwrap();
        }
        let text = String::from_utf8(buf.clone()).unwrap();
        assert!(
            text.lines()
                .next()
                .unwrap()
                .ends_with(",connect,reconnects")
        );
        assert!(text.lines().nth(1).unwrap().ends_with(",1"), "{text}");
        assert!(text.contains(",false,stale,"), "{text}");
        let back: Vec<Sample> = read_samples(&buf[..]).map(|r| r.unwrap()).collect();
        assert_eq!(back, vec![s, lost]);
    }

    /// A bad row is named by its line, with LF endings (as pace writes)
    /// and CRLF (as a spreadsheet saves), after a row whose quoted error
    /// spans two lines.
    #[test]
    fn bad_rows_are_named_by_their_line() {
        let mut s = Sample::event(Kind::Step, 1.0, "g", 0);
        s.error = "two\nlines".into();
        let mut bad = Sample::event(Kind::Step, 2.0, "g", 0);
        bad.latency = -1.0;
        let mut buf = Vec::new();
        {
            let mut w = SampleWriter::new(&mut buf);
            w.write(&s).unwrap();
            w.write(&bad).unwrap();
            w.flush().unwrap();
        }
        let lf = String::from_utf8(buf).unwrap();
        let crlf = lf.replace('\n', "\r\n");
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [("lf.csv", lf), ("crlf.csv", crlf)] {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            let rows: Vec<_> = open_samples_within(&path, Some(100.0))
                .unwrap()
                .rows
                .collect();
            assert!(rows[0].is_ok(), "{name}: {:?}", rows[0]);
            let e = rows[1].as_ref().unwrap_err();
            assert!(e.starts_with("line 4: latency = -1 s"), "{name}: {e}");
            assert_eq!(rows.len(), 2, "reading stops at the bad row");
        }
    }
}
