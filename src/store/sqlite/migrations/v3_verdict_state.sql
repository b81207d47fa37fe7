-- Version 3: the verdict's word and the scopes of the run's figures.
-- verdict: pass | fail | no_checks | incomplete (summary.json's
-- verdict.state); runs stored before it get what their pass and partial
-- columns said then. window_errors: failed transactions of the window,
-- beside `transactions` (its successful ones); `errors` stays the whole
-- run's, beside `all_transactions`. achieved_scope: `window`, or
-- `whole_run` when the window was empty and achieved_tpm is the whole
-- run's rate. missed: planned starts never made (users behind schedule).
ALTER TABLE runs ADD COLUMN verdict TEXT;
ALTER TABLE runs ADD COLUMN window_errors INTEGER;
ALTER TABLE runs ADD COLUMN achieved_scope TEXT;
ALTER TABLE runs ADD COLUMN missed INTEGER;
UPDATE runs SET verdict = CASE WHEN partial THEN 'incomplete' WHEN pass THEN 'pass' ELSE 'fail' END,
                achieved_scope = 'window';
