#!/usr/bin/env bash
# Open311 POST requests.json over loopback HTTP against `hotline serve` (32 clients, 20 s):
# tickets/s, p50/p99 latency and the server's peak RSS, then in the same run the bare SQL
# transaction of the same inserts (32 workers) and the ratio. On the managed PostgreSQL under
# var/bench, or HOTLINE_DATABASE_URL. Usage: bash bench/open311.sh [-clients 32] [-duration 20s]
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build
go run ./bench/open311 -binary bin/hotline "$@"
