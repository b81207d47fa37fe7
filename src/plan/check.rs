//! The checks that make an impossible plan fail before any traffic is
//! sent, and where in the file each error belongs (its key path and line).
//! Pure: the text is given, nothing is read.

use super::file::{PacingMode, PacingSection, PlanFile};
use super::rate::GroupCadence;
use crate::units;

/// The most time-series intervals a run may have (`(duration + grace) /
/// ts_interval`): each holds latency histograms for every timer, so their
/// number sizes the memory of a run and of its reports (a 24 h soak at the
/// default 10 s has 8,640).
pub const MAX_INTERVALS: usize = 10_000;

/// The most virtual users one group may have: each costs ~11.5 KiB
/// (docs/performance.md), so a million is ~11 GiB; beyond that a typing
/// slip would take the machine's memory.
pub const MAX_USERS: u64 = 1_000_000;

/// The shortest mean pacing interval, seconds: a user starts at most
/// 1,000 iterations a second (each is at least one request); shorter is a
/// slip whose schedule would not advance.
pub const MIN_PACING_S: f64 = 1e-3;

/// The largest target rate a plan may promise, transactions a second:
/// [`MAX_USERS`] users at [`MIN_PACING_S`] in a thousand groups.
pub const MAX_TARGET_TPS: f64 = 1e12;

/// The fastest arrival rate a group may ask for, per second: far beyond
/// what one process sends (each arrival is at least one request).
pub const MAX_RATE: f64 = 1e6;

/// The error for an interval of `ts` seconds over `span` seconds that
/// makes more than [`MAX_INTERVALS`] intervals: the limit and the smallest
/// interval that fits.
pub fn intervals_error(ts: f64, span: f64) -> String {
    format!(
        "{} makes {} intervals over the run's {} (duration + grace); at most {MAX_INTERVALS}: use at least {}",
        units::human_duration(ts),
        units::round_sig((span / ts).ceil(), 6),
        units::human_duration(span),
        units::human_duration(span / MAX_INTERVALS as f64)
    )
}

