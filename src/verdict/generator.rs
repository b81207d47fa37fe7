//! The generator judged too: starts pace itself made late (not after an
//! overrun) are said, never blamed on the target or on chance. A few
//! late starts of a loaded machine are a note; what the generator never
//! offered in the span is the `generator` cause of a throughput miss
//! (causes.rs). The case verdict-blames-chance-for-generator: a run in
//! which pace started nothing for 1.5 s and then released 11 iterations up
//! to 1.49 s late printed PASS with "late starts 0" and no word.

use super::{Span, Verdict};
use crate::plan::file::PlanFile;
use crate::results::aggregate::Aggregate;
use crate::units::{count, secs};

/// Notes on starts the generator made late in the span, group by group.
pub fn notes(plan: &PlanFile, agg: &Aggregate, span: &Span, v: &mut Verdict) {
    let mut late = Vec::new();
    for g in &plan.groups {
        let Some(t) = agg.groups.iter().find(|t| t.name == g.name) else {
            continue;
        };
        if t.window_generator_late == 0 {
            continue;
        }
        late.push(format!(
            "group '{}': {} of {} more than {} late ({} lost in all)",
            g.name,
            count(t.window_generator_late as f64, "start"),
            t.window_iterations,
            secs(t.tau),
            secs(t.window_generator_late_s)
        ));
    }
    if late.is_empty() {
        return;
    }
    let max = agg.scheduler_lag.max() as f64 / 1e6;
    v.notes.push(format!(
        "the generator started iterations late in {} (not after overruns: scheduler lag up to {}): {}; the target saw those starts bunched, not as the plan shapes them",
        span.words(),
        secs(max),
        late.join("; ")
    ));
}

/// The warning when pace's own CPU over the span was above its limit
/// (80 % of the cores it may use): the generator was the bottleneck, so
/// late starts and measured times are partly its own.
pub fn cpu(
    g: Option<&crate::results::summary::Generator>,
    plan: &PlanFile,
    span: &Span,
    v: &mut Verdict,
) {
    let Some(g) = g else { return };
    if g.cpu_span <= g.limit {
        return;
    }
    let with_target = if plan.target.embedded.is_some() {
        " (with the embedded target it serves in the same process)"
    } else {
        ""
    };
    v.notes.push(format!(
        "warning: the generator was the bottleneck: pace used {}% of its {} over {}{with_target}, above {}%: its late starts and part of the measured times are its own, not the target's",
        crate::units::round_sig(g.cpu_span * 100.0, 3),
        count(g.cores, "core"),
        span.words(),
        crate::units::round_sig(g.limit * 100.0, 3)
    ));
}

/// The causes that measure time an iteration took: while pace's own CPU
/// was saturated that time includes pace's queueing (its requests wait
/// for the generator, its answers wait to be read), so they are put on
/// the generator, whose share the run cannot judge the target for.
const TIMED: [&str; 2] = ["behind_schedule", "slow_iterations"];

