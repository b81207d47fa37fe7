CREATE TABLE runs (
    id                INTEGER PRIMARY KEY,
    results_dir       TEXT    NOT NULL,
    plan_name         TEXT    NOT NULL,
    plan_file         TEXT    NOT NULL,
    plan_toml         TEXT    NOT NULL,
    started_at        TEXT    NOT NULL,
    finished_at       TEXT    NOT NULL,
    started_epoch_ms  INTEGER NOT NULL,
    run_time_s        REAL    NOT NULL,
    duration_s        REAL    NOT NULL,
    ramp_up_s         REAL    NOT NULL,
    ts_interval_s     REAL    NOT NULL,
    seed              TEXT    NOT NULL,
    partial           INTEGER NOT NULL,
    partial_reason    TEXT,
    pass              INTEGER NOT NULL,
    reasons           TEXT    NOT NULL,
    target_tpm        REAL,
    expected_tpm_low  REAL,
    expected_tpm_high REAL,
    achieved_tpm      REAL    NOT NULL,
    transactions      INTEGER NOT NULL,
    all_transactions  INTEGER NOT NULL,
    errors            INTEGER NOT NULL,
    iterations        INTEGER NOT NULL,
    late_starts       INTEGER NOT NULL,
    dropped           INTEGER NOT NULL,
    skipped           INTEGER NOT NULL,
    p95               REAL,
    pace_version      TEXT    NOT NULL,
    UNIQUE (results_dir, started_at)
);
CREATE INDEX runs_plan_started ON runs (plan_name, started_epoch_ms);
CREATE INDEX runs_started ON runs (started_epoch_ms);

CREATE TABLE groups (
    id                 INTEGER PRIMARY KEY,
    run_id             INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name               TEXT    NOT NULL,
    users              INTEGER NOT NULL,
    pacing_mode        TEXT    NOT NULL,
    pacing_interval_s  REAL,
    pacing_min_s       REAL,
    pacing_max_s       REAL,
    pacing_delay_s     REAL,
    pacing_rate_per_s  REAL,
    late               TEXT    NOT NULL,
    steps              TEXT    NOT NULL
);
CREATE INDEX groups_run ON groups (run_id);

CREATE TABLE timers (
    id       INTEGER PRIMARY KEY,
    run_id   INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name     TEXT    NOT NULL,
    kind     TEXT    NOT NULL CHECK (kind IN ('all', 'step', 'iteration')),
    count    INTEGER NOT NULL,
    errors   INTEGER,
    min      REAL,
    avg      REAL,
    p50      REAL,
    p80      REAL,
    p90      REAL,
    p95      REAL,
    p99      REAL,
    max      REAL,
    stdev    REAL
);
CREATE INDEX timers_run ON timers (run_id);

CREATE TABLE intervals (
    id        INTEGER PRIMARY KEY,
    run_id    INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    timer     TEXT    NOT NULL,
    kind      TEXT    NOT NULL CHECK (kind IN ('all', 'step')),
    interval  INTEGER NOT NULL,
    start_s   REAL    NOT NULL,
    end_s     REAL    NOT NULL,
    count     INTEGER NOT NULL,
    rate      REAL    NOT NULL,
    errors    INTEGER NOT NULL,
    min       REAL,
    avg       REAL,
    p50       REAL,
    p80       REAL,
    p90       REAL,
    p95       REAL,
    p99       REAL,
    max       REAL,
    stdev     REAL
);
CREATE INDEX intervals_run ON intervals (run_id, timer, interval);

CREATE TABLE checks (
    id        INTEGER PRIMARY KEY,
    run_id    INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name      TEXT    NOT NULL,
    target    TEXT    NOT NULL,
    achieved  TEXT    NOT NULL,
    pass      INTEGER NOT NULL
);
CREATE INDEX checks_run ON checks (run_id);
