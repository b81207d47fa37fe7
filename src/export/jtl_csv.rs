//! `results.jtl`: JMeter's CSV JTL, one row per transaction (step), with
//! JMeter's default header so its dashboard generator (`jmeter -g
//! results.jtl -o dashboard/`) and other JTL readers load it.
//!
//! What pace does not measure is written as JMeter writes an unmeasured
//! field: `sentBytes`, `IdleTime` and `Connect` are 0. `Latency` is the time
//! to the response headers. `timeStamp` is the sample's start (JMeter's
//! default, `sampleresult.timestamp.start=true`).

use super::Exporter;
use super::jtl::{Label, ThreadCounts};
use crate::results::Results;
use crate::results::sample::Kind;
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

impl Exporter for JtlCsv {
    fn file_name(&self) -> &'static str {
        "results.jtl"
    }

    fn write(&self, r: &Results, out: &mut dyn Write) -> anyhow::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(HEADER)?;
        let mut threads = ThreadCounts::default();
        let labels = Label::new(r);
        for s in r.samples()? {
            let s = s.map_err(|e| anyhow::anyhow!("{}: {e}", r.samples_path().display()))?;
            threads.add(&s);
            if s.kind != Kind::Step {
                continue;
            }
            let (code, message) = labels.response(&s);
            let (grp, all) = threads.at(&s.group);
            w.write_record([
                r.epoch_ms(s.t).to_string().as_str(),
                &ms(s.latency).to_string(),
                &s.name,
                &code,
                &message,
                &labels.thread_name(&s),
                "text",
                if s.ok { "true" } else { "false" },
                if s.ok { "" } else { s.error.as_str() },
                &s.bytes.to_string(),
                "0",
                &grp.to_string(),
                &all.to_string(),
                labels.url(&s.group, &s.name),
                &ms(s.ttfb.min(s.latency)).to_string(),
                "0",
                "0",
            ])?;
        }
        w.flush()?;
        Ok(())
    }
}

/// Whole milliseconds, as JMeter records them.
pub fn ms(secs: f64) -> i64 {
    (secs * 1000.0).round() as i64
}
