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
