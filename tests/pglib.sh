# tests/pglib.sh - a private PostgreSQL cluster and a private PgBouncer
# for the tests (sourced).  Debian's postgresql-15 and pgbouncer, run as
# user postgres (initdb and pgbouncer refuse root) or as the invoking user
# when not root; everything lives under the DIR given; Unix sockets only,
# no TCP listener; trust authentication for the superuser role "nym".
# The system cluster (15/main) and the system pgbouncer are never touched.
#   pg_start DIR        cluster in DIR/data, socket in DIR/sock, log
#                       DIR/log; exports NYM_PG_SOCK.  A second pg_start on
#                       the same DIR restarts the existing cluster.
#   pg_stop DIR         fast shutdown (idempotent)
#   pgb_start DIR       PgBouncer in front: socket dir DIR/pgb, port 6432,
#                       pool_mode=transaction; exports NYM_PGB_SOCK
#   pgb_stop DIR        (idempotent)
#   pg_newdb NAME       a new database NAME owned by nym
#   pg_conninfo NAME [direct|bouncer]   the libpq conninfo for NAME
# The programs under test run as nobody: DIR, DIR/sock and DIR/pgb are
# mode 755 and the sockets 0777, so any local user can connect (trust
# authentication: for tests only).  Callers stop both in their trap.

PG_BIN=/usr/lib/postgresql/15/bin
: "${NYM_WAIT:=300}"

# pg_as CMD...: run CMD as the cluster's owner, in a directory it can read.
pg_as() {
	if [ "$(id -u)" = 0 ]; then
		(cd / && setpriv --reuid=postgres --regid=postgres --init-groups \
		    -- "$@")
	else
		(cd / && "$@")
	fi
}

# pg_mkdir DIR: DIR exists, belongs to the cluster's owner, mode 755.
pg_mkdir() {
	mkdir -p "$1" || return 1
	[ "$(id -u)" = 0 ] && chown postgres:postgres "$1"
	chmod 755 "$1"
}

pg_start() {
	local d=$1
	pg_mkdir "$d" && pg_mkdir "$d/sock" || return 1
	if [ ! -f "$d/data/PG_VERSION" ]; then
		pg_as "$PG_BIN/initdb" -D "$d/data" -A trust -U nym -E UTF8 \
		    --locale=C.UTF-8 --no-sync >"$d/initdb.log" 2>&1 || {
			echo "# pg_start: initdb failed:" >&2
			sed 's/^/#   /' "$d/initdb.log" >&2
			return 1
		}
	fi
	# fsync and synchronous_commit off: tests only (the sample in
	# etc/postgresql-nymserv.conf keeps them on).
	pg_as "$PG_BIN/pg_ctl" -D "$d/data" -l "$d/log" -w -t "$NYM_WAIT" \
	    -o "-k $d/sock -c listen_addresses='' -c unix_socket_permissions=0777 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=32MB -c max_connections=100" \
	    start >/dev/null || {
		echo "# pg_start: pg_ctl start failed:" >&2
		tail -20 "$d/log" 2>/dev/null | sed 's/^/#   /' >&2
		return 1
	}
	export NYM_PG_SOCK=$d/sock
}

pg_stop() {
	local d=$1
	[ -f "$d/data/postmaster.pid" ] || return 0
	pg_as "$PG_BIN/pg_ctl" -D "$d/data" -m fast -w -t "$NYM_WAIT" stop \
	    >/dev/null 2>&1
	[ ! -f "$d/data/postmaster.pid" ]
}

pgb_start() {
	local d=$1 b=$1/pgb
	pg_mkdir "$b" || return 1
	# With auth_type = trust PgBouncer still wants the user in auth_file.
	echo '"nym" ""' >"$b/userlist.txt"
	cat >"$b/pgbouncer.ini" <<INI
[databases]
* = host=$d/sock port=5432
[pgbouncer]
listen_addr =
listen_port = 6432
unix_socket_dir = $b
unix_socket_mode = 0777
auth_type = trust
auth_file = $b/userlist.txt
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
server_login_retry = 1
query_wait_timeout = 30
logfile = $b/log
pidfile = $b/pid
admin_users = nym
INI
	[ "$(id -u)" = 0 ] && chown postgres:postgres "$b/userlist.txt" \
	    "$b/pgbouncer.ini"
	pg_as /usr/sbin/pgbouncer -d -q "$b/pgbouncer.ini" || {
		echo "# pgb_start: pgbouncer failed:" >&2
		tail -20 "$b/log" 2>/dev/null | sed 's/^/#   /' >&2
		return 1
	}
	local end=$((SECONDS + NYM_WAIT))
	until [ -S "$b/.s.PGSQL.6432" ]; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
	export NYM_PGB_SOCK=$b
}

pgb_stop() {
	local b=$1/pgb pid
	[ -f "$b/pid" ] || return 0
	pid=$(cat "$b/pid" 2>/dev/null)
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	local end=$((SECONDS + NYM_WAIT))
	while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
	rm -f "$b/pid"
}

pg_newdb() {
	"$PG_BIN/createdb" -h "$NYM_PG_SOCK" -U nym -O nym "$1"
}

# pg_psql DB ARGS...: psql on DB, unaligned, tuples only, stop on error.
pg_psql() {
	local db=$1; shift
	"$PG_BIN/psql" -h "$NYM_PG_SOCK" -U nym -d "$db" -X -A -t -q \
	    -v ON_ERROR_STOP=1 "$@"
}

pg_conninfo() {
	case "${2:-direct}" in
	direct) echo "host=$NYM_PG_SOCK dbname=$1 user=nym connect_timeout=10" ;;
	bouncer) echo "host=$NYM_PGB_SOCK port=6432 dbname=$1 user=nym connect_timeout=10" ;;
	*) echo "pg_conninfo: direct or bouncer, not $2" >&2; return 1 ;;
	esac
}

# pg_store_keys NAME [direct|bouncer]: the nymserv.conf lines for the
# PostgreSQL store of database NAME (the module as built in NYM_BIN).
pg_store_keys() {
	printf '%s\n' "store = postgresql" \
	    "store_conninfo = $(pg_conninfo "$1" "${2:-direct}")" \
	    "store_module = ${NYM_BIN:-bin}/nymstore-pg.so"
}

# pg_need: the test's cluster can be run here.  As root (CI) a missing
# part is a failure; otherwise the test skips with the reason.
pg_need() {
	local miss=
	[ -x "$PG_BIN/initdb" ] || miss="$miss postgresql-15"
	[ -x /usr/sbin/pgbouncer ] || miss="$miss pgbouncer"
	[ -f "${NYM_BIN:-bin}/nymstore-pg.so" ] || miss="$miss bin/nymstore-pg.so"
	[ -z "$miss" ] && return 0
	if [ "$(id -u)" = 0 ]; then
		echo "not ok - PostgreSQL test: missing$miss"
		exit 1
	fi
	echo "skip - PostgreSQL test: missing$miss (not root)"
	exit 0
}
