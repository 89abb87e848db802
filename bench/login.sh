#!/usr/bin/env bash
# A crowd of password guesses against `hotline serve` (1,000 clients from 1,000 loopback
# addresses, 20 s): the server's idle and peak RSS beside its soft memory limit, the answers
# the guesses got, and whether SIP OPTIONS to the hotline were still answered meanwhile.
# Usage: bash bench/login.sh [-clients 1000] [-duration 20s]
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build
go run ./bench/login -binary bin/hotline "$@"
