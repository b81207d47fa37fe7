//! `results.xml`: JMeter's XML JTL (Pyak47's `xml_report`), written when
//! the plan says `xml_report = true` or with `--xml`. One `<sample>` per
//! transaction (an iteration, labelled with its group) holding a child
//! `<sample>` per step; times in milliseconds, `ts` the sample's start.
//!
//! The raw file lists an iteration's steps before the iteration's own row,
//! so steps wait in a map keyed by (group, user, iteration) until their
//! iteration ends: memory holds one iteration per active user, never the
//! run. Steps whose iteration row never came (cut off at the end of the
//! run) are written last, on their own.

use super::Exporter;
use super::jtl::{Label, ThreadCounts};
use super::jtl_csv::ms;
use super::xml_chars::XmlChars;
use crate::results::Results;
use crate::results::sample::{Kind, Sample};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use std::collections::HashMap;
use std::io::Write;

pub struct JtlXml;

type Key = (String, u32, u64);

/// A step waiting for its iteration, with the thread counts at its start.
struct Pending {
    sample: Sample,
    threads: (i64, i64),
}

impl Exporter for JtlXml {
    fn file_name(&self) -> &'static str {
        "results.xml"
    }

    fn write(&self, r: &Results, out: &mut dyn Write) -> anyhow::Result<()> {
        // Names and error texts may hold characters XML forbids.
        let mut out = XmlChars::new(out);
        let mut w = Writer::new_with_indent(&mut out, b' ', 1);
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        w.write_event(Event::Start(
            BytesStart::new("testResults").with_attributes([("version", "1.2")]),
        ))?;
        let labels = Label::new(r);
        let mut threads = ThreadCounts::default();
        let mut pending: HashMap<Key, Vec<Pending>> = HashMap::new();
        for s in r.samples()? {
            let s = s.map_err(|e| anyhow::anyhow!("{}: {e}", r.samples_path().display()))?;
            threads.add(&s);
            match s.kind {
                // A script's custom timers nest in its transaction too.
                Kind::Step | Kind::Timer => {
                    let t = threads.at(&s.group);
                    pending
                        .entry((s.group.to_string(), s.user, s.iteration))
                        .or_default()
                        .push(Pending {
                            sample: s,
                            threads: t,
                        });
                }
                Kind::Iteration => {
                    let steps = pending
                        .remove(&(s.group.to_string(), s.user, s.iteration))
                        .unwrap_or_default();
                    let t = threads.at(&s.group);
                    write_transaction(&mut w, r, &labels, &s, t, &steps)?;
                }
                _ => {}
            }
        }
        // Steps of iterations that never finished, in time order.
        let mut rest: Vec<Pending> = pending.into_values().flatten().collect();
        rest.sort_by(|a, b| a.sample.t.total_cmp(&b.sample.t));
        for p in &rest {
            write_step(&mut w, r, &labels, p)?;
        }
        w.write_event(Event::End(BytesEnd::new("testResults")))?;
        w.get_mut().write_all(b"\n")?;
        out.finish()?;
        Ok(())
    }
}

/// What differs between a transaction's and a step's `<sample>`.
struct Fields<'a> {
    label: &'a str,
    code: String,
    message: String,
    threads: (i64, i64),
    bytes: u64,
    /// Request bytes (`sby`).
    sent_bytes: u64,
    /// Time to the response headers, seconds.
    lt: f64,
    /// `it` and `ct`, whole milliseconds: the time outside the samples (a
    /// transaction's), opening connections.
    idle_ms: i64,
    connect_ms: i64,
}

