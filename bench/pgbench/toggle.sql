-- The SQL that bench/run.py's pgbench replays for one kind of request, statement for
-- statement as the API sends it (Django's query log), so that the web benchmark can be
-- compared with what PostgreSQL alone does. `SELECT 1` is the connection health check that
-- CONN_HEALTH_CHECKS runs before the first query of each request; the auth query also picks
-- the random user (and task) from the tables bench/export_workload.py wrote.
\set n random(1, :owners)
\set r random(0, 999999)
SELECT 1;
SELECT u.password, u.last_login, u.is_superuser, u.id AS uid, u.email, u.name, u.is_staff, u.is_active, u.date_joined, (SELECT task_id FROM bench_task WHERE n = o.first_task + :r::bigint * o.task_count / 1000000) AS task_id FROM bench_owner o JOIN users_user u ON u.id = o.user_id WHERE o.n = :n LIMIT 1 \gset
BEGIN;
UPDATE tasks_task SET completed = CASE WHEN completed THEN false ELSE true END, updated_at = now() WHERE user_id = :uid AND id = :task_id;
SELECT id, user_id, title, description, completed, created_at, updated_at FROM tasks_task WHERE user_id = :uid AND id = :task_id LIMIT 21;
COMMIT;
