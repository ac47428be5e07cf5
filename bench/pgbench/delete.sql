-- The SQL that bench/run.py's pgbench replays for one kind of request, statement for
-- statement as the API sends it with its user cache warm (Django's query log), so that the
-- web benchmark can be compared with what PostgreSQL alone does. (No `SELECT 1`: under
-- load no connection idles long enough for the health check, todo_project/postgresql.)
-- The first query only picks a random user (and task) from the tables
-- bench/export_workload.py wrote: work the service does not do, so the ratio errs in
-- PostgreSQL's favour.
\set n random(:pool_first, :pool_last)
SELECT user_id AS uid, task_id FROM bench_pool WHERE n = :n \gset
BEGIN;
DELETE FROM tasks_task WHERE user_id = :uid AND id = :task_id;
COMMIT;
