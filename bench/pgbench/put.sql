-- The SQL that bench/run.py's pgbench replays for one kind of request, statement for
-- statement as the API sends it with its user cache warm (Django's query log), so that the
-- web benchmark can be compared with what PostgreSQL alone does. (No `SELECT 1`: under
-- load no connection idles long enough for the health check, todo_project/postgresql.)
-- The first query only picks a random user (and task) from the tables
-- bench/export_workload.py wrote: work the service does not do, so the ratio errs in
-- PostgreSQL's favour.
\set n random(1, :owners)
\set r random(0, 999999)
SELECT o.user_id AS uid, (SELECT task_id FROM bench_task WHERE n = o.first_task + :r::bigint * o.task_count / 1000000) AS task_id FROM bench_owner o WHERE o.n = :n \gset
SELECT id, user_id, title, description, completed, priority, tags, due_at, completed_at, created_at, updated_at FROM tasks_task WHERE user_id = :uid AND id = :task_id;
UPDATE tasks_task SET title = 'Benchmark task, renamed', description = 'Updated by the benchmark.', completed = false, updated_at = now(), completed_at = NULL WHERE id = :task_id AND user_id = :uid;