impl PlanFile {
    /// Every impossible value, with the key path it belongs to.
    pub fn check(&self) -> Vec<(Vec<PathPart>, String)> {
        let mut errors = Vec::new();
        let key = |parts: &[&str]| -> Vec<PathPart> {
            parts.iter().map(|p| PathPart::Key(p.to_string())).collect()
        };
        let t = &self.target;
        let rates: Vec<&str> = [("tps", t.tps), ("tpm", t.tpm), ("tph", t.tph)]
            .iter()
            .filter(|(_, v)| v.is_some())
            .map(|(n, _)| *n)
            .collect();
        if rates.len() > 1 {
            errors.push((
                key(&["target", rates[1]]),
                format!(
                    "give exactly one of tps, tpm or tph (found {})",
                    rates.join(" and ")
                ),
            ));
        }
        for (name, v) in [("tps", t.tps), ("tpm", t.tpm), ("tph", t.tph)] {
            if let Some(v) = v
                && (!v.is_finite() || v <= 0.0)
            {
                errors.push((
                    key(&["target", name]),
                    format!("must be a positive number (got {v})"),
                ));
            }
        }
        if let Some(tps) = t.tps()
            && tps > MAX_TARGET_TPS
        {
            errors.push((
                key(&["target", rates.first().copied().unwrap_or("tps")]),
                format!("{tps:e} transactions a second is beyond any load test (at most {MAX_TARGET_TPS:e}/s)"),
            ));
        }
        if let Some(rt) = t.response_time
            && rt.0 <= 0.0
        {
            errors.push((
                key(&["target", "response_time"]),
                "must be greater than zero".into(),
            ));
        }
        if let Some(e) = &t.embedded
            && let Err((k, msg)) = e.to_config()
        {
            errors.push((key(&["target", "embedded", k]), msg));
        }
        if t.transactions_per_iteration == Some(0) {
            errors.push((
                key(&["target", "transactions_per_iteration"]),
                "must be at least 1".into(),
            ));
        }
        let r = &self.run;
        // Under [run.stairs] the duration is the loader's ramp + hold, and
        // ramp_up is refused: stairs::check names the stair's own keys
        // (hold, ramp_up), never a run.duration the user must not write.
        let stairs = r.stairs.as_ref();
        if r.duration.0 <= 0.0 && stairs.is_none() {
            errors.push((
                key(&["run", "duration"]),
                "must be greater than zero".into(),
            ));
        }
        // A plan whose groups set a rate is judged over the steady state
        // after ramp-up; one that does not (back to back, as Pyak47 ran) may
        // ramp up over the whole run, as Pyak47's own examples do.
        let rated = self.target.tps().is_some()
            || self
                .cadences()
                .iter()
                .all(|c| c.as_ref().is_ok_and(|c| !c.is_closed_loop()));
        if r.duration.0 > 0.0
            && stairs.is_none()
            && (r.ramp_up() > r.duration.0 || (rated && r.ramp_up() >= r.duration.0))
        {
            errors.push((
                key(&["run", "ramp_up"]),
                format!(
                    "{} is not shorter than duration {}: there is no steady state to measure",
                    units::human_duration(r.ramp_up()),
                    units::human_duration(r.duration.0)
                ),
            ));
        }
        // A steady state shorter than one cycle of a group whose pacing
        // sets its rate cannot be judged: most users would not start once in
        // it, so the band's count of transactions is mostly luck. A group
        // with no pacing interval (after-end, none) cycles as fast as its
        // iterations and is not held to this.
        // A stair level measures its hold (after the stair's ramp).
        let window = stairs.map_or(r.duration.0 - r.ramp_up(), |st| st.hold.0);
        if rated && window > 0.0 && (stairs.is_none() || r.ramp_up.is_none()) {
            let short = self.groups.iter().zip(self.cadences()).find_map(|(g, c)| {
                let c = c.ok()?;
                let what = match c {
                    GroupCadence::Paced(_) => "mean pacing interval",
                    GroupCadence::Arrival(_) => "mean time between arrivals",
                    GroupCadence::ClosedLoop { .. } => return None,
                };
                let cycle = c.mean_cycle();
                (window < cycle).then(|| (g.name.clone(), what, cycle))
            });
            if let Some((group, what, cycle)) = &short
                && stairs.is_some()
            {
                errors.push((
                    key(&["run", "stairs", "hold"]),
                    format!(
                        "{} is shorter than the {what} {} of group '{group}': a level's throughput cannot be judged in it; make hold at least {}",
                        units::human_duration(window),
                        units::human_duration(*cycle),
                        units::human_duration(*cycle)
                    ),
                ));
            } else if let Some((group, what, cycle)) = short {
                errors.push((
                    key(&["run", "duration"]),
                    format!(
                        "a steady state of {} (duration {} minus ramp_up {}) is shorter than the {what} {} of group '{group}': no throughput can be judged in it; make duration at least {}",
                        units::human_duration(window),
                        units::human_duration(r.duration.0),
                        units::human_duration(r.ramp_up()),
                        units::human_duration(cycle),
                        units::human_duration(r.ramp_up() + cycle)
                    ),
                ));
            }
        }
        if r.ts_interval.0 <= 0.0 {
            errors.push((
                key(&["run", "ts_interval"]),
                "must be greater than zero".into(),
            ));
        } else {
            // Every interval holds histograms: their number sizes memory.
            let span = r.duration.0 + r.grace.0;
            let intervals = (span / r.ts_interval.0).ceil();
            if intervals > MAX_INTERVALS as f64 {
                errors.push((
                    key(&["run", "ts_interval"]),
                    intervals_error(r.ts_interval.0, span),
                ));
            }
        }
        if let Some(t) = r.post_run_timeout
            && t.0 <= 0.0
        {
            errors.push((
                key(&["run", "post_run_timeout"]),
                "must be greater than zero".into(),
            ));
        }
        if r.results_dir.trim().is_empty() {
            errors.push((key(&["run", "results_dir"]), "must not be empty".into()));
        }
        let a = &self.acceptance;
        for (name, v) in [
            ("p50", a.p50),
            ("p80", a.p80),
            ("p90", a.p90),
            ("p95", a.p95),
            ("p99", a.p99),
            ("max", a.max),
        ] {
            if v.is_some_and(|v| v.0 <= 0.0) {
                errors.push((
                    key(&["acceptance", name]),
                    "must be greater than zero: no response takes no time".into(),
                ));
            }
        }
        self.check_thresholds(&mut errors);
        if !(a.confidence > 0.0 && a.confidence < 1.0) {
            errors.push((
                key(&["acceptance", "confidence"]),
                format!("must be between 0 and 1 (got {})", a.confidence),
            ));
        }
        if self.groups.is_empty() {
            errors.push((
                key(&["group"]),
                "the plan needs at least one [[group]]".into(),
            ));
        }
        let mut names = std::collections::HashSet::new();
        for (i, g) in self.groups.iter().enumerate() {
            let gk = |rest: &[&str]| -> Vec<PathPart> {
                let mut p = vec![PathPart::Key("group".into()), PathPart::Index(i)];
                p.extend(rest.iter().map(|s| PathPart::Key(s.to_string())));
                p
            };
            if g.name.trim().is_empty() {
                errors.push((gk(&["name"]), "must not be empty".into()));
            } else if !names.insert(g.name.clone()) {
                errors.push((gk(&["name"]), format!("two groups are named '{}'", g.name)));
            }
            if g.users == 0 {
                errors.push((gk(&["users"]), "must be at least 1".into()));
            } else if g.users > MAX_USERS {
                errors.push((
                    gk(&["users"]),
                    format!("{} is more than one generator can hold (at most {MAX_USERS}, ~11.5 KiB each)", g.users),
                ));
            }
            if let Some(r) = g.pacing.rate
                && r.0 > MAX_RATE
            {
                errors.push((
                    gk(&["pacing", "rate"]),
                    format!(
                        "{}/s is beyond what one generator can start (at most {MAX_RATE}/s)",
                        r.0
                    ),
                ));
            }
            if let Err((field, msg)) = g.pacing.check() {
                errors.push((gk(&["pacing", field]), msg));
            }
            match (&g.script, g.steps.is_empty()) {
                (None, true) => errors.push((
                    gk(&["step"]),
                    "the group has no [[group.step]] and no script to run".into(),
                )),
                (Some(_), false) => errors.push((
                    gk(&["script"]),
                    "a group runs either a script or [[group.step]]s, not both".into(),
                )),
                (Some(sc), true) if sc.trim().is_empty() => {
                    errors.push((gk(&["script"]), "must not be empty".into()))
                }
                _ => {}
            }
            if g.script.is_none() {
                for k in ["interpreter", "worker", "script_timeout"] {
                    let set = match k {
                        "interpreter" => g.interpreter.is_some(),
                        "worker" => g.worker.is_some(),
                        _ => g.script_timeout.is_some(),
                    };
                    if set {
                        errors.push((gk(&[k]), "only applies to a group with a script".into()));
                    }
                }
            }
            if let Some(d) = &g.data
                && let Err((f, m)) = d.0.check()
            {
                errors.push((gk(&["data", f]), m));
            }
            if g.script.is_some() {
                for (k, set) in [("data", g.data.is_some()), ("cookies", g.cookies.is_some())] {
                    if set {
                        errors.push((
                            gk(&[k]),
                            "only applies to a group with [[group.step]]s (a script keeps its own)"
                                .into(),
                        ));
                    }
                }
            }
            errors.extend(super::extract::check(
                g,
                &[PathPart::Key("group".into()), PathPart::Index(i)],
            ));
            if let Some(t) = g.script_timeout
                && t.0 <= 0.0
            {
                errors.push((gk(&["script_timeout"]), "must be greater than zero".into()));
            }
            for (j, s) in g.steps.iter().enumerate() {
                let sk = |f: &str| -> Vec<PathPart> {
                    let mut p = gk(&["step"]);
                    p.push(PathPart::Index(j));
                    p.push(PathPart::Key(f.into()));
                    p
                };
                if s.name.trim().is_empty() {
                    errors.push((sk("name"), "must not be empty".into()));
                }
                if s.url.trim().is_empty() {
                    errors.push((sk("url"), "must not be empty".into()));
                }
                if let Some(t) = s.timeout
                    && t.0 <= 0.0
                {
                    errors.push((sk("timeout"), "must be greater than zero".into()));
                }
                if let Some(t) = &s.think
                    && let Err((f, m)) = t.draw()
                {
                    let mut p = sk("think");
                    if !f.is_empty() {
                        p.push(PathPart::Key(f.into()));
                    }
                    errors.push((p, m));
                }
                if s.max_body.is_some_and(|b| b.0 == 0) {
                    errors.push((sk("max_body"), "must be greater than zero".into()));
                }
                if let Some(status) = s.expect.as_ref().and_then(|e| e.status)
                    && !(100..=599).contains(&status)
                {
                    errors.push((
                        sk("expect"),
                        format!("status {status} is not an HTTP status (100 to 599): no response could ever match it"),
                    ));
                }
                if !s.method.chars().all(|c| c.is_ascii_alphabetic()) || s.method.is_empty() {
                    errors.push((
                        sk("method"),
                        format!(
                            "{} is not an HTTP method",
                            crate::visible::quoted(&s.method)
                        ),
                    ));
                }
            }
        }
        // A promised rate must be one pace can judge: a closed-loop group's
        // rate follows from the assumed response time.
        if errors.is_empty() && self.target.tps().is_some() {
            for (i, c) in self.cadences().into_iter().enumerate() {
                if let Err(why) = c {
                    errors.push((
                        key(&["target", "response_time"]),
                        format!(
                            "{why}, so the target rate cannot be judged: give target.response_time (the assumed response time of one transaction), or pace group[{i}] start to start"
                        ),
                    ));
                }
            }
        }
        errors.extend(super::stairs::check(self));
        // The target rate must be what the groups actually produce, to
        // RATE_AGREEMENT: a rate derived from a measured response time
        // (1 / 41.23 ms = 24.2542/s) may be written as 24.25. The verdict
        // judges the groups' own schedule, never this number, so the
        // agreement only has to catch a wrong target (a typo, a stale
        // users count), not a rounding.
        if errors.is_empty()
            && let (Some(target), Some(planned)) = (self.target.tps(), self.planned_tps())
            && !rates_agree(target, planned)
        {
            let which = rates.first().copied().unwrap_or("tps");
            let scale = match which {
                "tpm" => 60.0,
                "tph" => 3600.0,
                _ => 1.0,
            };
            errors.push((
                key(&["target", which]),
                format!(
                    "the groups produce {} {} (users x their transactions per iteration / mean cycle), not {}: fix the users or pacing, or the target",
                    units::round_sig(planned * scale, 6),
                    which.to_uppercase(),
                    units::round_sig(target * scale, 6)
                ),
            ));
        }
        errors.extend(super::resource::check(&self.resources, &self.groups));
        if errors.is_empty() {
            errors.extend(super::stairs::check_levels(self));
        }
        errors
    }
}

