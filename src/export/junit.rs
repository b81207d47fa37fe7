//! `junit.xml`: the verdict as a JUnit report, one testcase per acceptance
//! check (throughput band, each latency threshold, error rate, and the
//! always-on checks that the run did real work), so a CI system shows which
//! check failed and why; a "run completed" case that fails for a partial
//! run: its results cannot prove the plan was met; and, for a plan that
//! promises nothing (NO CHECKS), an "acceptance" case marked skipped, so
//! CI never reports a judgement that was not made.

use super::Exporter;
use super::xml_chars::XmlChars;
use crate::results::Results;
use crate::results::judgement::State;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use std::io::Write;

pub struct Junit;

/// One testcase: name, the failure (message, detail) if it failed, why it
/// was skipped if it was.
struct Case {
    name: String,
    failure: Option<(String, String)>,
    skipped: Option<String>,
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
                    format!("planned: {}\nachieved: {}", c.target, c.achieved),
                )
            }),
            skipped: None,
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
    });
    v
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
        w.write_event(Event::Start(BytesStart::new("testsuites").with_attributes(
            [
                ("name", "pace"),
                ("tests", tests.as_str()),
                ("failures", failures.as_str()),
                ("errors", "0"),
                ("time", time.as_str()),
            ],
        )))?;
        let suite = format!("pace run {plan}");
        w.write_event(Event::Start(BytesStart::new("testsuite").with_attributes(
            [
                ("name", suite.as_str()),
                ("tests", tests.as_str()),
                ("failures", failures.as_str()),
                ("errors", "0"),
                ("skipped", skipped.as_str()),
                ("time", time.as_str()),
                ("timestamp", meta.started_at.as_str()),
            ],
        )))?;
        w.write_event(Event::Start(BytesStart::new("properties")))?;
        let seed = meta.seed.to_string();
        let results_dir = r.dir.display().to_string();
        for (k, v) in [
            ("plan", meta.plan_file.as_str()),
            ("seed", seed.as_str()),
            ("results_dir", results_dir.as_str()),
        ] {
            w.write_event(Event::Empty(
                BytesStart::new("property").with_attributes([("name", k), ("value", v)]),
            ))?;
        }
        w.write_event(Event::End(BytesEnd::new("properties")))?;
        let classname = format!("pace.{plan}");
        for c in &cases {
            let tc = BytesStart::new("testcase").with_attributes([
                ("name", c.name.as_str()),
                ("classname", classname.as_str()),
                ("time", time.as_str()),
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
        w.write_event(Event::End(BytesEnd::new("testsuite")))?;
        w.write_event(Event::End(BytesEnd::new("testsuites")))?;
        w.get_mut().write_all(b"\n")?;
        out.finish()?;
        Ok(())
    }
}
