#!/usr/bin/env bash
# The test suite with its PostgreSQL cases, in one command: starts the throw-away server
# (scripts/postgres-test-server.sh, installing postgresql when missing), runs `swift test` with any
# arguments given, and stops the server again whatever the outcome.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/postgres-test-server.sh start)"
trap 'scripts/postgres-test-server.sh stop' EXIT
swift test "$@"
