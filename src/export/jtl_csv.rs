//! `results.jtl`: JMeter's CSV JTL, with JMeter 5.x's default header (read
//! by JMeter 3.1 and later: `sentBytes` came in 3.1), so its
//! dashboard generator (`jmeter -g results.jtl -o dashboard/`) and other
//! JTL readers load it.
//!
//! Rows come as JMeter writes a Transaction Controller whose "Generate
//! parent sample" is off (its default): each sample as a row of its own,
//! then the transaction's row, after its last sample.
//! - a **step** (an HTTP request, or a script's `run()`): a row labelled
//!   with the step's name;
//! - a script's **custom timer**: a row labelled with the timer's name
//!   (`<name> (custom timer)` where a transaction has that name, as in
//!   summary.json), as JMeter writes sub-results as rows;
//! - an **iteration**: the Transaction Controller's row, labelled with the
//!   group's name ([`Label::transaction`]), `URL` the text `null` (what
//!   tells transaction readers such as parse-jtl that it is one), its
//!   elapsed time the iteration's, successful only if every step was,
//!   JMeter's message "Number of samples in transaction : N, number of
//!   failing samples : M", and its byte counts, `Latency` and `Connect`
//!   its steps' sums.
//!
//! `timeStamp` is a sample's start (JMeter's default,
//! `sampleresult.timestamp.start=true`). `Latency` is the time to the
//! response headers; `bytes` the response body received; `sentBytes` the
//! request pace asked to send (computed, see
//! [`crate::runner::http::request_size`]); `Connect` the time to open the
//! connection, 0 on a kept-alive one; `IdleTime` 0 on a sample, and on a
//! transaction the part of its elapsed time no step was running (think
//! time, pace's own work between steps).

use super::Exporter;
use super::jtl::{Label, ThreadCounts};
use crate::results::Results;
use crate::results::sample::{Kind, Sample};
use std::collections::HashMap;
use std::io::Write;

pub struct JtlCsv;

/// JMeter's default CSV columns, in its order.
pub const HEADER: [&str; 17] = [
    "timeStamp",
    "elapsed",
    "label",
    "responseCode",
    "responseMessage",
    "threadName",
    "dataType",
    "success",
    "failureMessage",
    "bytes",
    "sentBytes",
    "grpThreads",
    "allThreads",
    "URL",
    "Latency",
    "IdleTime",
    "Connect",
];

/// An iteration's steps so far, summed as a Transaction Controller sums
/// its samples. Times in whole milliseconds, as each step's row says them,
/// so a transaction row agrees with the rows above it.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Transaction {
    /// Steps seen.
    pub samples: u32,
    /// Steps that failed.
    pub failing: u32,
    /// The first failing step's `responseCode` (JMeter's transaction takes
    /// the code of its samples up to the first failure).
    pub code: Option<String>,
    /// Response body bytes received, summed.
    pub bytes: u64,
    /// Request bytes (see `Sample::sent_bytes`), summed.
    pub sent_bytes: u64,
    /// The steps' `elapsed`, summed, ms.
    pub elapsed_ms: i64,
    /// The steps' `Latency` (to the response headers), summed, ms.
    pub latency_ms: i64,
    /// The steps' `Connect`, summed, ms.
    pub connect_ms: i64,
}

impl Transaction {
    /// Counts step `s` in, `code` its responseCode.
    pub fn add(&mut self, s: &Sample, code: &str) {
        self.samples += 1;
        if !s.ok {
            self.failing += 1;
            if self.code.is_none() {
                self.code = Some(code.to_string());
            }
        }
        self.bytes += s.bytes;
        self.sent_bytes += s.sent_bytes;
        self.elapsed_ms += ms(s.latency);
        self.latency_ms += ms(s.ttfb.min(s.latency));
        self.connect_ms += ms(s.connect.min(s.latency));
    }

    /// Whether the transaction succeeded: its iteration did (it was not
    /// cut off) and every step did.
    pub fn ok(&self, iteration: &Sample) -> bool {
        iteration.ok && self.failing == 0
    }

    /// JMeter's `responseMessage` for a transaction.
    pub fn message(&self) -> String {
        format!(
            "Number of samples in transaction : {}, number of failing samples : {}",
            self.samples, self.failing
        )
    }

    /// `IdleTime`, ms: the iteration's elapsed time that no step took.
    pub fn idle_ms(&self, iteration: &Sample) -> i64 {
        (ms(iteration.latency) - self.elapsed_ms).max(0)
    }
}

