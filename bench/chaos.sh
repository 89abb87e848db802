#!/usr/bin/env bash
# The fault schedule against the reference deployment (deploy/), on this one machine, as root:
# brings it up, migrates (as the owner) and loads the demo city, starts two `hotline serve`
# nodes (as the application role) behind HAProxy (HTTP) and Kamailio (SIP) and drives Open311
# POST load and SIPp calls (the demo's two agents registered once through Kamailio) while it
# kills -9 the hotline node holding the call queue and later the PostgreSQL primary; prints
# acknowledged / lost / duplicated tickets, the seconds until writing resumed, the calls by
# outcome (dropped: up on the killed node) and the seconds until calls were answered again.
# Escalations ride along: tickets whose acceptance deadlines fall due through the faults and a
# wave of them at once, on which one node's scheduler is frozen (SIGSTOP inside its sweep, then
# SIGCONT); both nodes sweep every 10 s. It prints `escalations: N expected, N done,
# D doubled, M missing`, counted from the database.
# Then backups and a point-in-time restore: a full backup, tickets, an incremental backup, a
# chosen moment T, more tickets, a restore to T into a fresh cluster on another port, and the
# checks (the count of tickets as of T, and `hotline verify` on the restored copy). Leaves the deployment running; deploy/down.sh stops
# it. Exits non-zero when a ticket was lost or duplicated, an escalation doubled or missing, or
# a restore check failed.
# Usage: bash bench/chaos.sh [-clients 16] [-duration 150s] [-call-rate 1] [-escalations 3000]
#        [-wave 6000] [-freeze 30s] [-sweep-every 10s]
set -euo pipefail
command -v sipp >/dev/null || { echo "chaos: sipp is missing: apt-get install -y sip-tester" >&2; exit 1; }
cd "$(dirname "$0")/.."
. deploy/ports.sh
STATE=$(realpath -m "${HOTLINE_DEPLOY_STATE:-var/deploy}")

make -s build
bash deploy/up.sh
. "$STATE/env"
HOTLINE_DATABASE_URL=$OWNER_URL bin/hotline migrate >/dev/null
HOTLINE_DATABASE_URL=$OWNER_URL bin/hotline seed --demo >/dev/null

echo "== failover and a frozen scheduler under load"
status=0
go run ./bench/chaos -base "$HTTP_URL" -owner-url "$OWNER_URL" -app-url "$APP_URL" -super-url "$SUPER_URL" \
	-state "$STATE" -nodes "$NODE1_PORT,$NODE2_PORT" -patroni "$API1_PORT,$API2_PORT" \
	-sip "$SIP_ADDR" -sip-ports "$SIP1_PORT,$SIP2_PORT" "$@" || status=$?

echo "== backup and point-in-time restore"
bash deploy/pitr.sh || status=$?
exit "$status"
