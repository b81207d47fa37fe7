//! Splitting a plan over several load generators so that the parts add up
//! exactly: k6's execution segments and their striping
//! (`grafana/k6` `lib/execution_segment.go`, reference C1), and the equal
//! split `pace run --shard I/N` uses. Pure arithmetic, no I/O.
//!
//! Global indices (a group's users, an arrival-rate group's arrivals) are
//! dealt to the parts in a fixed repeating pattern, so every generator
//! computes its own share from its segment alone, and the shares of any
//! count always sum to it.

use super::PlanError;
use super::file::{PacingMode, PerSecond, PlanFile};

/// A rational number `num/den` in lowest terms, `den > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    pub num: u64,
    pub den: u64,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn lcm(a: u64, b: u64) -> Option<u64> {
    (a / gcd(a, b)).checked_mul(b)
}

impl Ratio {
    fn new(num: u64, den: u64) -> Ratio {
        let g = gcd(num, den).max(1);
        Ratio {
            num: num / g,
            den: den / g,
        }
    }

    /// Parses `3/4`, `0.75` or `75%`; `None` if it is none of them.
    fn parse(s: &str) -> Option<Ratio> {
        let s = s.trim();
        if let Some(p) = s.strip_suffix('%') {
            let r = Ratio::parse(p)?;
            return Some(Ratio::new(r.num, r.den.checked_mul(100)?));
        }
        if let Some((n, d)) = s.split_once('/') {
            let (n, d) = (n.trim().parse().ok()?, d.trim().parse::<u64>().ok()?);
            return (d > 0).then(|| Ratio::new(n, d));
        }
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if frac.len() > 9 || !frac.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let den = 10u64.pow(frac.len() as u32);
        let int: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let frac: u64 = if frac.is_empty() {
            0
        } else {
            frac.parse().ok()?
        };
        Some(Ratio::new(int.checked_mul(den)?.checked_add(frac)?, den))
    }

    fn lt(self, o: Ratio) -> bool {
        (self.num as u128) * (o.den as u128) < (o.num as u128) * (self.den as u128)
    }

    fn sub(self, o: Ratio) -> Ratio {
        let den = self.den as u128 * o.den as u128;
        let num = self.num as u128 * o.den as u128 - o.num as u128 * self.den as u128;
        let g = gcd128(num, den).max(1);
        Ratio {
            num: (num / g) as u64,
            den: (den / g) as u64,
        }
    }
}

fn gcd128(a: u128, b: u128) -> u128 {
    if b == 0 { a } else { gcd128(b, a % b) }
}

/// The pattern of global indices above which no sequence is striped: a
/// longer one would cost its length in memory for no real plan.
pub const MAX_PATTERN: u64 = 1 << 20;

/// The most shards a plan is split into: far more load generators than
/// anyone runs, and few enough that listing which are missing from a merge
/// stays cheap whatever a hand-edited summary.json claims.
pub const MAX_SHARDS: u32 = 100_000;

/// A k6 execution-segment sequence, `0,1/2,3/4,1`: consecutive segments
/// (from, to] covering (0, 1], with k6's striping of global indices.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentSequence {
    /// The boundaries, from 0 to 1.
    pub bounds: Vec<Ratio>,
    /// For each index of one period (length L = the LCM of the segments'
    /// length denominators), the segment that owns it.
    owner: Vec<usize>,
    /// How many indices of one period each segment owns.
    per_period: Vec<u64>,
}

