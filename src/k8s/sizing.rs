//! Resource requests of one shard's pod, sized from the plan: pure
//! arithmetic, no I/O.
//!
//! The heaviest shard decides (every pod of the Job has the same template).
//! Users are striped user u → shard u mod N within each group (reference
//! C1), so shard 0 holds the most: ⌈users / N⌉ of each group; an
//! arrival-rate group's global arrival indices are striped the same way,
//! so each shard starts about rate / N iterations per second.
//!
//! The formula (documented in docs/distributed.md):
//!
//! - memory request = 64 MiB + 16 KiB per HTTP user + 32 MiB per script
//!   user (each script user is a Python worker process), rounded up to a
//!   MiB; limit = 2 × request.
//! - CPU request = 100 m + 1 m per planned HTTP request per second + 5 m per
//!   planned script transaction per second (1 ms and 5 ms of CPU per
//!   transaction), rounded up to 10 m; a group whose rate the plan does not
//!   set (a closed loop without `target.response_time`) counts as a whole
//!   core. Limit = max(2 × request, 1 core).
//!
//! The limits are generous on purpose: a load generator throttled by its CPU
//! quota starts iterations late and measures itself, not the target.

use crate::plan::file::PlanFile;

/// Memory every shard needs before its users: the runtime, the HTTP
/// client, the histograms, the reports written at the end. MiB.
pub const BASE_MEMORY_MIB: f64 = 64.0;
/// Memory per HTTP user (its task, its connection and buffers). KiB.
pub const HTTP_USER_KIB: f64 = 16.0;
/// Memory per script user: a Python worker process each. MiB.
pub const SCRIPT_USER_MIB: f64 = 32.0;
/// CPU of an idle shard (timers, the recorder). Millicores.
pub const BASE_CPU_MILLI: f64 = 100.0;
/// CPU time one HTTP request costs (TLS excluded), milliseconds: 1 request
/// per second costs 1 millicore.
pub const HTTP_CPU_MS: f64 = 1.0;
/// CPU time one script transaction costs (the worker's `run()` call and
/// its pipe round trip, the script's own work excluded), milliseconds.
pub const SCRIPT_CPU_MS: f64 = 5.0;

/// What the heaviest shard runs, and the resources asked for it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardSize {
    /// Users (HTTP groups) of the heaviest shard.
    pub http_users: u64,
    /// Users of script groups (one worker process each).
    pub script_users: u64,
    /// Planned transactions per second of the heaviest shard; `None` where
    /// a group's rate is not set by the plan.
    pub tps: Option<f64>,
    /// CPU request and limit, millicores.
    pub cpu_request_milli: u64,
    pub cpu_limit_milli: u64,
    /// Memory request and limit, MiB.
    pub memory_request_mib: u64,
    pub memory_limit_mib: u64,
}

/// The heaviest of `shards` shards of `plan` (`shards` ≥ 1), and its
/// resources by the formula in the module's documentation.
pub fn shard_size(plan: &PlanFile, shards: u64) -> ShardSize {
    let n = shards.max(1);
    let mut http_users = 0;
    let mut script_users = 0;
    let mut http_tps = 0.0;
    let mut script_tps = 0.0;
    let mut unknown = false;
    for (g, tps) in plan.groups.iter().zip(plan.group_tps()) {
        let users = g.users.div_ceil(n);
        let arrival = g.pacing.mode == crate::plan::file::PacingMode::ArrivalRate;
        // The heaviest shard's share of the group's rate: its users' share
        // for a closed or paced group, 1/N of the arrivals for an open one.
        let share = if arrival || g.users == 0 {
            1.0 / n as f64
        } else {
            users as f64 / g.users as f64
        };
        let script = g.script.is_some();
        if script {
            script_users += users;
        } else {
            http_users += users;
        }
        match tps {
            Some(t) if script => script_tps += t * share,
            Some(t) => http_tps += t * share,
            None => unknown = true,
        }
    }
    let memory = BASE_MEMORY_MIB
        + http_users as f64 * HTTP_USER_KIB / 1024.0
        + script_users as f64 * SCRIPT_USER_MIB;
    let mut cpu = BASE_CPU_MILLI + http_tps * HTTP_CPU_MS + script_tps * SCRIPT_CPU_MS;
    if unknown {
        cpu += 1000.0;
    }
    let cpu_request = ((cpu / 10.0).ceil() * 10.0) as u64;
    let memory_request = memory.ceil() as u64;
    ShardSize {
        http_users,
        script_users,
        tps: (!unknown).then_some(http_tps + script_tps),
        cpu_request_milli: cpu_request,
        cpu_limit_milli: (2 * cpu_request).max(1000),
        memory_request_mib: memory_request,
        memory_limit_mib: 2 * memory_request,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(groups: &str) -> PlanFile {
        let text = format!(
            "[target]\ntps = 7\nresponse_time = \"100ms\"\n[run]\nduration = \"60s\"\n{groups}"
        );
        PlanFile::parse(&text, "plan.toml").unwrap()
    }

    const HTTP: &str = "[[group]]\nname = \"a\"\nusers = 7\n[group.pacing]\nmode = \"fixed\"\ninterval = \"1s\"\n[[group.step]]\nname = \"s\"\nurl = \"http://127.0.0.1:1/\"\n";

    #[test]
    fn heaviest_shard_holds_the_rounded_up_share_of_users() {
        // 7 users at 1/s over 3 shards: shard 0 runs users 0, 3, 6.
        let s = shard_size(&plan(HTTP), 3);
        assert_eq!(s.http_users, 3);
        assert_eq!(s.script_users, 0);
        assert!((s.tps.unwrap() - 3.0).abs() < 1e-9);
        // 100 m + 3 req/s × 1 ms = 103 m → 110 m; 64 MiB + 48 KiB → 65 MiB.
        assert_eq!(s.cpu_request_milli, 110);
        assert_eq!(s.cpu_limit_milli, 1000);
        assert_eq!(s.memory_request_mib, 65);
        assert_eq!(s.memory_limit_mib, 130);
    }

    #[test]
    fn one_shard_is_the_whole_plan() {
        let s = shard_size(&plan(HTTP), 1);
        assert_eq!(s.http_users, 7);
        assert!((s.tps.unwrap() - 7.0).abs() < 1e-9);
    }

    #[test]
    fn an_unset_rate_counts_a_whole_core() {
        let text = "[run]\nduration = \"60s\"\n[[group]]\nname = \"a\"\nusers = 2\n[group.pacing]\nmode = \"none\"\n[[group.step]]\nname = \"s\"\nurl = \"http://127.0.0.1:1/\"\n";
        let p = PlanFile::parse(text, "plan.toml").unwrap();
        let s = shard_size(&p, 2);
        assert_eq!(s.tps, None);
        assert_eq!(s.cpu_request_milli, 1100);
        assert_eq!(s.cpu_limit_milli, 2200);
    }
}
