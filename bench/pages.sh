#!/usr/bin/env bash
# The staff pages at 1,000 and at 1,000,000 open tickets in one run, against two `hotline serve`s
# (one on each database, their requests alternating):
# p50/p95 per page for a supervisor, a handler of the biggest department (the twelve bureaus
# share the tickets: ~83,000 each) and an agent, one request at a time; the board's counts
# under 20 concurrent pollers; exports of the 100,000 overdue tickets with the server's peak RSS.
# Usage: bash bench/pages.sh [-open 1000000] [-total 10000000] [-n 40] [-pollers 20]
#   -open 100000           a quick run
#   -total 10000000        nine million closed tickets beside the open ones (loading takes long)
#   -keep / -reuse DB      keep the big database, and measure it again later without loading
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build
go run ./bench/pages -binary bin/hotline "$@"
