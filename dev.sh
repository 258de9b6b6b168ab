#!/usr/bin/env bash
# One entry point for a fresh machine.
#   ./dev.sh run    set up, create the embedded SQLite database with demo data (first time), serve on :5000
#   ./dev.sh test   set up, run the whole test suite (TEST_DATABASE_URL=postgresql+psycopg://… for PostgreSQL)
#   ./dev.sh setup  only create .venv and install the pinned dependencies
set -euo pipefail
cd "$(dirname "$0")"
VENV=${VENV:-.venv}
PY="$VENV/bin/python"

setup() {
  local want=$1  # requirements file
  if [ ! -x "$PY" ]; then
    python3 -m venv "$VENV"
  fi
  local stamp="$VENV/.installed-$(basename "$want")"
  if [ ! -f "$stamp" ] || [ "$want" -nt "$stamp" ] || [ requirements.txt -nt "$stamp" ]; then
    "$PY" -m pip install --quiet --upgrade pip
    # The CPU build of torch first, so sentence-transformers does not pull a CUDA build.
    "$PY" -m pip install --quiet torch==2.13.0
    "$PY" -m pip install --quiet -r "$want"
    touch "$stamp"
  fi
}

cmd=${1:-run}
shift || true
case "$cmd" in
  setup)
    setup requirements-dev.txt ;;
  run)
    setup requirements.txt
    "$VENV/bin/flask" --app app db upgrade
    "$VENV/bin/flask" --app app demo --if-empty
    exec "$VENV/bin/flask" --app app run --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}" "$@" ;;
  test)
    setup requirements-dev.txt
    # Everything: unit, integration, real text models ("slow") and headless-Chromium tests ("browser";
    # skipped with a reason when /usr/bin/chromium is not installed: apt-get install chromium fonts-noto-cjk).
    exec "$PY" -m pytest -m "slow or not slow" "$@" ;;
  *)
    echo "usage: $0 run|test|setup" >&2; exit 2 ;;
esac
