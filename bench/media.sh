#!/usr/bin/env bash
# Concurrent answered calls with the media anchored in hotline serve and both sides recorded:
# N calls at once, each 60 s of G.711 both ways, N rising until packets are lost (>= 0.1 %) or
# late (>= 20 ms added jitter); the CPU and RSS of the server at each level and the recordings
# checked; then the same levels through a bare diago bridge (RTP proxied, no recording) in the
# same run. Usage: bash bench/media.sh [-levels 100,200,...] [-seconds 60] [-rate 100]
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build
go build -o bin/bench-media ./bench/media
exec bin/bench-media -binary bin/hotline "$@"