impl SegmentSequence {
    /// Parses a sequence of boundaries separated by commas (`0,1/2,3/4,1`;
    /// each a fraction, a decimal or a percentage), from 0 to 1, strictly
    /// increasing. Errors are one line.
    pub fn parse(s: &str) -> Result<SegmentSequence, String> {
        let bounds = s
            .split(',')
            .map(|b| {
                Ratio::parse(b).ok_or_else(|| {
                    format!(
                        "{} is not a fraction (3/4), a decimal (0.75) or a percentage (75%)",
                        crate::visible::quoted(b.trim())
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if bounds.len() < 2
            || bounds[0] != Ratio::new(0, 1)
            || *bounds.last().expect("two or more") != Ratio::new(1, 1)
        {
            return Err("a sequence runs from 0 to 1, e.g. 0,1/2,3/4,1".into());
        }
        if bounds.windows(2).any(|w| !w[0].lt(w[1])) {
            return Err("the boundaries must increase strictly".into());
        }
        SegmentSequence::from_bounds(bounds)
    }

    fn from_bounds(bounds: Vec<Ratio>) -> Result<SegmentSequence, String> {
        let lengths: Vec<Ratio> = bounds.windows(2).map(|w| w[1].sub(w[0])).collect();
        let mut l = 1u64;
        for len in &lengths {
            l = lcm(l, len.den)
                .filter(|&l| l <= MAX_PATTERN)
                .ok_or_else(|| format!("the segments repeat only every more than {MAX_PATTERN} indices: use simpler fractions"))?;
        }
        // Each segment's share of one period, scaled to L.
        let scale: Vec<u64> = lengths.iter().map(|r| r.num * (l / r.den)).collect();
        // Biggest first; equal lengths in their order (a stable sort).
        let mut order: Vec<usize> = (0..lengths.len()).collect();
        order.sort_by(|&a, &b| scale[b].cmp(&scale[a]));
        let mut chosen = vec![0u64; lengths.len()];
        let mut owner = Vec::with_capacity(l as usize);
        for i in 0..l {
            // k6's rule: the first segment (biggest first) that is due an
            // index takes it, which spreads each one's indices evenly.
            let s = order
                .iter()
                .copied()
                .find(|&s| {
                    let at = chosen[s] * l / scale[s];
                    i > at || (i == at && (chosen[s] * l).is_multiple_of(scale[s]))
                })
                .expect("the segments cover (0, 1], so one is always due");
            chosen[s] += 1;
            owner.push(s);
        }
        Ok(SegmentSequence {
            bounds,
            owner,
            per_period: chosen,
        })
    }

    /// N equal segments: `0,1/N,2/N,…,1`.
    pub fn equal(n: u32) -> SegmentSequence {
        let n = n.max(1) as u64;
        SegmentSequence::from_bounds((0..=n).map(|i| Ratio::new(i, n)).collect())
            .expect("equal segments repeat every N")
    }

    /// How many segments.
    pub fn len(&self) -> usize {
        self.per_period.len()
    }

    /// Never true: a sequence has at least one segment.
    pub fn is_empty(&self) -> bool {
        self.per_period.is_empty()
    }

    /// The period L of the striping.
    pub fn period(&self) -> u64 {
        self.owner.len() as u64
    }

    /// The segment (0-based) that owns global index `k`.
    pub fn owner(&self, k: u64) -> usize {
        self.owner[(k % self.period()) as usize]
    }

    /// How many of the global indices `0..v` segment `seg` owns (k6's
    /// `ScaleInt64`): the parts of any `v` sum to `v`, and none decreases
    /// as `v` grows.
    pub fn count(&self, seg: usize, v: u64) -> u64 {
        let l = self.period();
        let whole = (v / l) * self.per_period[seg];
        let rest = self.owner[..(v % l) as usize]
            .iter()
            .filter(|&&o| o == seg)
            .count() as u64;
        whole + rest
    }
}

/// One of N equal shards of a plan, 0-based like Kubernetes'
/// `JOB_COMPLETION_INDEX`: the k6 segment (I/N, (I+1)/N] of the equal
/// sequence, whose striping is global index k → shard k mod N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// The whole plan, unsplit.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Shard `index` of `count`; errors are one line (without the flag).
    pub fn new(index: u32, count: u32) -> Result<Shard, String> {
        if count == 0 {
            return Err("the number of shards must be at least 1".into());
        }
        if count > MAX_SHARDS {
            return Err(format!(
                "{count} shards: at most {MAX_SHARDS} (one load generator per shard)"
            ));
        }
        if index >= count {
            return Err(format!(
                "index {index} is not below {count} (the index is 0-based: 0..{})",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    /// Parses `I/N`: shard I (0-based) of N.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (i, n) = s.split_once('/').ok_or_else(|| {
            format!(
                "{} is not I/N (shard I of N, e.g. 0/4)",
                crate::visible::quoted(s)
            )
        })?;
        let n: u32 = n.trim().parse().map_err(|_| {
            format!(
                "{}: N must be a whole number of shards, at least 1",
                crate::visible::quoted(s)
            )
        })?;
        let i: u32 = i.trim().parse().map_err(|_| {
            format!(
                "{}: I must be a whole number (the index is 0-based: 0..{})",
                crate::visible::quoted(s),
                n.max(1) - 1
            )
        })?;
        Shard::new(i, n)
    }

    /// Whether global index `k` is this shard's.
    pub fn owns(&self, k: u64) -> bool {
        k % self.count as u64 == self.index as u64
    }

    /// How many of the global indices `0..v` this shard owns.
    pub fn part(&self, v: u64) -> u64 {
        let n = self.count as u64;
        v / n + u64::from((self.index as u64) < v % n)
    }

    /// Whether this is the whole plan (one shard).
    pub fn is_whole(&self) -> bool {
        self.count == 1
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The shard's share of `plan`, for what the shard should achieve (its
/// band): each group's users are the shard's part of them, and an
/// arrival-rate group's rate is divided by N (every N-th of its arrivals).
/// A closed-loop group with a ramp-up is an approximation: its part's users
/// are spaced `ramp / part`, not `N ramp / users` as they run.
pub fn part_plan(plan: &PlanFile, shard: Shard) -> PlanFile {
    let mut p = plan.clone();
    for g in &mut p.groups {
        g.users = shard.part(g.users);
        if g.pacing.mode == PacingMode::ArrivalRate
            && let Some(r) = g.pacing.rate
        {
            g.pacing.rate = Some(PerSecond(r.0 / shard.count as f64));
        }
    }
    p
}

/// Checks that `plan` can be split: stair plans cannot.
/// The part of `plan` that the shards `ran` of a plan split in `count`
/// ran together (`pace merge` with shards missing or late): each group's
/// users are the sum of their parts, an arrival-rate group's rate their
/// share of it. Indices not below `count` are ignored.
pub fn parts_plan(plan: &PlanFile, count: u32, ran: &[u32]) -> PlanFile {
    let shards: Vec<Shard> = ran
        .iter()
        .filter_map(|&i| Shard::new(i, count).ok())
        .collect();
    let mut p = plan.clone();
    for g in &mut p.groups {
        g.users = shards.iter().map(|s| s.part(g.users)).sum();
        if g.pacing.mode == PacingMode::ArrivalRate
            && let Some(r) = g.pacing.rate
        {
            g.pacing.rate = Some(PerSecond(r.0 * shards.len() as f64 / count.max(1) as f64));
        }
    }
    p
}

pub fn check_splittable(plan: &PlanFile) -> Result<(), PlanError> {
    if plan.run.stairs.is_some() {
        return Err(PlanError::new(
            "--shard",
            "a stair plan ([run.stairs]) cannot be split over shards: not supported; run its levels on one generator",
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "segment_tests.rs"]
mod tests;
