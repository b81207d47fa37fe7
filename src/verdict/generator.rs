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
