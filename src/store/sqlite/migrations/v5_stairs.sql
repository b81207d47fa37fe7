-- Version 5: stair tests (docs/capacity.md, "Stair tests"). Each level is
-- stored as a run of its own (`runs`); a stair adds one `stairs` row and
-- one `stair_levels` row per level that ran, measured over its hold.
-- Rates per second, times in seconds. IF NOT EXISTS: a database a newer
-- build rebuilt from these very statements is left as it is.
CREATE TABLE IF NOT EXISTS stairs (
    id             INTEGER PRIMARY KEY,
    -- The stair's own folder (its summary.json and report.html).
    results_dir    TEXT    NOT NULL,
    started_at     TEXT    NOT NULL,
    plan_name      TEXT    NOT NULL,
    model          TEXT    NOT NULL CHECK (model IN ('closed', 'open')),
    hold_s         REAL    NOT NULL,
    ramp_s         REAL    NOT NULL,
    -- The stair's verdict: pass, fail, no_checks or incomplete.
    verdict        TEXT    NOT NULL,
    -- Where and why it stopped; NULL when every level ran.
    stopped_level  INTEGER,
    stopped_rule   TEXT CHECK (stopped_rule IN ('thresholds', 'retrograde', 'rate')),
    stopped_why    TEXT,
    -- The levels of the plan that did not run, as JSON ([80, 160]).
    not_run        TEXT    NOT NULL,
    knee_n         REAL,
    knee_x_per_s   REAL,
    knee_note      TEXT    NOT NULL,
    UNIQUE (results_dir, started_at)
);

CREATE TABLE IF NOT EXISTS stair_levels (
    stair_id       INTEGER NOT NULL REFERENCES stairs (id) ON DELETE CASCADE,
    level          INTEGER NOT NULL,
    -- The level's run; NULL when it could not be stored.
    run_id         INTEGER REFERENCES runs (id) ON DELETE SET NULL,
    users          INTEGER,
    rate_per_s     REAL,
    n              REAL    NOT NULL,
    x_per_s        REAL    NOT NULL,
    expected_per_s REAL,
    r_avg_s        REAL,
    r_p50_s        REAL,
    r_p95_s        REAL,
    r_p99_s        REAL,
    transactions   INTEGER NOT NULL,
    errors         INTEGER NOT NULL,
    error_rate     REAL    NOT NULL,
    late_starts    INTEGER NOT NULL,
    pass           INTEGER NOT NULL,
    reasons        TEXT    NOT NULL,
    PRIMARY KEY (stair_id, level)
);
