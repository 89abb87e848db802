#!/usr/bin/env bash
# Ticket registration through the tickets service (16 writers) against a bare SQL transaction of
# the same inserts, on the managed PostgreSQL (or HOTLINE_DATABASE_URL), and the idle RSS of
# `hotline serve` with the demo city loaded. Usage: bash bench/register.sh [-duration 10s]
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build
go run ./bench/register -binary bin/hotline "$@"
