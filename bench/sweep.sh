#!/usr/bin/env bash
# One escalation sweep over 1,000,000 open tickets of which 10,000 are overdue, then sweeps with
# nothing due at 1M and 2M rows, on the managed PostgreSQL (or HOTLINE_DATABASE_URL).
# Usage: bash bench/sweep.sh [-tickets 1000000] [-due 10000] [-reuse] [-grow=false] [-v]
#   -tickets 100000 -due 10000   a quick run
#   -reuse                       keep the loaded, planned tickets in template databases
#                                (bench_sweep_tpl_<tickets>_<due>[_x2]) and start later runs from a
#                                copy: seconds instead of minutes; drop them to rebuild
#   -v                           each sweep batch's time per statement, on stderr
set -euo pipefail
cd "$(dirname "$0")/.."
go run ./bench/sweep "$@"
