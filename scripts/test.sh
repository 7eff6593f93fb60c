#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian machine, then run it.
# Installs: a virtualenv with ctdata and its test, bench and spark extras, Debian's Chromium
# (browser tests), axe-core from npm (their accessibility checks), a Java runtime for Spark
# (linkage and analytics tests run on Spark local[2] too) and, if none is running, a local
# PostgreSQL 15 (store tests run on it too).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test,bench,spark]"

SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null; then SUDO="sudo"; fi
need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v pdftoppm >/dev/null || need_apt+=(poppler-utils)
command -v java >/dev/null || need_apt+=(default-jre-headless)
if ! command -v pg_ctlcluster >/dev/null && ! command -v pg_isready >/dev/null; then need_apt+=(postgresql); fi
command -v redis-server >/dev/null || need_apt+=(redis-server)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing with apt: ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "starting PostgreSQL"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1; }
if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc "select 1" >/dev/null 2>&1; then
  echo "PostgreSQL does not accept user postgres over TCP; set CTDATA_TEST_PG_URL" >&2
  [ -n "${CTDATA_TEST_PG_URL:-}" ] || exit 1
fi
# Redis for the test of login rate limits shared through it ([web] shared_state = "redis")
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting Redis"
  redis-server --bind 127.0.0.1 --port 6379 --save "" --daemonize yes >/dev/null
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
fi
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { echo "Redis is not reachable on 127.0.0.1:6379" >&2; exit 1; }

# axe-core for the accessibility checks of the browser tests (from npm, never a CDN)
command -v npm >/dev/null || { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm >/dev/null; }
npm install --no-audit --no-fund --silent --prefix tests/web/axe

.venv/bin/ruff check src tests benchmarks scripts
.venv/bin/python -m pytest -n 2 --dist loadfile -q "$@"
