# Finds or starts the services the test suite needs: PostgreSQL, Redis, Chromium.
# Sourced by scripts/test.sh (bash). Each ensure_* exports the MARKETCAST_TEST_* variable the
# fixtures read and returns non-zero when the service cannot be had. Anything started here is a
# throwaway (temp dir, free port, 127.0.0.1 only) and is stopped by services_cleanup; a service
# the machine already runs is used as it is and never stopped.
#
# Overrides: MARKETCAST_TEST_DATABASE_URL, MARKETCAST_TEST_REDIS_URL, MARKETCAST_TEST_CHROMIUM use
# what they name; MARKETCAST_PG_PORT_PROBE / MARKETCAST_REDIS_PORT_PROBE change the port probed for
# an existing server (point them at an unused port to force a throwaway one).

PYTHON_BIN=${PYTHON_BIN:-.venv/bin/python}  # has psycopg
_SERVICES_TMP=()   # dirs to remove on exit
_SERVICES_STOP=()  # commands to run on exit, newest first

services_log() { echo "[services] $*" >&2; }

services_cleanup() {
    local cmd dir
    for cmd in "${_SERVICES_STOP[@]}"; do
        eval "$cmd" >/dev/null 2>&1 || true
    done
    for dir in "${_SERVICES_TMP[@]}"; do
        rm -rf "$dir"
    done
    _SERVICES_STOP=()
    _SERVICES_TMP=()
}

_is_root() { [ "$(id -u)" = 0 ]; }

_free_port() {
    "$PYTHON_BIN" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

_apt_install() {
    # Only as root, and only once per run: the package lists may be stale on a fresh machine.
    _is_root || return 1
    command -v apt-get >/dev/null || return 1
    services_log "installing $* with apt-get"
    if [ -z "${_APT_UPDATED:-}" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || return 1
        _APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

# Runs a command as the postgres user when we are root (PostgreSQL refuses to run as root).
_as_pg() {
    if _is_root; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

_pg_bindir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
        echo "$dir"
    elif command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        dirname "$(command -v initdb)"
    else
        return 1
    fi
}

# Can we log in to the server on this port as this user without a password? Prints the URL if so.
_pg_try_user() {
    local port=$1 user=$2 url="postgresql://$2@127.0.0.1:$1/postgres"
    "$PYTHON_BIN" - "$url" >/dev/null 2>&1 <<'EOF' || return 1
import sys
import psycopg
psycopg.connect(sys.argv[1], connect_timeout=3).close()
EOF
    echo "$url"
}

_pg_existing() {
    local port=$1 url
    if command -v pg_isready >/dev/null; then
        pg_isready -q -h 127.0.0.1 -p "$port" -t 3 || return 1
    fi
    url=$(_pg_try_user "$port" postgres) || url=$(_pg_try_user "$port" root) || return 1
    echo "$url"
}

# Sets _PG_URL. Not called in $(...): the cleanup it registers must survive into this shell.
_pg_start_throwaway() {
    local bindir dir port
    if ! bindir=$(_pg_bindir); then
        _apt_install postgresql || return 1
        bindir=$(_pg_bindir) || return 1
    fi
    if _is_root && ! id postgres >/dev/null 2>&1; then
        services_log "no 'postgres' user to run PostgreSQL as"
        return 1
    fi
    dir=$(mktemp -d /tmp/marketcast-pg.XXXXXX)
    _SERVICES_TMP+=("$dir")
    _is_root && chown postgres: "$dir"
    port=$(_free_port)
    _as_pg "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 || {
        services_log "initdb failed:"; cat "$dir/initdb.log" >&2; return 1; }
    # Durability is pointless for a throwaway cluster; turning it off makes migrations and TRUNCATEs fast.
    _as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off \
            -c full_page_writes=off -c max_connections=200" start >/dev/null || {
        services_log "PostgreSQL did not start:"; cat "$dir/server.log" >&2; return 1; }
    _SERVICES_STOP=("_as_pg '$bindir/pg_ctl' -D '$dir/data' -m immediate -w stop" "${_SERVICES_STOP[@]}")
    services_log "started a throwaway PostgreSQL ($("$bindir/postgres" --version)) on 127.0.0.1:$port in $dir"
    _PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
}

ensure_postgres() {
    local url port=${MARKETCAST_PG_PORT_PROBE:-5432}
    if [ -n "${MARKETCAST_TEST_DATABASE_URL:-}" ]; then
        services_log "PostgreSQL: using MARKETCAST_TEST_DATABASE_URL"
        return 0
    fi
    if url=$(_pg_existing "$port"); then
        services_log "PostgreSQL: using the server on 127.0.0.1:$port"
    else
        services_log "PostgreSQL: nothing usable on 127.0.0.1:$port, starting a throwaway cluster"
        _pg_start_throwaway || return 1
        url=$_PG_URL
    fi
    export MARKETCAST_TEST_DATABASE_URL=$url
}

ensure_redis() {
    local port=${MARKETCAST_REDIS_PORT_PROBE:-6379} dir
    if [ -n "${MARKETCAST_TEST_REDIS_URL:-}" ]; then
        services_log "Redis: using MARKETCAST_TEST_REDIS_URL"
        return 0
    fi
    if command -v redis-cli >/dev/null && [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ]; then
        services_log "Redis: using the server on 127.0.0.1:$port"
        export MARKETCAST_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
        return 0
    fi
    if ! command -v redis-server >/dev/null; then
        _apt_install redis-server || return 1
    fi
    dir=$(mktemp -d /tmp/marketcast-redis.XXXXXX)
    _SERVICES_TMP+=("$dir")
    port=$(_free_port)
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save "" --appendonly no \
        --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null || return 1
    for _ in $(seq 50); do
        [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] && break
        sleep 0.1
    done
    [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] || return 1
    _SERVICES_STOP=("redis-cli -h 127.0.0.1 -p $port shutdown nosave" "${_SERVICES_STOP[@]}")
    services_log "Redis: started a throwaway server on 127.0.0.1:$port"
    export MARKETCAST_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
}

ensure_chromium() {
    local path=${MARKETCAST_TEST_CHROMIUM:-/usr/bin/chromium}
    if [ ! -x "$path" ] && [ -z "${MARKETCAST_TEST_CHROMIUM:-}" ]; then
        _apt_install chromium || true
    fi
    if [ -x "$path" ]; then
        services_log "Chromium: $path"
        export MARKETCAST_TEST_CHROMIUM=$path
        return 0
    fi
    return 1
}