/// The attributes JMeter writes on every sample.
fn attributes(r: &Results, labels: &Label, s: &Sample, f: Fields<'_>) -> BytesStart<'static> {
    let mut e = BytesStart::new("sample");
    let attrs: [(&str, String); 17] = [
        ("t", ms(s.latency).to_string()),
        ("it", f.idle_ms.to_string()),
        ("lt", ms(f.lt.min(s.latency)).to_string()),
        ("ct", f.connect_ms.to_string()),
        ("ts", r.epoch_ms(s.t).to_string()),
        ("s", s.ok.to_string()),
        ("lb", f.label.to_string()),
        ("rc", f.code),
        ("rm", f.message),
        ("tn", labels.thread_name(s)),
        ("dt", "text".into()),
        ("by", f.bytes.to_string()),
        ("sby", f.sent_bytes.to_string()),
        ("sc", "1".into()),
        ("ec", u64::from(!s.ok).to_string()),
        ("ng", f.threads.0.to_string()),
        ("na", f.threads.1.to_string()),
    ];
    for (k, v) in attrs {
        e.push_attribute((k, v.as_str()));
    }
    e
}

fn write_transaction<W: Write>(
    w: &mut Writer<W>,
    r: &Results,
    labels: &Label,
    it: &Sample,
    threads: (i64, i64),
    steps: &[Pending],
) -> anyhow::Result<()> {
    let samples = steps.iter().filter(|p| p.sample.kind == Kind::Step);
    let failing = samples.clone().filter(|p| !p.sample.ok).count();
    let bytes = steps.iter().map(|p| p.sample.bytes).sum();
    let sent_bytes = steps.iter().map(|p| p.sample.sent_bytes).sum();
    // Custom timers nest here too, but only steps are the transaction's
    // samples (their times are inside the step's).
    let sampled: i64 = steps
        .iter()
        .filter(|p| p.sample.kind == Kind::Step)
        .map(|p| ms(p.sample.latency))
        .sum();
    let connect_ms = steps.iter().map(|p| ms(p.sample.connect)).sum();
    // JMeter's Transaction Controller: the first failing child's code.
    let code = steps
        .iter()
        .find(|p| !p.sample.ok)
        .or(steps.last())
        .map(|p| labels.response(&p.sample).0)
        .unwrap_or_default();
    let message = format!(
        "Number of samples in transaction : {}, number of failing samples : {failing}",
        samples.count()
    );
    let e = attributes(
        r,
        labels,
        it,
        Fields {
            label: &it.group,
            code,
            message,
            threads,
            bytes,
            sent_bytes,
            lt: 0.0,
            idle_ms: (ms(it.latency) - sampled).max(0),
            connect_ms,
        },
    );
    if steps.is_empty() {
        w.write_event(Event::Empty(e))?;
        return Ok(());
    }
    w.write_event(Event::Start(e))?;
    for p in steps {
        write_step(w, r, labels, p)?;
    }
    w.write_event(Event::End(BytesEnd::new("sample")))?;
    Ok(())
}

fn write_step<W: Write>(
    w: &mut Writer<W>,
    r: &Results,
    labels: &Label,
    p: &Pending,
) -> anyhow::Result<()> {
    let s = &p.sample;
    let (code, message) = labels.response(s);
    let label = match s.kind {
        Kind::Timer => labels.timer(&s.name),
        _ => std::borrow::Cow::Borrowed(&*s.name),
    };
    let e = attributes(
        r,
        labels,
        s,
        Fields {
            label: &label,
            code,
            message,
            threads: p.threads,
            bytes: s.bytes,
            sent_bytes: s.sent_bytes,
            lt: s.ttfb,
            idle_ms: 0,
            connect_ms: ms(s.connect.min(s.latency)),
        },
    );
    let url = labels.url(&s.group, &s.name);
    if s.ok && url.is_empty() {
        w.write_event(Event::Empty(e))?;
        return Ok(());
    }
    w.write_event(Event::Start(e))?;
    if !s.ok {
        // JMeter's assertion result carries the failure message.
        w.write_event(Event::Start(BytesStart::new("assertionResult")))?;
        text_element(w, "name", s.error_kind.map(|k| k.name()).unwrap_or("io"))?;
        text_element(w, "failure", "true")?;
        text_element(w, "error", "false")?;
        text_element(w, "failureMessage", &s.error)?;
        w.write_event(Event::End(BytesEnd::new("assertionResult")))?;
    }
    if !url.is_empty() {
        text_element(w, "java.net.URL", url)?;
    }
    w.write_event(Event::End(BytesEnd::new("sample")))?;
    Ok(())
}

fn text_element<W: Write>(w: &mut Writer<W>, name: &str, text: &str) -> anyhow::Result<()> {
    w.write_event(Event::Start(BytesStart::new(name)))?;
    w.write_event(Event::Text(BytesText::new(text)))?;
    w.write_event(Event::End(BytesEnd::new(name)))?;
    Ok(())
}
