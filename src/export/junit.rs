//! `junit.xml`: the verdict as a JUnit report, one testcase per acceptance
//! check (throughput band, each latency threshold, error rate, and the
//! always-on checks that the run did real work), so a CI system shows which
//! check failed and why; a "run completed" case that fails for a partial
//! run: its results cannot prove the plan was met; and, for a plan that
//! promises nothing (NO CHECKS), an "acceptance" case marked skipped, so
//! CI never reports a judgement that was not made.
//!
//! The file is valid against both schemas CI tools read JUnit by: the
//! Jenkins xunit plugin's (`junit-10.xsd`) and Apache Ant's (Windy Road's
//! `JUnit.xsd`). Ant's sets the shape: a `<testsuites>` without
//! attributes, holding one `<testsuite>` with `package`, `id`, `hostname`
//! and a `timestamp` without a zone (UTC here), then `<properties>`, the
//! testcases, `<system-out>` and `<system-err>`.
//!
//! Times: the suite's is the run's (first user's start to the end); the
//! "run completed" case carries it too, as the case that the run ran; every
//! check is 0 (judging measures nothing), so a tool summing its cases
//! (junit2html) gets the run's time, not one run per check. Each check's
//! achieved value and its threshold are in its failure, and for every
//! check, passed or not, in a line of the suite's `<system-out>` (Jenkins
//! shows it on each case's page): a testcase's name stays the check's own,
//! the same run after run, so a CI's history of a check is one line.

use super::Exporter;
use super::xml_chars::XmlChars;
use crate::results::Results;
use crate::results::judgement::State;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use std::io::Write;

pub struct Junit;

/// One testcase: name, the failure (message, detail) if it failed, why it
/// was skipped if it was, its time in seconds.
struct Case {
    name: String,
    failure: Option<(String, String)>,
    skipped: Option<String>,
    time: f64,
}

fn cases(r: &Results) -> Vec<Case> {
    let mut v: Vec<Case> = r
        .summary
        .verdict
        .checks
        .iter()
        .map(|c| Case {
            name: c.name.clone(),
            failure: (!c.pass).then(|| {
                (
                    c.reason
                        .clone()
                        .unwrap_or_else(|| format!("{} failed", c.name)),
                    format!(
                        "planned: {}\nachieved: {}{}",
                        c.target,
                        c.achieved,
                        over_line(c)
                    ),
                )
            }),
            skipped: None,
            time: 0.0,
        })
        .collect();
    if r.summary.verdict.state == State::NoChecks {
        v.push(Case {
            name: "acceptance".into(),
            failure: None,
            skipped: Some(
                "NO CHECKS: the plan sets no target rate and no threshold, so nothing was judged"
                    .into(),
            ),
            time: 0.0,
        });
    }
    let meta = &r.summary.meta;
    v.push(Case {
        name: "run completed".into(),
        failure: meta.partial.then(|| {
            let why = meta.partial_reason.clone().unwrap_or_default();
            (
                format!("the run did not finish: {why}"),
                format!(
                    "ran {:.3} s of the planned {:.3} s; these results are partial",
                    meta.run_time_s, meta.duration_s
                ),
            )
        }),
        skipped: None,
        time: meta.run_time_s,
    });
    v
}

/// "\nover: the span and what was counted", where the check says it.
fn over_line(c: &crate::results::judgement::Check) -> String {
    c.over
        .as_ref()
        .map(|o| format!("\nover: {}", o.samples))
        .unwrap_or_default()
}

/// The suite's `<system-out>`: the verdict, then each check on a line of
/// its own with what it achieved against what the plan set.
fn system_out(r: &Results) -> String {
    let v = &r.summary.verdict;
    let mut out = format!("verdict: {}\n", v.state.word());
    for c in &v.checks {
        out.push_str(&format!(
            "{} {}: achieved {}, planned {}{}\n",
            if c.pass { "PASS" } else { "FAIL" },
            c.name,
            c.achieved,
            c.target,
            c.over
                .as_ref()
                .map(|o| format!(", over {}", o.samples))
                .unwrap_or_default()
        ));
    }
    for n in &v.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}

/// The run's start as Ant's schema wants it: `YYYY-MM-DDTHH:MM:SS`, no
/// zone (UTC).
fn timestamp(epoch_ms: u64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(epoch_ms);
    let mut s = humantime::format_rfc3339_seconds(t).to_string();
    s.truncate("YYYY-MM-DDTHH:MM:SS".len());
    s
}

