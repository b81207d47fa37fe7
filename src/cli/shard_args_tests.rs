use super::*;

fn env_of(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    }
}

#[test]
fn shard_from_the_flag_or_the_job_index() {
    let none = env_of(&[]);
    assert_eq!(shard(None, None, &none).unwrap(), None);
    assert_eq!(
        shard(Some("1/4"), None, &none).unwrap(),
        Some(Shard { index: 1, count: 4 })
    );
    assert_eq!(
        shard(Some("1/4"), Some("4"), &none).unwrap(),
        Some(Shard { index: 1, count: 4 })
    );
    let job = env_of(&[(INDEX_VAR, "2")]);
    assert_eq!(
        shard(None, Some("3"), &job).unwrap(),
        Some(Shard { index: 2, count: 3 })
    );
}

#[test]
fn shard_errors_name_the_flag_or_the_variable() {
    let none = env_of(&[]);
    let cases: Vec<(Result<Option<Shard>, String>, &str)> = vec![
        (shard(Some("4/4"), None, &none), "--shard"),
        (shard(Some("x"), None, &none), "--shard"),
        (shard(Some("1/4"), Some("2"), &none), "--shards"),
        (shard(None, Some("0"), &none), "--shards"),
        (shard(None, Some("4"), &none), INDEX_VAR),
        (
            shard(None, Some("4"), &env_of(&[(INDEX_VAR, "x")])),
            INDEX_VAR,
        ),
        (
            shard(None, Some("4"), &env_of(&[(INDEX_VAR, "4")])),
            INDEX_VAR,
        ),
    ];
    for (r, name) in cases {
        let e = r.unwrap_err();
        assert!(e.starts_with(name), "{e}");
        assert!(!e.contains('\n'));
    }
}

#[test]
fn start_times_in_rfc_3339() {
    let none = env_of(&[]);
    let t = |s| start_at(Some(s), &none).unwrap().unwrap().0;
    let z = t("2026-12-01T05:00:00Z");
    assert_eq!(epoch_us(z), 1_796_101_200_000_000);
    assert_eq!(t("2026-12-01T06:30:00+01:30"), z);
    assert_eq!(t("2026-12-01T04:00:00-01:00"), z);
    assert_eq!(t("2026-12-01T05:00:00"), z);
    assert_eq!(
        epoch_us(t("2026-12-01T05:00:00.250Z")) - epoch_us(z),
        250_000
    );
    let from_env = env_of(&[(START_VAR, "2026-12-01T05:00:00Z")]);
    assert_eq!(start_at(None, &from_env).unwrap().unwrap().0, z);
    assert!(
        start_at(Some("tomorrow"), &none)
            .unwrap_err()
            .starts_with("--start-at")
    );
    let bad = env_of(&[(START_VAR, "5pm")]);
    assert!(start_at(None, &bad).unwrap_err().starts_with(START_VAR));
}

#[test]
fn plan_hash_is_sha256_hex() {
    assert_eq!(
        plan_hash("abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn a_shard_with_no_user_or_no_pool_user_is_refused() {
    let text = r#"
[run]
duration = "1m"

[[group]]
name = "open"
users = 1

[group.pacing]
mode = "arrival-rate"
rate = "2/s"

[[group.step]]
name = "s"
url = "http://127.0.0.1:1/"

[[group]]
name = "closed"
users = 4

[group.pacing]
mode = "fixed"
interval = "1s"

[[group.step]]
name = "t"
url = "http://127.0.0.1:1/"
"#;
    let plan = PlanFile::parse(text, "t.toml").unwrap();
    assert_eq!(useless(&plan, Shard::new(0, 2).unwrap()), None);
    let e = useless(&plan, Shard::new(1, 2).unwrap()).unwrap();
    assert!(
        e.contains("group 'open'") && e.contains("drop every arrival"),
        "{e}"
    );
    // A shard past the largest group's users has nobody to run.
    let e = useless(&plan, Shard::new(4, 5).unwrap()).unwrap();
    assert!(
        e.contains("no user") && e.contains("at most 4 shards"),
        "{e}"
    );
}

#[test]
fn a_common_seed_is_the_same_for_one_run_and_another_for_the_next() {
    let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_micros(1_764_566_400_123_456);
    let later = at + std::time::Duration::from_secs(60);
    assert_eq!(common_seed("plan", at), common_seed("plan", at));
    assert_ne!(common_seed("plan", at), common_seed("plan", later));
    assert_ne!(common_seed("plan", at), common_seed("plan ", at));
}
