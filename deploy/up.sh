#!/usr/bin/env bash
# Brings the reference high-availability deployment up on this one machine, on its own ports,
# under a state directory (default var/deploy): etcd, two PostgreSQL nodes managed by Patroni
# (a primary and a synchronous standby), pgBackRest's repository with WAL archiving, the roles
# hotline needs, HAProxy for the `hotline serve` nodes' HTTP and Kamailio for their SIP (the
# nodes themselves bench/chaos.sh starts).
# Installs the Debian packages when missing. Needs root; the services run as their own users.
# Prints the environment to use (also written to $STATE/env). Stop with deploy/down.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/ports.sh
STATE=$(realpath -m "${HOTLINE_DEPLOY_STATE:-var/deploy}")

[ "$(id -u)" = 0 ] || { echo "up.sh: run as root (it starts services as postgres, etcd and haproxy)" >&2; exit 1; }

need=()
for p in patroni etcd-server etcd-client pgbackrest haproxy kamailio python3-psycopg2 postgresql-15; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	if [ -z "$(apt-cache policy "${need[@]}" | grep 'Candidate:' | grep -v '(none)')" ]; then
		apt-get update -qq
	fi
	echo "installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

as() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --init-groups "$@"; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

mkdir -p "$STATE"
chmod 755 "$STATE"
if [ ! -f "$STATE/secrets" ]; then
	umask 077
	{
		echo "SUPERPASS=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
		echo "REPLPASS=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
		echo "OWNERPASS=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
		echo "APPPASS=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
	} >"$STATE/secrets"
	umask 022
fi
. "$STATE/secrets"

render() { # template output owner
	sed -e "s|@STATE@|$STATE|g" -e "s|@ETCDPORT@|$ETCD_PORT|g" -e "s|@PG1PORT@|$PG1_PORT|g" \
		-e "s|@PG2PORT@|$PG2_PORT|g" -e "s|@HTTPPORT@|$HTTP_PORT|g" -e "s|@STATSPORT@|$STATS_PORT|g" \
		-e "s|@NODE1PORT@|$NODE1_PORT|g" -e "s|@NODE2PORT@|$NODE2_PORT|g" \
		-e "s|@KAMPORT@|$KAMAILIO_PORT|g" -e "s|@SIP1PORT@|$SIP1_PORT|g" -e "s|@SIP2PORT@|$SIP2_PORT|g" \
		-e "s|@SUPERPASS@|$SUPERPASS|g" -e "s|@REPLPASS@|$REPLPASS|g" "${@:4}" "$1" >"$2"
	chown "$3" "$2"
	chmod 600 "$2"
}

# etcd: one member, the store of Patroni's leader key.
mkdir -p "$STATE/etcd" "$STATE/log"
chown etcd:etcd "$STATE/etcd"
chown postgres:postgres "$STATE/log"
if ! alive "$STATE/etcd.pid"; then
	setpriv --reuid=etcd --regid=etcd --init-groups etcd --name hotline-etcd --data-dir "$STATE/etcd" \
		--listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
		--listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-cluster "hotline-etcd=http://127.0.0.1:$ETCD_PEER_PORT" >"$STATE/log/etcd.log" 2>&1 &
	echo $! >"$STATE/etcd.pid"
fi
for _ in $(seq 50); do
	ETCDCTL_API=3 etcdctl --endpoints "127.0.0.1:$ETCD_PORT" endpoint health >/dev/null 2>&1 && break
	sleep 0.2
done

# pgBackRest's repository (the archive_command pushes WAL into it from the first segment on).
mkdir -p "$STATE/pgbackrest"/{repo,log,lock,spool} "$STATE/run"
chown -R postgres:postgres "$STATE/pgbackrest" "$STATE/run"
render deploy/pgbackrest.conf.in "$STATE/pgbackrest.conf" postgres:postgres
chmod 640 "$STATE/pgbackrest.conf"

# Two Patroni nodes, as postgres.
start_node() { # name pgport apiport
	mkdir -p "$STATE/$1/log"
	chown postgres:postgres "$STATE/$1/log"
	chown postgres:postgres "$STATE/$1"
	chmod 700 "$STATE/$1"
	render deploy/patroni.yml.in "$STATE/$1/patroni.yml" postgres:postgres -e "s|@NAME@|$1|g" -e "s|@PGPORT@|$2|g" -e "s|@APIPORT@|$3|g"
	if ! alive "$STATE/$1/patroni.pid"; then
		setpriv --reuid=postgres --regid=postgres --init-groups patroni "$STATE/$1/patroni.yml" >"$STATE/log/patroni-$1.out" 2>&1 &
		echo $! >"$STATE/$1/patroni.pid"
	fi
}
start_node pg1 "$PG1_PORT" "$API1_PORT"
start_node pg2 "$PG2_PORT" "$API2_PORT"

PRIMARY=""
for _ in $(seq 120); do
	for api in "$API1_PORT" "$API2_PORT"; do
		if curl -fs "http://127.0.0.1:$api/primary" >/dev/null 2>&1; then PRIMARY=$api; fi
	done
	[ -n "$PRIMARY" ] && break
	sleep 0.5
done
[ -n "$PRIMARY" ] || { echo "up.sh: no PostgreSQL primary after 60 s; see $STATE/log" >&2; exit 1; }

