#!/usr/bin/env bash
# One escalation sweep over 1,000,000 open tickets of which 10,000 are overdue, then sweeps with
# nothing due at 1M and 2M rows, on the managed PostgreSQL (or HOTLINE_DATABASE_URL).
# Usage: bash bench/sweep.sh [-tickets 1000000] [-due 10000]
set -euo pipefail
cd "$(dirname "$0")/.."
go run ./bench/sweep "$@"
