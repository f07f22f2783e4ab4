#!/usr/bin/env bash
# Runs the demo pipeline on the bundled fixtures with the embedded SQLite store.
# Installs libcsv-dev, libsqlite3-dev and libpq-dev from Debian/Ubuntu packages when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for package in libcsv-dev libsqlite3-dev libpq-dev; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

swift build --product contactqa >&2
.build/debug/contactqa run pipelines/demo.yaml --week 2026-W47 --as-of 2026-12-01 "$@"
echo "The weekly report: .contactqa/reports/2026-W47/report.html (and report.md, report.json, kpis*.csv, sample/, feedback/); store: .contactqa/demo.sqlite" >&2
