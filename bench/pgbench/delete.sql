-- The SQL that bench/run.py's pgbench replays for one kind of request, statement for
-- statement as the API sends it (Django's query log), so that the web benchmark can be
-- compared with what PostgreSQL alone does. `SELECT 1` is the connection health check that
-- CONN_HEALTH_CHECKS runs before the first query of each request; the auth query also picks
-- the random user (and task) from the tables bench/export_workload.py wrote.
-- Deletes take pool tasks at random from those the web run left: a few are already gone.
\set n random(:pool_first, :pool_last)
SELECT 1;
SELECT u.password, u.last_login, u.is_superuser, u.id AS uid, u.email, u.name, u.is_staff, u.is_active, u.date_joined, p.task_id FROM bench_pool p JOIN users_user u ON u.id = p.user_id WHERE p.n = :n LIMIT 1 \gset
BEGIN;
DELETE FROM tasks_task WHERE user_id = :uid AND id = :task_id;
COMMIT;
