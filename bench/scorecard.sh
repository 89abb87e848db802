#!/usr/bin/env bash
# A month's scorecard (every department, every indicator) over a table of tickets with a month
# of them, its visits, dispatch and return events and calls: the plain GROUP BY over the raw
# tables, building the month's daily aggregate, the scorecard from the aggregate (goal <= 1 s
# and >= 20x faster than the plain query), after one ticket changed, and the public /stats page
# of `hotline serve` (goal <= 50 ms), all in the same run, on the managed PostgreSQL (or
# HOTLINE_DATABASE_URL).
# Usage: bash bench/scorecard.sh [-tickets 1000000] [-month 200000]
#   -tickets 10000000 -month 2000000   the full size (a big province's years of history)
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build
go run ./bench/scorecard -binary bin/hotline "$@"
