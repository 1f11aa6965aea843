#!/usr/bin/env bash
# The whole check, as `make test` and CI run it: lint, import contracts, types, the suite on SQLite, then on
# PostgreSQL. Finds or starts PostgreSQL, Redis and Chromium (scripts/services.sh); with CI=true a
# missing one fails the run instead of skipping its tests. Extra arguments go to pytest
# (e.g. `scripts/test.sh tests/core -x`). MARKETCAST_TEST_WORKERS sets pytest-xdist workers (0: none).
set -uo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
PYTHON_BIN=$BIN/python
IN_CI=$(echo "${CI:-}" | tr '[:upper:]' '[:lower:]')
WORKERS=${MARKETCAST_TEST_WORKERS:-2}
ARTIFACTS=test-artifacts
STARTED=$(date +%s)

# shellcheck source=scripts/services.sh
. scripts/services.sh
trap services_cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$ARTIFACTS"
SUMMARY=()     # one line per step
FAILED=0
WORST_LINE=""  # the pytest line CI should see last: the first failing run's, else the last run's

note() { SUMMARY+=("$(printf '%-14s %s' "$1" "$2")"); }
banner() { printf '\n==== %s ====\n' "$*"; }

run_step() {  # run_step NAME command...
    local name=$1; shift
    banner "$name"
    if "$@"; then note "$name" "ok"; else note "$name" "FAILED"; FAILED=1; fi
}

need_service() {  # need_service NAME ensure_fn: a missing service is fatal only in CI
    local name=$1 fn=$2
    if "$fn"; then note "$name" "available"; return 0; fi
    if [ "$IN_CI" = true ]; then
        note "$name" "MISSING (required with CI=true)"; FAILED=1
    else
        note "$name" "missing: its tests will be skipped"
    fi
    return 1
}

run_pytest() {  # run_pytest BACKEND [pytest args...]
    local backend=$1; shift
    local log="$ARTIFACTS/pytest-$backend.log" rc last color=no
    local xdist=()
    [ -t 1 ] && color=yes
    [ "$WORKERS" != 0 ] && xdist=(-n "$WORKERS")
    banner "pytest on $backend"
    MARKETCAST_TEST_BACKEND=$backend "$BIN/python" -m pytest "${xdist[@]}" --durations=10 --color="$color" "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    last=$(sed -e 's/\x1b\[[0-9;]*m//g' "$log" | grep -v '^[[:space:]]*$' | tail -n 1)
    if [ "$rc" = 0 ]; then
        note "$backend" "ok     | $last"
    else
        note "$backend" "FAILED (exit $rc) | $last"
        FAILED=1
    fi
    if [ "$rc" != 0 ] && [ -z "${WORST_FAILED:-}" ]; then
        WORST_LINE=$last; WORST_FAILED=1
    elif [ -z "${WORST_FAILED:-}" ]; then
        WORST_LINE=$last
    fi
}

run_step ruff "$BIN/ruff" check src tests bench scripts migrations
run_step import-linter "$BIN/lint-imports" --no-cache
# As configured in pyproject.toml ([tool.mypy]); incremental, so a run after a small change takes seconds.
run_step mypy "$BIN/mypy"

banner "services"
HAVE_PG=0
need_service postgresql ensure_postgres && HAVE_PG=1
need_service redis ensure_redis
need_service chromium ensure_chromium

run_pytest sqlite "$@"
if [ "$HAVE_PG" = 1 ]; then
    run_pytest postgres "$@"
elif [ "$IN_CI" != true ]; then
    note postgres "skipped: no PostgreSQL"
fi

ELAPSED=$(( $(date +%s) - STARTED ))
banner "summary"
printf '%s\n' "${SUMMARY[@]}"
printf '%-14s %dm%02ds\n' "wall clock" $((ELAPSED / 60)) $((ELAPSED % 60))
if [ "$FAILED" = 0 ]; then echo "RESULT: all green"; else echo "RESULT: FAILED"; fi
# Last line: pytest's own summary line (of the first failing run), for CI to read.
[ -n "$WORST_LINE" ] && echo "$WORST_LINE"
exit "$FAILED"
