-- The SQL that bench/run.py's pgbench replays for one kind of request, statement for
-- statement as the API sends it with its user cache warm (Django's query log), so that the
-- web benchmark can be compared with what PostgreSQL alone does. `SELECT 1` is the
-- connection health check that CONN_HEALTH_CHECKS runs before the first query of each
-- request. The first query after it only picks a random user (and task) from the tables
-- bench/export_workload.py wrote: work the service does not do, so the ratio errs in
-- PostgreSQL's favour.
\set n random(:pool_first, :pool_last)
SELECT 1;
SELECT user_id AS uid, task_id FROM bench_pool WHERE n = :n \gset
BEGIN;
DELETE FROM tasks_task WHERE user_id = :uid AND id = :task_id;
COMMIT;
