-- Version 4: raw samples (Pyak47's ResultRow and TimerRow), each group's
-- script, and the whole run's successful transactions under their own name.
--
-- whole_run_transactions: successful transactions of the whole run
-- (summary.json's whole_run.transactions), beside `errors` (its failed
-- ones); `transactions` stays the window's. Runs stored before it get
-- all_transactions - errors, which is the same number (all_transactions is
-- every transaction of the run, ok or not).
-- samples_status: `stored`, `off` (results_database_samples = 0) or
-- `over_limit` (more samples than results_database_samples: none stored);
-- NULL for runs stored before version 4, which have no samples.
-- samples_count: rows of the run in `samples`; samples_limit: the limit
-- that applied.
ALTER TABLE runs ADD COLUMN whole_run_transactions INTEGER;
ALTER TABLE runs ADD COLUMN samples_status TEXT;
ALTER TABLE runs ADD COLUMN samples_count INTEGER;
ALTER TABLE runs ADD COLUMN samples_limit INTEGER;
UPDATE runs SET whole_run_transactions = max(all_transactions - errors, 0);

-- The group's script (a Pyak47 Transaction script), NULL for HTTP steps.
ALTER TABLE groups ADD COLUMN script TEXT;

-- One row per raw sample of the kinds users query: a transaction (`step`),
-- a script's custom timer value (`custom`) and a whole iteration
-- (`iteration`). Times and latencies in seconds.
CREATE TABLE samples (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    t           REAL    NOT NULL,
    group_name  TEXT    NOT NULL,
    timer       TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('step', 'custom', 'iteration')),
    user        INTEGER NOT NULL,
    iteration   INTEGER NOT NULL,
    latency     REAL    NOT NULL,
    ok          INTEGER NOT NULL,
    status      INTEGER NOT NULL,
    error_kind  TEXT,
    error       TEXT
);
CREATE INDEX samples_run ON samples (run_id);
