#!/usr/bin/env bash
# Backups and point-in-time recovery against the running deployment (deploy/up.sh, migrated,
# with the demo city): a full backup, tickets, an incremental backup, more tickets, a chosen
# moment T, tickets after T; then pgBackRest restores the cluster as of T into a fresh data
# directory, PostgreSQL starts it on its own port, and the checks run: the tickets and timeline
# events as of T, none written after T, and `hotline verify` (the tamper-evident chains) on
# the restored copy. Exits non-zero when a check fails. Needs root (runs the tools as postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/ports.sh
STATE=$(realpath -m "${HOTLINE_DEPLOY_STATE:-var/deploy}")
. "$STATE/secrets"
. "$STATE/env"
PGBIN=/usr/lib/postgresql/15/bin
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --init-groups "$@"; }
backrest() { as postgres pgbackrest --config="$STATE/pgbackrest.conf" --stanza=hotline "$@"; }
q() { psql "$1" -v ON_ERROR_STOP=1 -qAt -c "$2"; }

# A hotline node to write through, as the application role.
bin/hotline version >/dev/null
HOTLINE_DATABASE_URL=$APP_URL HOTLINE_HTTP_ADDR=127.0.0.1:$NODE1_PORT HOTLINE_SIP_ADDR=127.0.0.1:$((NODE1_PORT - 3400)) \
	HOTLINE_LOG_LEVEL=warn bin/hotline serve >>"$STATE/log/node1.log" 2>&1 &
echo $! >"$STATE/node1.pid"
trap 'kill -INT "$(cat "$STATE/node1.pid")" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$NODE1_PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done

run=pitr-$(date +%s)
post() { # set count
	for i in $(seq "$2"); do
		code=$(curl -s -o /dev/null -w '%{http_code}' -H "Idempotency-Key: $run-$1-$i" \
			--data-urlencode api_key=demo-open311-key --data-urlencode service_code=road-damage \
			--data-urlencode lat=39.9489 --data-urlencode long=116.4074 --data-urlencode "address_string=东城区安定门大街1号" \
			--data-urlencode "description=$run $1 $i 路面塌陷" --data-urlencode "phone=138$(printf %08d "$i")" \
			"http://127.0.0.1:$NODE1_PORT/open311/v2/requests.json")
		[ "$code" = 200 ] || { echo "pitr: POST answered $code" >&2; exit 1; }
	done
}

t0=$(date +%s)
backrest --type=full backup
echo "full backup: $(($(date +%s) - t0)) s"
post before-incr 20
t0=$(date +%s)
backrest --type=incr backup
echo "incremental backup: $(($(date +%s) - t0)) s"
post after-incr 20

# T: nothing is being written, so the counts read now are the database as of T.
read -r T tickets events < <(q "$OWNER_URL" "SELECT now(), (SELECT count(*) FROM tickets), (SELECT count(*) FROM ticket_events)" | tr '|' ' ' | sed 's/ /T/')
T=${T/T/ }
echo "chosen moment T = $T: $tickets tickets, $events timeline events"
sleep 2
post after-t 20
q "$SUPER_URL" "SELECT pg_switch_wal()" >/dev/null
backrest check # waits until the WAL just switched is in the archive
kill -INT "$(cat "$STATE/node1.pid")"; wait || true

# Restore as of T into a fresh data directory and start it on its own port.
R=$STATE/restore
if [ -f "$R/data/postmaster.pid" ]; then as postgres "$PGBIN/pg_ctl" -D "$R/data" -m fast stop >/dev/null || true; fi
rm -rf "$R"
mkdir -p "$R/data"
chown -R postgres:postgres "$R"
chmod 700 "$R/data"
t0=$(date +%s)
backrest --pg1-path="$R/data" --type=time "--target=$T" --target-action=promote restore
as postgres "$PGBIN/pg_ctl" -D "$R/data" -l "$R/postgres.log" -w -t 300 start -o "-c port=$RESTORE_PORT \
-c listen_addresses=127.0.0.1 -c unix_socket_directories=$STATE/run -c archive_mode=off \
-c synchronous_standby_names= -c hba_file=$R/data/pg_hba.conf -c ident_file=$R/data/pg_ident.conf" >/dev/null
RURL="postgres://hotline:$OWNERPASS@127.0.0.1:$RESTORE_PORT/hotline"
for _ in $(seq 300); do
	[ "$(q "$RURL" "SELECT pg_is_in_recovery()" 2>/dev/null)" = f ] && break
	sleep 1
done
echo "restore to T and recovery: $(($(date +%s) - t0)) s"

read -r rtickets revents late < <(q "$RURL" "SELECT (SELECT count(*) FROM tickets), (SELECT count(*) FROM ticket_events),
	(SELECT count(*) FROM tickets WHERE description LIKE '$run after-t %')" | tr '|' ' ')
echo "restored copy: $rtickets tickets (as of T: $tickets), $revents timeline events (as of T: $events), $late written after T"
status=0
[ "$rtickets" = "$tickets" ] && [ "$revents" = "$events" ] && [ "$late" = 0 ] || { echo "pitr: the restored copy differs from the database as of T" >&2; status=1; }
if HOTLINE_DATABASE_URL=$RURL bin/hotline verify >"$R/verify.out" 2>&1; then
	echo "hotline verify on the restored copy: intact"
else
	echo "hotline verify on the restored copy: BROKEN" >&2
	cat "$R/verify.out" >&2
	status=1
fi
as postgres "$PGBIN/pg_ctl" -D "$R/data" -m fast stop >/dev/null
exit $status
