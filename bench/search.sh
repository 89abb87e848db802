#!/usr/bin/env bash
# Ticket search over millions of tickets with Chinese descriptions (the search_ngrams GIN index,
# the phone-suffix index, filters, keyset pages) against the plain LIKE '%…%' scan and OFFSET
# paging the same page and capped total need without them, in the same run: totals both ways
# (they must agree), p50/p99 per case and overall, and the speed-up, on the managed PostgreSQL
# under var/bench (or HOTLINE_DATABASE_URL).
# Usage: bash bench/search.sh [-tickets 1000000] [-reps 20] [-keep] [-reuse DATABASE]
#   -tickets 5000000   the issue's figure (loading and indexing take long on a small machine)
#   -keep / -reuse     keep the loaded database, and measure it again later without loading
set -euo pipefail
cd "$(dirname "$0")/.."
go run ./bench/search "$@"