/// Where an iteration's steps wait for its row: (group index, user,
/// iteration). No string is cloned per row.
type Key = (usize, u32, u64);

impl Exporter for JtlCsv {
    fn file_name(&self) -> &'static str {
        "results.jtl"
    }

    fn write(&self, r: &Results, out: &mut dyn Write) -> anyhow::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(HEADER)?;
        let mut threads = ThreadCounts::default();
        let labels = Label::new(r);
        // One entry per iteration in progress (one per active user): the
        // file is streamed, never held. Steps of an iteration that never
        // ended (cut off at the end of the run) have their rows, not a
        // transaction's.
        let mut open: HashMap<Key, Transaction> = HashMap::new();
        for s in r.samples()? {
            let s = s.map_err(|e| anyhow::anyhow!("{}: {e}", r.samples_path().display()))?;
            threads.add(&s);
            let key = (labels.group_index(&s.group), s.user, s.iteration);
            match s.kind {
                Kind::Step => {
                    let (code, message) = labels.response(&s);
                    open.entry(key).or_default().add(&s, &code);
                    let row = Row {
                        label: &s.name,
                        code: &code,
                        message: &message,
                        url: labels.url(&s.group, &s.name),
                    };
                    sample_row(&mut w, r, &labels, &threads, &s, row)?;
                }
                Kind::Timer => {
                    let (code, message) = labels.response(&s);
                    let label = labels.timer(&s.name);
                    let row = Row {
                        label: &label,
                        code: &code,
                        message: &message,
                        url: "",
                    };
                    sample_row(&mut w, r, &labels, &threads, &s, row)?;
                }
                Kind::Iteration => {
                    let tx = open.remove(&key).unwrap_or_default();
                    transaction_row(&mut w, r, &labels, &threads, &s, &tx)?;
                }
                _ => {}
            }
        }
        w.flush()?;
        Ok(())
    }
}

/// The text columns of a sample's row.
struct Row<'a> {
    label: &'a str,
    code: &'a str,
    message: &'a str,
    url: &'a str,
}

/// A step's or a custom timer's row.
fn sample_row<W: Write>(
    w: &mut csv::Writer<W>,
    r: &Results,
    labels: &Label,
    threads: &ThreadCounts,
    s: &Sample,
    row: Row<'_>,
) -> anyhow::Result<()> {
    let (grp, all) = threads.at(&s.group);
    w.write_record([
        r.epoch_ms(s.t).to_string().as_str(),
        &ms(s.latency).to_string(),
        row.label,
        row.code,
        row.message,
        &labels.thread_name(s),
        "text",
        if s.ok { "true" } else { "false" },
        if s.ok { "" } else { s.error.as_str() },
        &s.bytes.to_string(),
        &s.sent_bytes.to_string(),
        &grp.to_string(),
        &all.to_string(),
        row.url,
        &ms(s.ttfb.min(s.latency)).to_string(),
        "0",
        &ms(s.connect.min(s.latency)).to_string(),
    ])?;
    Ok(())
}

/// An iteration's row, as JMeter's Transaction Controller writes it.
fn transaction_row<W: Write>(
    w: &mut csv::Writer<W>,
    r: &Results,
    labels: &Label,
    threads: &ThreadCounts,
    it: &Sample,
    tx: &Transaction,
) -> anyhow::Result<()> {
    let ok = tx.ok(it);
    let code = match (&tx.code, ok) {
        (_, true) => "200".to_string(),
        (Some(c), false) => c.clone(),
        // Failed with no failing step: cut off between steps.
        (None, false) => labels.response(it).0,
    };
    let (grp, all) = threads.at(&it.group);
    w.write_record([
        r.epoch_ms(it.t).to_string().as_str(),
        &ms(it.latency).to_string(),
        labels.transaction(&it.group),
        &code,
        &tx.message(),
        &labels.thread_name(it),
        "",
        if ok { "true" } else { "false" },
        // Only the iteration's own failure (a cut-off): its steps' failures
        // are on their rows, and a reader counting messages counts each once.
        if ok { "" } else { it.error.as_str() },
        &tx.bytes.to_string(),
        &tx.sent_bytes.to_string(),
        &grp.to_string(),
        &all.to_string(),
        "null",
        &tx.latency_ms.to_string(),
        &tx.idle_ms(it).to_string(),
        &tx.connect_ms.to_string(),
    ])?;
    Ok(())
}

/// Whole milliseconds, as JMeter records them.
pub fn ms(secs: f64) -> i64 {
    (secs * 1000.0).round() as i64
}

#[cfg(test)]
mod tests;
