#!/usr/bin/env bash
# Throw-away PostgreSQL servers for the tests, on loopback only, from Debian's packages: one server
# (also the coordinator of the sharded stores the tests create) and ${CONTACTQA_PG_SHARDS:-2} shard
# servers on the next ports, each with its own data directory.
#
#   eval "$(scripts/postgres-test-server.sh start)"   # prints the exports the tests read
#   swift test
#   scripts/postgres-test-server.sh stop
#
# The data directories are $CONTACTQA_PG_DIR (default /tmp/contactqa-pg-$UID) and $CONTACTQA_PG_DIR-shard1, …;
# `stop` deletes them. Password authentication (scram-sha-256) on 127.0.0.1:${CONTACTQA_PG_PORT:-54329}
# (shards: the ports after it): the role `contactqa` with the password `contactqa-test`, given to
# clients in PGPASSWORD only. Installs postgresql with apt-get when it is missing. PostgreSQL refuses
# to run as root: as root, the servers run as the `postgres` user the package creates.
set -euo pipefail
command="${1:-start}"
port="${CONTACTQA_PG_PORT:-54329}"
dir="${CONTACTQA_PG_DIR:-/tmp/contactqa-pg-$(id -u)}"
shard_count="${CONTACTQA_PG_SHARDS:-2}"
password="contactqa-test"

as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

bin_dir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

# Starts the server of data directory $1 on port $2; when it does not come up, the end of its log
# goes to stderr (a port taken by another program, say), and the script fails.
run_server() {
  local dir="$1" port="$2" bin
  bin="$(bin_dir)"
  if ! as_server_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c max_connections=200" start >/dev/null; then
    echo "the PostgreSQL test server on port $port did not start; the end of $dir/server.log:" >&2
    tail -n 20 "$dir/server.log" >&2 || true
    exit 1
  fi
}

# One server: data directory $1, port $2, with the database `contactqa`.
start_server() {
  local dir="$1" port="$2" bin
  bin="$(bin_dir)"
  if [ -f "$dir/data/postmaster.pid" ] && as_server_user "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    echo "a test server already runs in $dir" >&2
    return
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  printf '%s\n' "$password" > "$dir/pwfile"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir/pwfile"
  as_server_user "$bin/initdb" -D "$dir/data" -U contactqa --pwfile="$dir/pwfile" \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  run_server "$dir" "$port"
  PGPASSWORD="$password" "$bin/psql" -q -h 127.0.0.1 -p "$port" -U contactqa -d postgres -c "CREATE DATABASE contactqa" >/dev/null
}

stop_server() {
  local dir="$1" bin
  bin="$(bin_dir)"
  if [ -n "$bin" ] && [ -d "$dir/data" ]; then
    as_server_user "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null || true
  fi
  rm -rf "$dir"
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
  start_server "$dir" "$port"
  shards=()
  for i in $(seq 1 "$shard_count"); do
    start_server "$dir-shard$i" "$((port + i))"
    shards+=("postgres://contactqa@127.0.0.1:$((port + i))/contactqa")
  done
  echo "export CONTACTQA_TEST_POSTGRES_URL=postgres://contactqa@127.0.0.1:$port/contactqa"
  echo "export CONTACTQA_TEST_POSTGRES_SHARDS='${shards[*]}'"
  echo "export PGPASSWORD=$password"
  ;;
crash)
  # The server stopped at once, as in a crash (its data directory kept): for a test of a shard that fails.
  as_server_user "$(bin_dir)/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null
  ;;
restart)
  # The server started again on its kept data directory, after `crash`.
  run_server "$dir" "$port"
  ;;
stop)
  for i in $(seq 1 "$shard_count"); do stop_server "$dir-shard$i"; done
  stop_server "$dir"
  ;;
*)
  echo "usage: $0 start|stop|crash|restart" >&2
  exit 2
  ;;
esac
