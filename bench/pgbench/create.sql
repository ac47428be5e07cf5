-- The SQL that bench/run.py's pgbench replays for one kind of request, statement for
-- statement as the API sends it with its user cache warm (Django's query log), so that the
-- web benchmark can be compared with what PostgreSQL alone does. `SELECT 1` is the
-- connection health check that CONN_HEALTH_CHECKS runs before the first query of each
-- request. The first query after it only picks a random user (and task) from the tables
-- bench/export_workload.py wrote: work the service does not do, so the ratio errs in
-- PostgreSQL's favour.
\set n random(1, :users)
SELECT 1;
SELECT user_id AS uid FROM bench_user WHERE n = :n \gset
INSERT INTO tasks_task (user_id, title, description, completed, priority, tags, due_at, completed_at, created_at, updated_at) VALUES (:uid, 'Benchmark task', 'Created by the benchmark.', false, 0, '[]'::jsonb, NULL, NULL, now(), now()) RETURNING id;
