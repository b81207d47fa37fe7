//! How busy pace itself was: the process's CPU time (user + system,
//! `getrusage`) read at every time-series interval's edge and at the
//! judged span's edges, against the cores it may use (its CPU affinity,
//! capped by a cgroup CPU quota). A generator near its cores' limit
//! starts late and measures its own queueing as the target's; k6 warns
//! from 80 % (docs/verdict.md, "What a FAIL says").
//!
//! With `[target.embedded]` the target serves in the same process, so
//! its CPU is in the count too: the figure is then pace and its target
//! together, and says so.

use std::time::{Duration, Instant};

/// The process's CPU time so far, seconds (user + system, every thread).
pub fn process_cpu_s() -> f64 {
    // SAFETY: getrusage fills the struct it is given and reads nothing else.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } != 0 {
        return 0.0;
    }
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

/// The cores this process may run on: its affinity mask's CPUs, capped
/// by a cgroup CPU quota (v2 `cpu.max`, v1 `cpu.cfs_quota_us` /
/// `cpu.cfs_period_us`) where one is set. At least 1.
pub fn usable_cores() -> f64 {
    let affinity = affinity_cpus()
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        as f64;
    let quota = cgroup_quota().unwrap_or(f64::INFINITY);
    affinity.min(quota).max(1.0)
}

fn affinity_cpus() -> Option<usize> {
    // SAFETY: the set is zeroed and filled by the call for this process.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if r != 0 {
        return None;
    }
    let n = unsafe { libc::CPU_COUNT(&set) };
    (n > 0).then_some(n as usize)
}

/// The CPU quota of the process's cgroup, in cores, if one is set.
fn cgroup_quota() -> Option<f64> {
    let read = |p: &str| std::fs::read_to_string(p).ok();
    // cgroup v2: "max 100000" (none) or "200000 100000" (2 cores).
    if let Some(text) = read("/sys/fs/cgroup/cpu.max") {
        return parse_cpu_max(&text);
    }
    let quota: f64 = read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")?
        .trim()
        .parse()
        .ok()?;
    let period: f64 = read("/sys/fs/cgroup/cpu/cpu.cfs_period_us")?
        .trim()
        .parse()
        .ok()?;
    (quota > 0.0 && period > 0.0).then_some(quota / period)
}

/// `cpu.max`'s "QUOTA PERIOD" in cores; `None` for "max" (no quota).
fn parse_cpu_max(text: &str) -> Option<f64> {
    let mut parts = text.split_whitespace();
    let quota = parts.next()?;
    let period: f64 = parts.next()?.parse().ok()?;
    let quota: f64 = quota.parse().ok()?;
    (quota > 0.0 && period > 0.0).then_some(quota / period)
}

/// Readings of the process's CPU time: (seconds since t0, CPU seconds).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CpuReadings {
    pub cores: f64,
    pub points: Vec<(f64, f64)>,
}

/// Reads the CPU time at each of `at` (seconds since `t0`, ascending)
/// until `stop` resolves, and once more then. Sleeps between readings:
/// it costs one system call per interval.
pub async fn watch(
    t0: Instant,
    at: Vec<f64>,
    stop: impl std::future::Future<Output = ()>,
) -> CpuReadings {
    let mut r = CpuReadings {
        cores: usable_cores(),
        points: Vec::with_capacity(at.len() + 1),
    };
    let now = |t0: Instant| Instant::now().saturating_duration_since(t0).as_secs_f64();
    tokio::pin!(stop);
    for t in at {
        let deadline = t0 + Duration::from_secs_f64(t.max(0.0));
        tokio::select! {
            _ = tokio::time::sleep_until(deadline.into()) => {
                r.points.push((now(t0), process_cpu_s()));
            }
            _ = &mut stop => break,
        }
    }
    r.points.push((now(t0), process_cpu_s()));
    r
}

/// When to read: t0, every `ts` seconds to `end`, and the span's edges.
pub fn reading_times(ts: f64, end: f64, span: (f64, f64)) -> Vec<f64> {
    let mut at: Vec<f64> = Vec::new();
    if ts > 0.0 {
        let n = (end / ts).ceil() as usize;
        at.extend((0..=n.min(crate::plan::check::MAX_INTERVALS)).map(|k| k as f64 * ts));
    }
    at.extend([span.0, span.1]);
    at.sort_by(f64::total_cmp);
    at.dedup();
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cgroup_quota_in_cores() {
        assert_eq!(parse_cpu_max("200000 100000\n"), Some(2.0));
        assert_eq!(parse_cpu_max("50000 100000"), Some(0.5));
        assert_eq!(parse_cpu_max("max 100000"), None);
        assert_eq!(parse_cpu_max(""), None);
    }

    #[test]
    fn cpu_time_grows_with_work_and_cores_are_counted() {
        let a = process_cpu_s();
        let mut x = 0u64;
        let t = Instant::now();
        while t.elapsed() < Duration::from_millis(50) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        assert!(process_cpu_s() > a);
        assert!(usable_cores() >= 1.0);
    }

    #[test]
    fn readings_at_every_interval_and_the_span_edges() {
        assert_eq!(
            reading_times(2.0, 5.0, (1.5, 5.0)),
            vec![0.0, 1.5, 2.0, 4.0, 5.0, 6.0]
        );
    }
}
