#!/usr/bin/env bash
# Stops what deploy/up.sh and bench/chaos.sh started, by their recorded process ids: HAProxy, Kamailio,
# the hotline nodes, Patroni with its PostgreSQL, etcd. With --purge it also deletes the state
# directory (data, backups, passwords).
set -uo pipefail
cd "$(dirname "$0")/.."
STATE=$(realpath -m "${HOTLINE_DEPLOY_STATE:-var/deploy}")
[ -d "$STATE" ] || exit 0

stop() { # pidfile [signal]
	[ -f "$1" ] || return 0
	local pid
	pid=$(head -1 "$1")
	if kill -0 "$pid" 2>/dev/null; then
		kill "-${2:-TERM}" "$pid" 2>/dev/null
		for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	fi
	rm -f "$1"
}
stop "$STATE/haproxy.pid"
stop "$STATE/kamailio.pid"
for n in node1 node2; do stop "$STATE/$n.pid" INT; done
stop "$STATE/restore.pid" INT
if [ -f "$STATE/restore/data/postmaster.pid" ]; then
	setpriv --reuid=postgres --regid=postgres --init-groups /usr/lib/postgresql/15/bin/pg_ctl -D "$STATE/restore/data" -m fast stop >/dev/null 2>&1
fi
# Patroni stops its PostgreSQL on SIGTERM; a postmaster left by a killed Patroni is stopped too.
for n in pg1 pg2; do
	stop "$STATE/$n/patroni.pid"
	if [ -f "$STATE/$n/data/postmaster.pid" ]; then
		pid=$(head -1 "$STATE/$n/data/postmaster.pid")
		kill -0 "$pid" 2>/dev/null && kill -INT "$pid"
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
	fi
done
stop "$STATE/etcd.pid"
if [ "${1:-}" = --purge ]; then
	rm -rf "$STATE"
fi
echo "down"