/// How far a plan's `target.tps`/`tpm`/`tph` may be from the rate its
/// groups produce, relative to the larger: 0.5 %, three significant
/// digits (24.25 for 24.2542/s passes, 24.5 does not).
pub const RATE_AGREEMENT: f64 = 0.005;

/// Whether a stated target rate agrees with the groups' rate (both
/// TPS) to [`RATE_AGREEMENT`], the boundary included.
pub fn rates_agree(target: f64, planned: f64) -> bool {
    (target - planned).abs() <= RATE_AGREEMENT * target.max(planned)
}

impl PacingSection {
    /// Checks the keys each mode needs; the error names the key.
    fn check(&self) -> Result<(), (&'static str, String)> {
        let need = |name: &'static str, v: bool| -> Result<(), (&'static str, String)> {
            if v {
                Ok(())
            } else {
                Err((
                    name,
                    format!("mode \"{}\" needs `{name}`", self.mode_name()),
                ))
            }
        };
        let refuse = |name: &'static str, v: bool| -> Result<(), (&'static str, String)> {
            if v {
                Err((
                    name,
                    format!("does not apply to mode \"{}\"", self.mode_name()),
                ))
            } else {
                Ok(())
            }
        };
        for (name, v) in [("alpha", self.alpha), ("beta", self.beta)] {
            if let Some(v) = v
                && !(v.is_finite() && v > 0.0)
            {
                return Err((name, format!("must be a positive, finite shape (got {v})")));
            }
        }
        if self.mode != PacingMode::Beta {
            refuse("alpha", self.alpha.is_some())?;
            refuse("beta", self.beta.is_some())?;
        }
        match self.mode {
            PacingMode::Fixed => {
                need("interval", self.interval.is_some())?;
                refuse("min", self.min.is_some())?;
                refuse("max", self.max.is_some())?;
            }
            PacingMode::Uniform | PacingMode::Beta => {
                need("min", self.min.is_some())?;
                need("max", self.max.is_some())?;
                if self.mode == PacingMode::Beta {
                    // Shapes, or `interval` with the default shape.
                    if self.alpha.is_none() && self.beta.is_none() && self.interval.is_none() {
                        need("alpha", false)?;
                    }
                } else {
                    refuse("alpha", self.alpha.is_some())?;
                    refuse("beta", self.beta.is_some())?;
                }
            }
            PacingMode::Exponential => {
                need("interval", self.interval.is_some())?;
                refuse("max", self.max.is_some())?;
            }
            PacingMode::AfterEnd => {
                need("delay", self.delay.is_some())?;
            }
            PacingMode::None => {}
            PacingMode::ArrivalRate => {
                need("rate", self.rate.is_some())?;
            }
        }
        if self.mode != PacingMode::ArrivalRate {
            refuse("rate", self.rate.is_some())?;
        }
        if self.mode != PacingMode::AfterEnd {
            refuse("delay", self.delay.is_some())?;
        }
        if matches!(self.mode, PacingMode::Uniform | PacingMode::Beta) {
            let (min, max) = (self.min.unwrap().0, self.max.unwrap().0);
            if min >= max {
                return Err((
                    "min",
                    format!(
                        "min {} must be below max {}",
                        units::human_duration(min),
                        units::human_duration(max)
                    ),
                ));
            }
            let mean = match self.mode {
                PacingMode::Uniform => (min + max) / 2.0,
                _ => {
                    // Beta: with one shape given, the other follows from `interval`.
                    let (a, b) = self.beta_shape(min, max)?;
                    min + (max - min) * a / (a + b)
                }
            };
            if let Some(i) = self.interval {
                if i.0 < min || i.0 > max {
                    return Err((
                        "interval",
                        format!(
                            "the mean interval {} lies outside [min, max] = [{}, {}]",
                            units::human_duration(i.0),
                            units::human_duration(min),
                            units::human_duration(max)
                        ),
                    ));
                }
                if (i.0 - mean).abs() > 1e-6 * mean {
                    return Err((
                        "interval",
                        format!(
                            "is {} but the distribution's mean is {}: the rate follows the arithmetic mean of the interval (for uniform, the midpoint of min and max)",
                            units::human_duration(i.0),
                            units::human_duration(mean)
                        ),
                    ));
                }
            }
        }
        if let Some(p) = self.distribution() {
            p.validate()?;
            if p.mean() < MIN_PACING_S {
                let key = match self.mode {
                    PacingMode::Uniform | PacingMode::Beta => "max",
                    _ => "interval",
                };
                return Err((
                    key,
                    format!(
                        "a mean interval of {} is shorter than pace's {} ms: one user starts at most 1,000 iterations a second (use more users, or mode \"arrival-rate\")",
                        units::human_duration(p.mean()),
                        MIN_PACING_S * 1e3
                    ),
                ));
            }
        }
        Ok(())
    }

    fn mode_name(&self) -> &'static str {
        self.mode.name()
    }
}

