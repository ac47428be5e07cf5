-- The SQL that bench/run.py's pgbench replays for one kind of request, statement for
-- statement as the API sends it (Django's query log), so that the web benchmark can be
-- compared with what PostgreSQL alone does. `SELECT 1` is the connection health check that
-- CONN_HEALTH_CHECKS runs before the first query of each request; the auth query also picks
-- the random user (and task) from the tables bench/export_workload.py wrote.
\set n random(1, :users)
SELECT 1;
SELECT u.password, u.last_login, u.is_superuser, u.id AS uid, u.email, u.name, u.is_staff, u.is_active, u.date_joined FROM bench_user b JOIN users_user u ON u.id = b.user_id WHERE b.n = :n LIMIT 1 \gset
INSERT INTO tasks_task (user_id, title, description, completed, created_at, updated_at) VALUES (:uid, 'Benchmark task', 'Created by the benchmark.', false, now(), now()) RETURNING id;