/// Puts the [`TIMED`] causes on the generator when pace's CPU over the
/// span was above its limit (an overloaded closed generator: 4,000 users
/// at 10 ms whose "overruns" were pace's own).
pub fn saturated(g: Option<&crate::results::summary::Generator>, v: &mut Verdict) {
    let Some(g) = g.filter(|g| g.cpu_span > g.limit) else {
        return;
    };
    let mut moved = Vec::new();
    for c in &mut v.causes {
        if TIMED.contains(&c.cause.as_str()) {
            moved.push(c.cause.clone());
            c.cause = "generator".into();
            c.detail = format!(
                "pace's CPU was saturated ({}% of its {} over the span), so iterations measured as slow include pace's own delays: {}; the run cannot judge the target for this share",
                crate::units::round_sig(g.cpu_span * 100.0, 3),
                count(g.cores, "core"),
                c.detail
            );
        }
    }
    if moved.is_empty() {
        return;
    }
    // One `generator` cause, largest first.
    let mut merged: Vec<crate::results::judgement::Cause> = Vec::new();
    for c in v.causes.drain(..) {
        match merged.iter_mut().find(|m| m.cause == c.cause) {
            Some(m) => {
                m.transactions += c.transactions;
                m.share += c.share;
                m.detail = format!("{}; {}", m.detail, c.detail);
            }
            None => merged.push(c),
        }
    }
    merged.sort_by(|a, b| b.transactions.total_cmp(&a.transactions));
    v.causes = merged;
    v.notes.push(format!(
        "the shortfall measured as {} is put on the generator: pace's CPU was above {}% over the span",
        moved.join(" and "),
        crate::units::round_sig(g.limit * 100.0, 3)
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::summary::{GENERATOR_CPU_LIMIT, Generator};

    /// The study's overloaded closed generator: starts behind schedule
    /// while pace's CPU was at 97 % are the generator's, merged with its
    /// own cause; below the limit they stay the target's.
    #[test]
    fn a_saturated_generator_takes_the_timed_causes() {
        use crate::results::judgement::Cause;
        let cause = |c: &str, n: f64| Cause {
            cause: c.into(),
            transactions: n,
            share: n / 100.0,
            detail: c.into(),
        };
        let g = |cpu: f64| Generator {
            cores: 2.0,
            cpu_span: cpu,
            cpu_max: cpu,
            intervals: vec![],
            limit: GENERATOR_CPU_LIMIT,
        };
        let mut v = crate::verdict::judge(
            &crate::verdict::causes::tests::plan("{ mode = \"fixed\", interval = \"1s\" }", 1, ""),
            &crate::results::aggregate::Aggregate::new(1.0, (0.0, 1.0), &["g"], &[]),
            &crate::verdict::Ending::default(),
        )
        .1;
        v.causes = vec![
            cause("behind_schedule", 60.0),
            cause("generator", 30.0),
            cause("failed", 10.0),
        ];
        v.notes.clear();
        let before = v.causes.clone();
        saturated(Some(&g(0.8)), &mut v);
        assert_eq!(v.causes, before, "at the limit, not above it");
        saturated(Some(&g(0.97)), &mut v);
        let names: Vec<&str> = v.causes.iter().map(|c| c.cause.as_str()).collect();
        assert_eq!(names, ["generator", "failed"]);
        assert_eq!(v.causes[0].transactions, 90.0);
        assert!((v.causes[0].share - 0.9).abs() < 1e-12);
        assert!(
            v.causes[0]
                .detail
                .starts_with("pace's CPU was saturated (97% of its 2 cores"),
            "{}",
            v.causes[0].detail
        );
        assert!(v.notes[0].contains("behind_schedule"), "{:?}", v.notes);
    }

    #[test]
    fn a_generator_above_its_cpu_limit_is_warned_about_and_not_below() {
        let plan =
            crate::verdict::causes::tests::plan("{ mode = \"fixed\", interval = \"1s\" }", 1, "");
        let span = Span {
            from: 0.0,
            to: 10.0,
            scope: crate::plan::thresholds::Scope::Window,
        };
        let g = |cpu: f64| Generator {
            cores: 2.0,
            cpu_span: cpu,
            cpu_max: cpu,
            intervals: vec![cpu],
            limit: GENERATOR_CPU_LIMIT,
        };
        let mut v = crate::verdict::judge(
            &plan,
            &crate::results::aggregate::Aggregate::for_plan(&plan, (0.0, 10.0)),
            &crate::verdict::Ending::default(),
        )
        .1;
        v.notes.clear();
        cpu(Some(&g(0.8)), &plan, &span, &mut v);
        assert!(v.notes.is_empty(), "80 % is the limit, not above it");
        cpu(Some(&g(0.93)), &plan, &span, &mut v);
        assert_eq!(v.notes.len(), 1);
        assert!(
            v.notes[0].starts_with("warning: the generator was the bottleneck: pace used 93% of its 2 cores over the window 0-10 s"),
            "{}",
            v.notes[0]
        );
    }
}
