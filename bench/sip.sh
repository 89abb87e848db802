#!/usr/bin/env bash
# Calls through the SIP front end: SIPp callers → hotline serve → 60 SIPp-played agents at a
# rising rate, against a bare sipgo B2BUA in the same run, and hotline serve's peak RSS, on the
# managed PostgreSQL (or HOTLINE_DATABASE_URL). Usage: bash bench/sip.sh [-rates 100,200,...] [-seconds 5] [-media on|off]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v sipp >/dev/null || { echo "bench: sipp is missing: apt-get install -y sip-tester" >&2; exit 1; }
make -s build
go run ./bench/sip -binary bin/hotline "$@"