/// The name of the machine writing the report, `localhost` when it has
/// none (Ant's schema asks for that). `pace report` on another machine
/// names that one: a run's own host is not recorded.
fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at
    // most that many bytes.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    match std::str::from_utf8(&buf[..len]) {
        Ok(h) if rc == 0 && !h.trim().is_empty() => h.trim().to_string(),
        _ => "localhost".into(),
    }
}

impl Exporter for Junit {
    fn file_name(&self) -> &'static str {
        "junit.xml"
    }

    fn write(&self, r: &Results, out: &mut dyn Write) -> anyhow::Result<()> {
        let cases = cases(r);
        let failures = cases.iter().filter(|c| c.failure.is_some()).count();
        let skipped = cases.iter().filter(|c| c.skipped.is_some()).count();
        let skipped = skipped.to_string();
        let meta = &r.summary.meta;
        let plan = meta.plan_name();
        let tests = cases.len().to_string();
        let failures = failures.to_string();
        let time = format!("{:.3}", meta.run_time_s);
        // Check names and reasons quote timer names and error texts, which
        // may hold characters XML forbids.
        let mut out = XmlChars::new(out);
        let mut w = Writer::new_with_indent(&mut out, b' ', 2);
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        // Ant's schema allows no attribute here; the suite has the counts.
        w.write_event(Event::Start(BytesStart::new("testsuites")))?;
        let suite = format!("pace run {plan}");
        let classname = format!("pace.{plan}");
        let stamp = timestamp(meta.started_epoch_ms);
        let host = hostname();
        w.write_event(Event::Start(BytesStart::new("testsuite").with_attributes(
            [
                ("name", suite.as_str()),
                ("package", classname.as_str()),
                ("id", "0"),
                ("hostname", host.as_str()),
                ("timestamp", stamp.as_str()),
                ("tests", tests.as_str()),
                ("failures", failures.as_str()),
                ("errors", "0"),
                ("skipped", skipped.as_str()),
                ("time", time.as_str()),
            ],
        )))?;
        w.write_event(Event::Start(BytesStart::new("properties")))?;
        let seed = meta.seed.to_string();
        let results_dir = r.dir.display().to_string();
        for (k, v) in [
            ("plan", meta.plan_file.as_str()),
            ("seed", seed.as_str()),
            ("results_dir", results_dir.as_str()),
            ("started_at", meta.started_at.as_str()),
            ("verdict", r.summary.verdict.state.name()),
        ] {
            w.write_event(Event::Empty(
                BytesStart::new("property").with_attributes([("name", k), ("value", v)]),
            ))?;
        }
        w.write_event(Event::End(BytesEnd::new("properties")))?;
        for c in &cases {
            let case_time = format!("{:.3}", c.time);
            let tc = BytesStart::new("testcase").with_attributes([
                ("name", c.name.as_str()),
                ("classname", classname.as_str()),
                ("time", case_time.as_str()),
            ]);
            match (&c.failure, &c.skipped) {
                (None, Some(why)) => {
                    w.write_event(Event::Start(tc))?;
                    w.write_event(Event::Empty(
                        BytesStart::new("skipped").with_attributes([("message", why.as_str())]),
                    ))?;
                    w.write_event(Event::End(BytesEnd::new("testcase")))?;
                }
                (None, None) => w.write_event(Event::Empty(tc))?,
                (Some((message, detail)), _) => {
                    w.write_event(Event::Start(tc))?;
                    w.write_event(Event::Start(BytesStart::new("failure").with_attributes([
                        ("message", message.as_str()),
                        ("type", "acceptance"),
                    ])))?;
                    w.write_event(Event::Text(BytesText::new(detail)))?;
                    w.write_event(Event::End(BytesEnd::new("failure")))?;
                    w.write_event(Event::End(BytesEnd::new("testcase")))?;
                }
            }
        }
        let said = system_out(r);
        w.write_event(Event::Start(BytesStart::new("system-out")))?;
        w.write_event(Event::Text(BytesText::new(&said)))?;
        w.write_event(Event::End(BytesEnd::new("system-out")))?;
        w.write_event(Event::Empty(BytesStart::new("system-err")))?;
        w.write_event(Event::End(BytesEnd::new("testsuite")))?;
        w.write_event(Event::End(BytesEnd::new("testsuites")))?;
        w.get_mut().write_all(b"\n")?;
        out.finish()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ant's schema: `YYYY-MM-DDTHH:MM:SS`, no fraction, no zone.
    #[test]
    fn the_timestamp_has_no_zone() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00");
        assert_eq!(timestamp(1_767_225_600_999), "2026-01-01T00:00:00");
    }

    #[test]
    fn a_hostname_is_never_empty() {
        let h = hostname();
        assert!(!h.is_empty() && h.trim() == h, "{h:?}");
    }
}
