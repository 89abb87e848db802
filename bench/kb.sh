#!/usr/bin/env bash
# The knowledge base's Chinese-aware search (unigram and bigram tsvector, GIN index, ranked)
# against the ILIKE '%word%' scan it replaced, on the demo city's articles and 50,000 synthetic
# ones, with two- and three-character words: matches (both ways must agree), p50/p99 and the
# speed-up, on the managed PostgreSQL under var/bench (or HOTLINE_DATABASE_URL).
# Usage: bash bench/kb.sh [-articles 50000] [-reps 20]
set -euo pipefail
cd "$(dirname "$0")/.."
go run ./bench/kb "$@"
