use super::*;

/// The case `think-longer-than-pacing` (tests/fixtures/cases).
const CASE: &str = r#"
[target]
tps = 8.0
response_time = "10ms"
transactions_per_iteration = 2

[target.embedded]
latency = "10ms"

[run]
duration = "12s"
ramp_up = "2s"
ts_interval = "1s"
grace = "3s"

[[group]]
name = "browse"
users = 4

[group.pacing]
mode = "fixed"
interval = "1s"

[[group.step]]
name = "search"
url = "${PACE_TARGET}/search"
think = "600ms"

[[group.step]]
name = "product"
url = "${PACE_TARGET}/product"
think = "600ms"
"#;

fn plan(text: &str) -> PlanFile {
    PlanFile::parse(text, "plan.toml").unwrap()
}

fn only(p: &PlanFile) -> Finding {
    let f = p.fit();
    assert_eq!(f.len(), 1, "{f:?}");
    f.into_iter().next().unwrap()
}

/// 2 x (10 ms + 600 ms) = 1.22 s > 1 s: 4 users x 2 / 1.22 s =
/// 6.557 TPS = 393.4 TPM of the 480 planned (the case's README).
#[test]
fn the_case_is_an_error_with_its_numbers() {
    let p = plan(CASE);
    let it = IterationTime::of(&p.groups[0], Some(0.01));
    assert!((it.mean() - 1.22).abs() < 1e-12, "{it:?}");
    let f = only(&p);
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(f.key(), "group[0].pacing.interval");
    assert_eq!(
        f.message,
        "group 'browse': the iteration needs 1.22 s (2 steps x 10 ms response time + 1.2 s of think time) but the pacing interval is 1 s: the group's 480 TPM cannot be reached (4 users make at most 393.4 TPM); its think times alone (1.2 s) are longer than the interval"
    );
}

#[test]
fn an_iteration_of_exactly_the_interval_fits() {
    // 2 x (200 ms + 300 ms) = 1 s.
    let p = plan(
        &CASE
            .replace("\"600ms\"", "\"300ms\"")
            .replace("\"10ms\"", "\"200ms\""),
    );
    assert!(p.fit().is_empty(), "{:?}", p.fit());
    // A microsecond more is late every time.
    let p = plan(
        &CASE
            .replace("\"600ms\"", "\"300.0005ms\"")
            .replace("\"10ms\"", "\"200ms\""),
    );
    assert_eq!(only(&p).severity, Severity::Error);
}

/// Without target.response_time the check counts none, and says so.
#[test]
fn no_response_time_is_assumed_none_and_said() {
    let text = CASE
        .replace("tps = 8.0\nresponse_time = \"10ms\"\n", "")
        .replace("\"600ms\"", "\"550ms\"");
    let f = only(&plan(&text));
    assert!(
        f.message
            .contains("needs 1.1 s (2 steps x 0 s response time + 1.1 s of think time)"),
        "{}",
        f.message
    );
    assert!(
        f.message.ends_with("so the check assumed no response time"),
        "{}",
        f.message
    );
    // 500 ms of think each: 1 s, fits with no response time.
    let text = text.replace("\"550ms\"", "\"500ms\"");
    assert!(plan(&text).fit().is_empty());
}

/// A random think counts its mean for the rate, its longest for late
/// starts.
#[test]
fn a_random_think_counts_its_mean_then_its_longest() {
    // Mean 2 x (10 ms + 450 ms) = 920 ms fits 1 s; the longest,
    // 2 x (10 ms + 800 ms) = 1.62 s, does not.
    let text = CASE.replace(
        "think = \"600ms\"",
        "think = { dist = \"uniform\", min = \"100ms\", max = \"800ms\" }",
    );
    let f = only(&plan(&text));
    assert_eq!(f.severity, Severity::Warning, "{f:?}");
    assert_eq!(f.key(), "group[0].pacing.interval");
    assert!(f.message.contains("an iteration takes up to 1.62 s (2 steps x 10 ms response time + up to 1.6 s of think time) but the pacing interval is 1 s"), "{}", f.message);
    assert!(f.message.contains("late = \"drift\""), "{}", f.message);
    // Mean 2 x (10 ms + 550 ms) = 1.12 s: the rate cannot be met.
    let text = text.replace("\"100ms\"", "\"300ms\"");
    let f = only(&plan(&text));
    assert_eq!(f.severity, Severity::Error, "{f:?}");
    assert!(
        f.message.contains("needs 1.12 s on average"),
        "{}",
        f.message
    );
    assert!(f.message.contains("at most 428.6 TPM"), "{}", f.message);
    // An exponential think with no max: its 99th percentile,
    // mean x ln 100: 2 x (10 ms + 4.605 x 100 ms) = 941 ms fits 1 s;
    // at 110 ms, 2 x (10 + 506.6) = 1.033 s does not.
    let text = CASE.replace(
        "think = \"600ms\"",
        "think = { dist = \"exponential\", mean = \"100ms\" }",
    );
    assert!(plan(&text).fit().is_empty(), "{:?}", plan(&text).fit());
    let f = only(&plan(&text.replace("\"100ms\"", "\"110ms\"")));
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.message.contains("99th percentile"), "{}", f.message);
}

