-- Version 2: `timers.kind` and `intervals.kind` accept 'custom', a script's
-- custom timer (Pyak47's self.custom_timers). SQLite cannot alter a CHECK
-- constraint, so both tables are rebuilt: create the new table, copy every
-- row with its id, drop the old one, rename, recreate its index. Nothing
-- refers to these two tables, and the caller runs this in one transaction
-- with foreign keys off and checks them before committing.

CREATE TABLE timers_v2 (
    id       INTEGER PRIMARY KEY,
    run_id   INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name     TEXT    NOT NULL,
    kind     TEXT    NOT NULL CHECK (kind IN ('all', 'step', 'custom', 'iteration')),
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
INSERT INTO timers_v2 (id, run_id, name, kind, count, errors,
                       min, avg, p50, p80, p90, p95, p99, max, stdev)
    SELECT id, run_id, name, kind, count, errors,
           min, avg, p50, p80, p90, p95, p99, max, stdev
    FROM timers;
DROP TABLE timers;
ALTER TABLE timers_v2 RENAME TO timers;
CREATE INDEX timers_run ON timers (run_id);

CREATE TABLE intervals_v2 (
    id        INTEGER PRIMARY KEY,
    run_id    INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    timer     TEXT    NOT NULL,
    kind      TEXT    NOT NULL CHECK (kind IN ('all', 'step', 'custom')),
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
INSERT INTO intervals_v2 (id, run_id, timer, kind, interval, start_s, end_s, count, rate,
                          errors, min, avg, p50, p80, p90, p95, p99, max, stdev)
    SELECT id, run_id, timer, kind, interval, start_s, end_s, count, rate,
           errors, min, avg, p50, p80, p90, p95, p99, max, stdev
    FROM intervals;
DROP TABLE intervals;
ALTER TABLE intervals_v2 RENAME TO intervals;
CREATE INDEX intervals_run ON intervals (run_id, timer, interval);
