#!/usr/bin/env bash
# Runs the demo pipeline on the bundled fixtures with the embedded SQLite store.
# Installs libcsv-dev, libsqlite3-dev, libpq-dev, libssl-dev and zlib1g-dev from Debian/Ubuntu packages when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for package in libcsv-dev libsqlite3-dev libpq-dev libssl-dev zlib1g-dev; do
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
# Two nights of the week after 2026-W47, as cron would run them. Monday 23 November: the exports are
# loaded and the week's QA sample drawn (the report is a draft: FCR can still change). Then the QA team
# evaluates the sampled interactions (fixtures/qa-inbox). Tuesday 1 December, past the FCR window:
# their evaluations load and the final report carries the design-weighted QA estimates.
mkdir -p .contactqa/inbox/qa
.build/debug/contactqa run pipelines/demo.yaml --week 2026-W47 --as-of 2026-11-23 "$@"
cp fixtures/qa-inbox/*.csv .contactqa/inbox/qa/
.build/debug/contactqa run pipelines/demo.yaml --week 2026-W47 --as-of 2026-12-01 "$@"
echo "The weekly report: .contactqa/reports/2026-W47/report.html (and report.md, report.json, kpis*.csv, sample/, feedback/); store: .contactqa/demo.sqlite" >&2
