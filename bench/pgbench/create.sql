-- The SQL that bench/run.py's pgbench replays for one kind of request, statement for
-- statement as the API sends it with its user cache warm (Django's query log), so that the
-- web benchmark can be compared with what PostgreSQL alone does. (No `SELECT 1`: under
-- load no connection idles long enough for the health check, todo_project/postgresql.)
-- The first query only picks a random user (and task) from the tables
-- bench/export_workload.py wrote: work the service does not do, so the ratio errs in
-- PostgreSQL's favour.
\set n random(1, :users)
SELECT user_id AS uid FROM bench_user WHERE n = :n \gset
INSERT INTO tasks_task (user_id, title, description, completed, priority, tags, due_at, completed_at, created_at, updated_at) VALUES (:uid, 'Benchmark task', 'Created by the benchmark.', false, 0, '[]'::jsonb, NULL, NULL, now(), now()) RETURNING id;