/// The 1-based line in `text` of a key written as pace prints it
/// (`group[0].step[1].url`), or of its deepest part that the text holds;
/// 0 when none is found.
pub fn line_of_key(text: &str, key: &str) -> usize {
    let mut path = Vec::new();
    for part in key.split('.') {
        let (name, indices) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        path.push(PathPart::Key(name.to_string()));
        for idx in indices.split('[').filter(|s| !s.is_empty()) {
            match idx.trim_end_matches(']').parse() {
                Ok(i) => path.push(PathPart::Index(i)),
                Err(_) => break,
            }
        }
    }
    locate_path(text, &path)
}

/// One step of a key path: a table key or an index into an array of tables.
#[derive(Debug, Clone, PartialEq)]
pub enum PathPart {
    Key(String),
    Index(usize),
}

pub(super) fn display_path(path: &[PathPart]) -> String {
    let mut s = String::new();
    for p in path {
        match p {
            PathPart::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            PathPart::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// The 1-based line of the deepest part of `path` that exists in the text.
pub(super) fn locate_path(text: &str, path: &[PathPart]) -> usize {
    let Ok(doc) = toml_edit::Document::parse(text) else {
        return locate_by_text(text, path);
    };
    let mut best: Option<usize> = None;
    let mut item: Option<&toml_edit::Item> = None;
    let mut table: Option<&toml_edit::Table> = Some(doc.as_table());
    for part in path {
        match part {
            PathPart::Key(k) => {
                let Some(t) = table else { break };
                let Some((key, it)) = t.get_key_value(k) else {
                    if let Some(sp) = t.span() {
                        best = Some(sp.start);
                    }
                    break;
                };
                if let Some(sp) = key.span() {
                    best = Some(sp.start);
                } else if let Some(sp) = it.span() {
                    best = Some(sp.start);
                }
                item = Some(it);
                table = it.as_table();
            }
            PathPart::Index(i) => {
                let Some(arr) = item.and_then(|it| it.as_array_of_tables()) else {
                    break;
                };
                let Some(t) = arr.get(*i) else { break };
                if let Some(sp) = t.span() {
                    best = Some(sp.start);
                }
                table = Some(t);
            }
        }
    }
    best.map(|b| line_of(text, b)).unwrap_or(0)
}

/// [`locate_path`] for a text toml_edit will not parse although the plan
/// loaded (an integer above i64's range that serde reads as a u64, such
/// as `users = [1, 18446744073709551615]`): the line of `KEY =` under the
/// table header `[A.B]` its leading keys name, else the header's line,
/// else 0.
fn locate_by_text(text: &str, path: &[PathPart]) -> usize {
    let keys: Vec<&str> = path
        .iter()
        .map_while(|p| match p {
            PathPart::Key(k) => Some(k.as_str()),
            PathPart::Index(_) => None,
        })
        .collect();
    let Some((last, table)) = keys.split_last() else {
        return 0;
    };
    let header = table.join(".");
    let lines: Vec<&str> = text.lines().collect();
    let start = if table.is_empty() {
        Some(0)
    } else {
        lines
            .iter()
            .position(|l| header_of(l) == Some((header.as_str(), false)))
    };
    let Some(start) = start else {
        return 0;
    };
    let is_key = |l: &str| {
        l.trim_start()
            .strip_prefix(last)
            .is_some_and(|rest| rest.trim_start().starts_with('='))
    };
    let body = lines[start..]
        .iter()
        .enumerate()
        .skip(usize::from(!table.is_empty()))
        .take_while(|(_, l)| !l.trim_start().starts_with('['));
    for (i, l) in body {
        if is_key(l) {
            return start + i + 1;
        }
    }
    if table.is_empty() { 0 } else { start + 1 }
}

pub(super) fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// For a parse error at `offset`: its line and the key written on that line
/// (prefixed with the table header it sits under).
pub(super) fn locate_span(text: &str, offset: usize) -> (usize, String) {
    let line = line_of(text, offset);
    let lines: Vec<&str> = text.lines().collect();
    let this = lines.get(line - 1).copied().unwrap_or("");
    // An error on a table header (a duplicate `[run]`) is that table's.
    if let Some((name, _)) = header_of(this) {
        return (line, indexed(name, &lines[..line.min(lines.len())]));
    }
    let key = this
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_string())
        .unwrap_or_default();
    let header = lines[..line.saturating_sub(1).min(lines.len())]
        .iter()
        .rev()
        .find_map(|l| header_of(l))
        .map(|(h, _)| h.to_string());
    let header = header.map(|h| indexed(&h, &lines[..line.saturating_sub(1).min(lines.len())]));
    let full = match (header, key.is_empty()) {
        (Some(h), false) => format!("{h}.{key}"),
        (Some(h), true) => h,
        (None, false) => key,
        (None, true) => String::new(),
    };
    (line, full)
}

/// The table a header line opens, and whether it is an array of tables:
/// `[run]` is ("run", false), `[[group.step]]  # login` is ("group.step",
/// true): a comment after the header is not part of its name. `None` for
/// any other line.
fn header_of(line: &str) -> Option<(&str, bool)> {
    let t = line.trim_start();
    let (rest, close, array) = match t.strip_prefix("[[") {
        Some(r) => (r, "]]", true),
        None => (t.strip_prefix('[')?, "]", false),
    };
    let (name, _) = rest.split_once(close)?;
    Some((name.trim(), array))
}

/// A table header as pace names keys elsewhere: `group.step` under the
/// second `[[group]]`'s first `[[group.step]]` is `group[1].step[0]`
/// (`before`: the lines above the error).
fn indexed(header: &str, before: &[&str]) -> String {
    let Some(rest) = header.strip_prefix("group") else {
        return header.to_string();
    };
    if !(rest.is_empty() || rest.starts_with('.')) {
        return header.to_string();
    }
    // Each array of tables' current index; a new element of one starts
    // its children's counts again.
    let mut index: Vec<(String, usize)> = Vec::new();
    for l in before {
        let Some((name, true)) = header_of(l) else {
            continue;
        };
        let n = index
            .iter()
            .find(|(k, _)| k == name)
            .map_or(0, |(_, i)| i + 1);
        let child = format!("{name}.");
        index.retain(|(k, _)| k != name && !k.starts_with(&child));
        index.push((name.to_string(), n));
    }
    let mut out = String::new();
    let mut path = String::new();
    for part in header.split('.') {
        if !path.is_empty() {
            path.push('.');
            out.push('.');
        }
        path.push_str(part);
        out.push_str(part);
        if let Some((_, i)) = index.iter().find(|(k, _)| *k == path) {
            out.push_str(&format!("[{i}]"));
        }
    }
    out
}

pub(super) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
