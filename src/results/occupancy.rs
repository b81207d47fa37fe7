//! What the operational-law audit needs from a group's samples, folded
//! over the steady-state window: how many users were there on average,
//! how many iterations were in flight on average, how many ended, how long
//! they took and how long each user idled between them. Every term is
//! measured from a different kind of row (user starts and stops, iteration
//! rows' start and duration, the gap between one user's iterations), so
//! the laws that tie them together can fail (`crate::verdict::laws`).

use rustc_hash::FxHashMap;

/// One group's occupancy of the window `[a, b)` (seconds since the start).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Occupancy {
    /// User-seconds present in the window, of users already stopped.
    present_s: f64,
    /// Users started and not (yet) stopped: when each started.
    open: FxHashMap<u32, f64>,
    /// Iteration-seconds in flight in the window: each iteration's
    /// [start, end] clipped to the window.
    pub busy_s: f64,
    /// Iterations that ended in the window (completions, C), and the sum
    /// of their durations (seconds).
    pub completions: u64,
    pub completed_s: f64,
    /// Idle gaps (a user's iteration end to its next start) that ended in
    /// the window, and their sum (seconds): pacing waits, after-end
    /// delays, and an arrival-rate worker's wait for work.
    pub gaps: u64,
    pub gaps_s: f64,
    /// Each user's last iteration end.
    last_end: FxHashMap<u32, f64>,
}

fn overlap(from: f64, to: f64, w: (f64, f64)) -> f64 {
    (to.min(w.1) - from.max(w.0)).max(0.0)
}

impl Occupancy {
    /// A user began at `t`.
    pub fn user_start(&mut self, user: u32, t: f64) {
        self.open.insert(user, t);
    }

    /// A user stopped at `t`.
    pub fn user_stop(&mut self, user: u32, t: f64, w: (f64, f64)) {
        if let Some(s) = self.open.remove(&user) {
            self.present_s += overlap(s, t, w);
        }
    }

    /// An iteration of `user` ran from `start` for `duration` seconds.
    /// A user's iterations come in order (the runner records each at its
    /// end, and a user runs one at a time).
    pub fn iteration(&mut self, user: u32, start: f64, duration: f64, w: (f64, f64)) {
        let end = start + duration;
        self.busy_s += overlap(start, end, w);
        if end >= w.0 && end < w.1 {
            self.completions += 1;
            self.completed_s += duration;
        }
        if let Some(prev) = self.last_end.insert(user, end)
            && start >= w.0
            && start < w.1
        {
            self.gaps += 1;
            self.gaps_s += (start - prev).max(0.0);
        }
    }

    /// User-seconds present in the window; users never seen to stop (a
    /// run cut short) count to the window's end.
    pub fn present_s(&self, w: (f64, f64)) -> f64 {
        self.present_s + self.open.values().map(|&s| overlap(s, w.1, w)).sum::<f64>()
    }

    /// Mean iteration time of the completions (R), seconds.
    pub fn mean_iteration_s(&self) -> Option<f64> {
        (self.completions > 0).then(|| self.completed_s / self.completions as f64)
    }

    /// Mean idle gap between a user's iterations (Z), seconds.
    pub fn mean_gap_s(&self) -> Option<f64> {
        (self.gaps > 0).then(|| self.gaps_s / self.gaps as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_user_on_a_fixed_cycle_obeys_the_law_in_its_window() {
        // One user, 0.2 s iterations every 1 s from t = 0.5, window [2, 12):
        // present 10 s, 10 completions of 0.2 s, 10 gaps of 0.8 s, and
        // 10 × 0.2 = 2 iteration-seconds in flight.
        let w = (2.0, 12.0);
        let mut o = Occupancy::default();
        o.user_start(0, 0.0);
        for k in 0..13 {
            o.iteration(0, 0.5 + k as f64, 0.2, w);
        }
        o.user_stop(0, 13.0, w);
        assert_eq!(o.present_s(w), 10.0);
        assert_eq!(o.completions, 10);
        assert!((o.mean_iteration_s().unwrap() - 0.2).abs() < 1e-12);
        assert_eq!(o.gaps, 10);
        assert!((o.mean_gap_s().unwrap() - 0.8).abs() < 1e-12);
        assert!((o.busy_s - 2.0).abs() < 1e-12);
    }

    #[test]
    fn a_user_that_never_stopped_counts_to_the_window_end() {
        let w = (1.0, 5.0);
        let mut o = Occupancy::default();
        o.user_start(3, 0.0);
        o.user_start(4, 2.0);
        o.user_stop(4, 3.0, w);
        assert_eq!(o.present_s(w), 4.0 + 1.0);
        assert_eq!(o.mean_iteration_s(), None);
        assert_eq!(o.mean_gap_s(), None);
    }
}