/// Random pacing: the mean interval for the rate, the shortest for
/// late starts.
#[test]
fn random_pacing_errors_below_its_mean_and_warns_below_its_min() {
    // 1.22 s against uniform 1-1.4 s (mean 1.2 s): an error, named
    // at `max` (no interval written).
    let text = CASE.replace(
        "mode = \"fixed\"\ninterval = \"1s\"",
        "mode = \"uniform\"\nmin = \"1s\"\nmax = \"1.4s\"",
    );
    let text = text.replace("tps = 8.0", "tps = 6.666666666666667");
    let f = only(&plan(&text));
    assert_eq!(
        (f.severity, f.key().as_str()),
        (Severity::Error, "group[0].pacing.max")
    );
    assert!(
        f.message
            .contains("the pacing's mean interval is 1.2 s (uniform 1-1.4 s)"),
        "{}",
        f.message
    );
    // Uniform 1-2 s (mean 1.5 s): fits on average, the shortest do not.
    let text = text
        .replace("\"1.4s\"", "\"2s\"")
        .replace("tps = 6.666666666666667", "tps = 5.333333333333333");
    let f = only(&plan(&text));
    assert_eq!(
        (f.severity, f.key().as_str()),
        (Severity::Warning, "group[0].pacing.min")
    );
    assert!(
        f.message.contains("an iteration takes 1.22 s (")
            && f.message.contains("shortest interval is 1 s"),
        "{}",
        f.message
    );
}

/// 20 arrivals/s of 1.22 s keep 24.4 users busy: a pool of 20 starts
/// at most 16.39/s.
#[test]
fn an_arrival_pool_smaller_than_littles_law_is_an_error() {
    let text = CASE
        .replace("tps = 8.0", "tps = 40.0")
        .replace("users = 4", "users = 20")
        .replace(
            "mode = \"fixed\"\ninterval = \"1s\"",
            "mode = \"arrival-rate\"\nrate = \"20/s\"",
        );
    let f = only(&plan(&text));
    assert_eq!(
        (f.severity, f.key().as_str()),
        (Severity::Error, "group[0].users")
    );
    assert!(
        f.message.contains("keep 24.4 users busy on average"),
        "{}",
        f.message
    );
    assert!(
        f.message.contains("at most 16.39/s can start"),
        "{}",
        f.message
    );
    assert!(
        f.message.contains("give it at least 25 users"),
        "{}",
        f.message
    );
    // 25 users: fits exactly (no random think: 24.4 < 25).
    assert!(
        plan(&text.replace("users = 20", "users = 25"))
            .fit()
            .is_empty()
    );
}

#[test]
fn closed_loops_have_nothing_to_miss() {
    let text = CASE.replace("mode = \"fixed\"\ninterval = \"1s\"", "mode = \"none\"");
    let text = text.replace("tps = 8.0", "tps = 6.557377049180328");
    assert!(plan(&text).fit().is_empty());
}

/// An open stair's rates grow against a fixed pool: the first level
/// the pool cannot carry is named.
#[test]
fn an_open_stair_is_checked_level_by_level() {
    let text = r#"
[target]
response_time = "100ms"
[run.stairs]
rates = ["10/s", "20/s", "40/s"]
hold = "10s"
[[group]]
name = "orders"
users = 3
pacing = { mode = "arrival-rate", rate = "10/s" }
[[group.step]]
name = "a"
url = "http://127.0.0.1:1/"
think = "100ms"
"#;
    // 200 ms per iteration: 10/s keeps 2 busy, 20/s 4, 40/s 8.
    let f = only(&plan(text));
    assert_eq!(
        (f.severity, f.key().as_str()),
        (Severity::Error, "group[0].users")
    );
    assert!(
        f.message
            .starts_with("at level 2 of the stair (20/s): group 'orders': 20/s arrivals"),
        "{}",
        f.message
    );
}
