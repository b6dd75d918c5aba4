#!/usr/bin/env bash
# Starts a private PostgreSQL server for the hub's PostgreSQL tests: a fresh
# cluster in a temporary folder, on a free port of 127.0.0.1, run by a
# non-root user. No system service is touched.
#
# Usage:
#   eval "$(tests/support/start-postgres.sh)"     # sets VOICE_LEDGER_TEST_POSTGRES
#   cargo test --test sync_postgres
#   "$VOICE_LEDGER_TEST_POSTGRES_STOP"             # stops the server again
#
# Everything but the final `export` lines goes to stderr, so the output can
# be evaluated. Installs the `postgresql` package with apt-get if needed.
set -euo pipefail

log() { echo "start-postgres: $*" >&2; }

find_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

bin="$(find_bin)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    log "installing postgresql"
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
    bin="$(find_bin)"
fi

# PostgreSQL refuses to run as root: use the `postgres` account the
# package creates, or the current user when not root.
run_as=()
owner="$(id -un)"
if [ "$(id -u)" = 0 ]; then
    owner=postgres
    if command -v runuser >/dev/null; then
        run_as=(runuser -u postgres --)
    else
        run_as=(su postgres -s /bin/sh -c)
    fi
fi
as_owner() {
    if [ "${#run_as[@]}" -eq 0 ]; then
        "$@"
    elif [ "${run_as[0]}" = su ]; then
        "${run_as[@]}" "$(printf '%q ' "$@")"
    else
        "${run_as[@]}" "$@"
    fi
}

dir="${VOICE_LEDGER_PG_DIR:-$(mktemp -d /tmp/voice-ledger-pg.XXXXXX)}"
mkdir -p "$dir"
chown "$owner" "$dir"
chmod 700 "$dir"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

log "creating a cluster in $dir"
as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    exit 1
}
log "starting on 127.0.0.1:$port"
as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >&2

url="postgres://postgres@127.0.0.1:$port/postgres"
echo "export VOICE_LEDGER_TEST_POSTGRES='$url'"
echo "export VOICE_LEDGER_TEST_POSTGRES_STOP='$(printf '%q ' "${run_as[@]}") $bin/pg_ctl -D $dir/data -m fast stop'"