# Wait for the standby to be synchronous: until then a commit has one copy.
for _ in $(seq 120); do
	curl -fs "http://127.0.0.1:$API1_PORT/sync" >/dev/null 2>&1 && break
	curl -fs "http://127.0.0.1:$API2_PORT/sync" >/dev/null 2>&1 && break
	sleep 0.5
done

export PGPASSWORD=$SUPERPASS
PGHOSTS="host=127.0.0.1,127.0.0.1 port=$PG1_PORT,$PG2_PORT target_session_attrs=read-write user=postgres"
psqlw() { psql "$PGHOSTS dbname=${DB:-postgres}" -v ON_ERROR_STOP=1 -qAt "$@"; }

# The owner runs migrations; the application role owns nothing (README, Security).
psqlw -v owner="$OWNERPASS" -v app="$APPPASS" <<'SQL'
SELECT format('CREATE ROLE hotline LOGIN PASSWORD %L', :'owner') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hotline') \gexec
SELECT format('CREATE ROLE hotline_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', :'app') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hotline_app') \gexec
SELECT 'CREATE DATABASE hotline OWNER hotline' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'hotline') \gexec
SQL
# A node frozen (SIGSTOP, a stalled VM) inside a transaction keeps that transaction's locks, and
# the other node's writes that need them wait: a registration batch holding an Idempotency-Key
# the client has meanwhile retried on the other node stalls that node's registrations. PostgreSQL
# ends such a transaction once it has sat idle this long. Longer than any wait inside serve's
# own transactions (the outbox sends an e-mail or SMS with 10 s timeouts between statements);
# the sweep bounds its transactions more tightly itself.
psqlw -c "ALTER ROLE hotline_app SET idle_in_transaction_session_timeout = '30s'"

# The stanza, once the primary archives.
if [ ! -f "$STATE/pgbackrest/repo/backup/hotline/backup.info" ]; then
	as postgres pgbackrest --config="$STATE/pgbackrest.conf" --stanza=hotline stanza-create
fi
as postgres pgbackrest --config="$STATE/pgbackrest.conf" --stanza=hotline check

# HAProxy for the hotline nodes.
render deploy/haproxy.cfg.in "$STATE/haproxy.cfg" root:root
if alive "$STATE/haproxy.pid"; then
	haproxy -f "$STATE/haproxy.cfg" -p "$STATE/haproxy.pid" -sf "$(cat "$STATE/haproxy.pid")"
else
	haproxy -f "$STATE/haproxy.cfg" -p "$STATE/haproxy.pid"
fi

# Kamailio for the hotline nodes' SIP, as its own user: the dispatcher's two sets (see
# kamailio.cfg.in) probe the queue holder and the live nodes.
cat >"$STATE/dispatcher.list" <<LIST
1 sip:queue@127.0.0.1:$SIP1_PORT
1 sip:queue@127.0.0.1:$SIP2_PORT
2 sip:12345@127.0.0.1:$SIP1_PORT
2 sip:12345@127.0.0.1:$SIP2_PORT
LIST
render deploy/kamailio.cfg.in "$STATE/kamailio.cfg.new" kamailio:kamailio
chmod 644 "$STATE/dispatcher.list"
mkdir -p "$STATE/kamailio"
chown kamailio:kamailio "$STATE/kamailio"
kamailio -c -f "$STATE/kamailio.cfg.new" >"$STATE/log/kamailio-check.log" 2>&1 || { echo "up.sh: kamailio.cfg: see $STATE/log/kamailio-check.log" >&2; exit 1; }
# A running Kamailio is left alone unless its configuration changed (up.sh runs again mid-load).
if alive "$STATE/kamailio.pid" && ! cmp -s "$STATE/kamailio.cfg.new" "$STATE/kamailio.cfg"; then
	pid=$(cat "$STATE/kamailio.pid")
	kill "$pid"
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
fi
mv "$STATE/kamailio.cfg.new" "$STATE/kamailio.cfg"
if ! alive "$STATE/kamailio.pid"; then
	kamailio -f "$STATE/kamailio.cfg" -P "$STATE/kamailio.pid" -u kamailio -g kamailio -Y "$STATE/kamailio" \
		-E >"$STATE/log/kamailio.log" 2>&1
fi

hosts="127.0.0.1:$PG1_PORT,127.0.0.1:$PG2_PORT"
cat >"$STATE/env" <<ENV
# hotline migrate and seed run as the owner; hotline serve as the application role.
OWNER_URL=postgres://hotline:$OWNERPASS@$hosts/hotline?target_session_attrs=read-write
APP_URL=postgres://hotline_app:$APPPASS@$hosts/hotline?target_session_attrs=read-write
SUPER_URL=postgres://postgres:$SUPERPASS@$hosts/postgres?target_session_attrs=read-write
HTTP_URL=http://127.0.0.1:$HTTP_PORT
SIP_ADDR=127.0.0.1:$KAMAILIO_PORT
ENV
chmod 600 "$STATE/env"
echo "up: etcd :$ETCD_PORT, PostgreSQL :$PG1_PORT and :$PG2_PORT (Patroni :$API1_PORT, :$API2_PORT), HAProxy :$HTTP_PORT -> :$NODE1_PORT, :$NODE2_PORT, Kamailio :$KAMAILIO_PORT -> :$SIP1_PORT, :$SIP2_PORT"
echo "environment: $STATE/env"
patronictl -c "$STATE/pg1/patroni.yml" list 2>/dev/null || true
