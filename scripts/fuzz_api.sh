#!/usr/bin/env bash
# Fuzzes the live API with schemathesis, driven by its own OpenAPI document, on PostgreSQL.
#
#   scripts/fuzz_api.sh                           # a run of a few minutes
#   FUZZ_MAX_EXAMPLES=1000 scripts/fuzz_api.sh    # a longer, deeper one
#
# Migrates DATABASE_URL (creating the database when missing), creates a fresh user, serves
# the app with gunicorn and DEBUG off on 127.0.0.1:FUZZ_PORT, runs every check in every phase
# as that user, and stops the server on exit. Schemathesis's own settings: schemathesis.toml.
#
# Environment: DATABASE_URL (default below), FUZZ_PORT (18600), FUZZ_MAX_EXAMPLES (50 per
# operation and phase), FUZZ_SEED (fixed, so that a run is repeatable).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ -d .venv ]]; then
    PATH="$PWD/.venv/bin:$PATH"  # The project's environment, as `make install` builds it.
fi

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/todo_fuzz}"
export DEBUG=false
export ALLOWED_HOSTS=127.0.0.1
export LOG_LEVEL=WARNING
export API_DOCS_PUBLIC=true  # Schemathesis reads the schema over HTTP, signed in or not.
# Generous limits: with the real ones, most of the run would be answered 429.
export THROTTLE_AUTH_RATE=100000/min THROTTLE_USER_RATE=100000/min
SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
export SECRET_KEY
port="${FUZZ_PORT:-18600}"
base_url="http://127.0.0.1:$port"

# The server's log (with the traceback of any 500) and Hypothesis's caches, out of the tree.
work_dir="$(mktemp -d -t fuzz-api.XXXXXX)"
export HYPOTHESIS_STORAGE_DIRECTORY="$work_dir/hypothesis"
server_pid=""
finish() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$HYPOTHESIS_STORAGE_DIRECTORY"
    echo "Server log: $work_dir/server.log"
}
trap finish EXIT

python - <<'PY'
import os
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

url = urlsplit(os.environ["DATABASE_URL"])
name = url.path.lstrip("/")
with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
PY
python manage.py migrate --noinput --verbosity 0

# A new user per run, so that earlier runs' tasks do not change what this one sees. The
# token outlives the longest run, unlike the 15-minute tokens that sign-in hands out.
credentials="$(python manage.py shell --verbosity 0 --command '
import secrets
from datetime import timedelta
from users.models import User
from users.tokens import issue_access_token
user = User.objects.create_user(email=f"fuzz-{secrets.token_hex(8)}@example.com")
print(user.pk, issue_access_token(user_id=user.pk, lifetime=timedelta(days=1)))
')"
read -r FUZZ_USER_ID FUZZ_ACCESS_TOKEN <<<"$credentials"
export FUZZ_USER_ID FUZZ_ACCESS_TOKEN  # Read by schemathesis.toml.

# The production configuration, but reachable from this machine only.
gunicorn todo_project.wsgi --config gunicorn.conf.py --bind "127.0.0.1:$port" \
    --control-socket "$work_dir/gunicorn.ctl" >"$work_dir/server.log" 2>&1 &
server_pid=$!

for attempt in $(seq 100); do
    if curl --silent --fail --output /dev/null "$base_url/health"; then
        break
    fi
    if ((attempt == 100)) || ! kill -0 "$server_pid" 2>/dev/null; then
        echo "The server did not become healthy:" >&2
        cat "$work_dir/server.log" >&2
        exit 1
    fi
    sleep 0.1
done

# Every check runs: schemathesis.toml enables them all, with its one exception.
schemathesis run "$base_url/api/schema/" \
    --phases examples,coverage,fuzzing,stateful \
    --seed "${FUZZ_SEED:-20261127}" \
    --max-examples "${FUZZ_MAX_EXAMPLES:-50}"
