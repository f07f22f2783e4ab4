#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests, on loopback only, from Debian's packages.
#
#   eval "$(scripts/postgres-test-server.sh start)"   # prints the exports the tests read
#   swift test
#   scripts/postgres-test-server.sh stop
#
# The data directory lives in $CONTACTQA_PG_DIR (default /tmp/contactqa-pg-$UID) and is deleted by
# `stop`. Password authentication (scram-sha-256) on 127.0.0.1:${CONTACTQA_PG_PORT:-54329}: the
# role `contactqa` with the password `contactqa-test`, given to clients in PGPASSWORD only.
# Installs postgresql with apt-get when it is missing. PostgreSQL refuses to run as root: as root,
# the server runs as the `postgres` user the package creates.
set -euo pipefail
command="${1:-start}"
port="${CONTACTQA_PG_PORT:-54329}"
dir="${CONTACTQA_PG_DIR:-/tmp/contactqa-pg-$(id -u)}"
password="contactqa-test"

as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

bin_dir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

case "$command" in
start)
  if [ -z "$(bin_dir)" ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "installing postgresql" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
  fi
  bin="$(bin_dir)"
  if [ -f "$dir/data/postmaster.pid" ] && as_server_user "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    echo "a test server already runs in $dir" >&2
  else
    rm -rf "$dir"
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    printf '%s\n' "$password" > "$dir/pwfile"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir/pwfile"
    as_server_user "$bin/initdb" -D "$dir/data" -U contactqa --pwfile="$dir/pwfile" \
      --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    as_server_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c max_connections=200" start >/dev/null
    PGPASSWORD="$password" "$bin/psql" -q -h 127.0.0.1 -p "$port" -U contactqa -d postgres -c "CREATE DATABASE contactqa" >/dev/null
  fi
  echo "export CONTACTQA_TEST_POSTGRES_URL=postgres://contactqa@127.0.0.1:$port/contactqa"
  echo "export PGPASSWORD=$password"
  ;;
stop)
  bin="$(bin_dir)"
  if [ -n "$bin" ] && [ -d "$dir/data" ]; then
    as_server_user "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start|stop" >&2
  exit 2
  ;;
esac
