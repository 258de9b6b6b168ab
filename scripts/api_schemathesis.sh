#!/usr/bin/env bash
# Schemathesis against the served OpenAPI document, with a token of a demo officer: no 5xx, every response as
# documented. `.ci/run` calls it; locally: scripts/api_schemathesis.sh [PORT] (needs the venv of ./dev.sh setup).
# Examples per operation: SCHEMATHESIS_EXAMPLES (default 20) keeps the run around a minute or two. One worker:
# Python 3.11's ast module is not safe in schemathesis' threads ("AST constructor recursion depth mismatch").
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PORT=${1:-5199}
WORK=$(mktemp -d)
export DATABASE_URL="sqlite:///$WORK/api.sqlite3" EMBEDDING_BACKEND=tfidf PUBLIC_URL="http://127.0.0.1:$PORT"
export RATELIMIT_ENABLED=false
"$VENV/bin/flask" --app app db upgrade >/dev/null 2>&1
"$VENV/bin/flask" --app app demo >/dev/null 2>&1
TOKEN=$("$VENV/bin/flask" --app app create-token shiojiri@demo.example.jp --name schemathesis 2>/dev/null)
EXPERT_TOKEN=$("$VENV/bin/flask" --app app create-token expert@demo.example.jp --name schemathesis 2>/dev/null)
# Real records of the demo for the path parameters, so that the tests reach past the 404 of a random id.
"$VENV/bin/python" - >"$WORK/schemathesis.toml" <<'PY'
from sqlalchemy import select
from hub import create_app
from hub.db import get_session
from hub.models import Engagement, ExpertProfile, Need, Organization, ShortlistEntry
with create_app().app_context():
    s = get_session()
    shiojiri = s.scalar(select(Organization.id).where(Organization.lg_code == "202151"))
    need = s.scalars(select(Need).where(Need.organization_id == shiojiri, Need.status == "open").order_by(Need.id)).first()
    entry = s.scalars(select(ShortlistEntry).join(Need).where(Need.organization_id == shiojiri).order_by(ShortlistEntry.id)).first()
    engagement = s.scalars(select(Engagement).join(Need, Engagement.need_id == Need.id)
                           .where(Need.organization_id == shiojiri).order_by(Engagement.id)).first()
    expert = s.scalars(select(ExpertProfile).where(ExpertProfile.listed.is_(True)).order_by(ExpertProfile.id)).first()
    blocks = [("^/api/v1/needs/", "ref", f'"{need.external_id}"'), ("^/api/v1/experts/", "ref", f'"{expert.external_id}"'),
              ("^/api/v1/shortlist/", "entry_id", entry.id if entry else 1),
              ("^/api/v1/engagements/", "engagement_id", engagement.id if engagement else 1)]
    for regex, name, value in blocks:
        print(f'[[operations]]\ninclude-path-regex = "{regex}"\nparameters = {{ {name} = {value} }}\n')
PY
"$VENV/bin/python" -c "import socket, sys; s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1])))" "$PORT" 2>/dev/null \
  || { echo "port $PORT is taken: pass a free one (scripts/api_schemathesis.sh PORT)"; exit 1; }
"$VENV/bin/flask" --app app run --port "$PORT" >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
"$VENV/bin/python" - "$PORT" <<'PY'
import sys, time, urllib.request
for _ in range(60):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/v1/openapi.json", timeout=2)
        break
    except OSError:
        time.sleep(1)
else:
    sys.exit("the server did not start")
PY
kill -0 "$SERVER" 2>/dev/null || { echo "the hub did not start on port $PORT:"; cat "$WORK/server.log"; exit 1; }
run_schemathesis() {  # TOKEN, then any further options of `st run`
  local token=$1; shift
  "$VENV/bin/st" --config-file "$WORK/schemathesis.toml" run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
    --max-examples "${SCHEMATHESIS_EXAMPLES:-20}" --seed 2026 --request-timeout 30 --workers 1 "$@" || {
    status=$?; echo "== server log (last 80 lines)"; tail -80 "$WORK/server.log"; exit $status; }
}
echo "== schemathesis as municipal staff (塩尻市): every operation"
run_schemathesis "$TOKEN"
echo "== schemathesis as an expert: the expert's own operations"
run_schemathesis "$EXPERT_TOKEN" --include-path-regex '^/api/v1/(experts/me|taxonomy|needs)$'
