#!/usr/bin/env bash
# scripts/devdb.sh: a private, throw-away PostgreSQL cluster for FieldOps development and tests.
#
#   scripts/devdb.sh start    create the cluster if needed, start it, wait until it accepts
#                             connections, make sure database "fieldops" exists, then print
#                             the connection URL as the ONLY line on stdout
#   scripts/devdb.sh stop     stop the cluster if it is running (pg_ctl stop -m fast)
#   scripts/devdb.sh url      print the connection URL without starting anything
#   scripts/devdb.sh status   say on stderr whether the cluster runs (exit 0 = running, 3 = not)
#
# The Makefile uses it as:  url=$(scripts/devdb.sh start); export DATABASE_URL="$url"
# so stdout carries the URL and nothing else; every message goes to stderr.
#
# Environment:
#   FIELDOPS_DEVDB_PORT      TCP port on 127.0.0.1 (default 55432, away from the system 5432)
#   FIELDOPS_DEVDB_TIMEOUT   seconds to wait for the server to accept connections (default 60)
#
# Layout: data directory <repo>/.data/pg, server log <repo>/.data/pg.log, unix socket in
# <repo>/.data when the server user can write there and the path is short, else in /tmp. When
# run as root the server runs as the "postgres" system user (initdb and postgres refuse to run
# as root); if that user cannot reach <repo> (e.g. a checkout under /root, mode 700), the
# cluster lives in /var/tmp/fieldops-pg-<hash of the repo path>/ instead. The system cluster
# (Debian's "15 main": port 5432, sockets in /var/run/postgresql) is never used, started or
# stopped; ours shares nothing with it. Clients connect over TCP 127.0.0.1 only.
set -euo pipefail

# A set CDPATH makes `cd` print the directory, which would pollute our stdout.
unset CDPATH
# Libpq/pg_ctl environment variables from the caller's shell must not redirect our tools to
# another server or data directory; everything below passes host, port, user and db explicitly.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE PGSSLMODE PGOPTIONS PGDATA PGCTLTIMEOUT

DB_NAME=fieldops
DB_USER=fieldops
PORT="${FIELDOPS_DEVDB_PORT:-55432}"
TIMEOUT="${FIELDOPS_DEVDB_TIMEOUT:-60}"

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_DIR=$(cd -- "$SCRIPT_DIR/.." && pwd -P)

log() { printf 'devdb: %s\n' "$*" >&2; }
die() {
	printf 'devdb: error: %s\n' "$*" >&2
	exit 1
}

if ! [[ $PORT =~ ^[0-9]+$ ]] || ((10#$PORT < 1 || 10#$PORT > 65535)); then
	die "FIELDOPS_DEVDB_PORT must be a TCP port number (1-65535), got '$PORT'"
fi
PORT=$((10#$PORT)) # normalise, e.g. a leading zero
if ! [[ $TIMEOUT =~ ^[0-9]+$ ]] || ((10#$TIMEOUT == 0)); then
	die "FIELDOPS_DEVDB_TIMEOUT must be a positive number of seconds, got '$TIMEOUT'"
fi
TIMEOUT=$((10#$TIMEOUT))

db_url() { printf 'postgres://%s@127.0.0.1:%s/%s?sslmode=disable\n' "$DB_USER" "$PORT" "$DB_NAME"; }
# libpq keyword form for our own psql/pg_isready calls: explicit TCP, never a socket lookup.
conninfo() { printf 'host=127.0.0.1 port=%s user=%s dbname=%s sslmode=disable connect_timeout=5' "$PORT" "$DB_USER" "$1"; }

# ---------------------------------------------------------------------------------------------
# Binaries

BIN_DIR="" # directory holding initdb and pg_ctl; other tools are looked up there first

# Highest /usr/lib/postgresql/<ver>/bin with initdb and pg_ctl (Debian/Ubuntu layout, where
# they are not on PATH), else whatever initdb/pg_ctl are on PATH (Homebrew, Fedora, ...).
find_bin_dir() {
	local d best=""
	while IFS= read -r d; do
		if [[ -x $d/initdb && -x $d/pg_ctl ]]; then best=$d; fi
	done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V)
	if [[ -z $best ]] && command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
		best=$(dirname -- "$(command -v pg_ctl)")
	fi
	BIN_DIR=$best
	[[ -n $BIN_DIR ]]
}

# Install PostgreSQL from the distribution when nothing is found. On Debian this also creates
# and starts the system cluster "main" on 5432; it is left alone: it shares neither port, data
# directory nor socket directory with ours.
install_postgres() {
	local -a sudo=()
	if ((EUID != 0)); then
		if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
			sudo=(sudo -n)
		else
			die "PostgreSQL (initdb/pg_ctl) not found. Install it (e.g. 'sudo apt-get install postgresql') or set DATABASE_URL to an existing database."
		fi
	fi
	command -v apt-get >/dev/null 2>&1 ||
		die "PostgreSQL (initdb/pg_ctl) not found and apt-get is unavailable. Install PostgreSQL or set DATABASE_URL to an existing database."
	log "PostgreSQL not found; installing it with apt-get (takes a minute)..."
	${sudo[@]+"${sudo[@]}"} apt-get update ||
		die "apt-get update failed. Install PostgreSQL or set DATABASE_URL to an existing database."
	${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql ||
		die "apt-get install postgresql failed. Install PostgreSQL or set DATABASE_URL to an existing database."
}

# Path of a client tool: same directory as pg_ctl first, so client and server versions match.
tool() {
	if [[ -x $BIN_DIR/$1 ]]; then
		printf '%s\n' "$BIN_DIR/$1"
	elif command -v "$1" >/dev/null 2>&1; then
		command -v "$1"
	else
		die "'$1' not found next to $BIN_DIR/pg_ctl nor on PATH"
	fi
}

major_version_of_bin_dir() {
	# "pg_ctl (PostgreSQL) 15.5 (Debian 15.5-0+deb12u1)" -> 15 (10 and later number majors by one field)
	"$BIN_DIR/pg_ctl" --version | sed -n 's/^[^0-9]*\([0-9][0-9]*\).*/\1/p'
}

# An existing cluster can only be run by binaries of its own major version.
match_bin_dir_to_cluster() {
	local want have
	[[ -r $PGDATA_DIR/PG_VERSION ]] || return 0
	want=$(<"$PGDATA_DIR/PG_VERSION")
	if [[ -x /usr/lib/postgresql/$want/bin/initdb && -x /usr/lib/postgresql/$want/bin/pg_ctl ]]; then
		BIN_DIR=/usr/lib/postgresql/$want/bin
	fi
	have=$(major_version_of_bin_dir)
	[[ $have == "$want" ]] ||
		die "cluster $PGDATA_DIR was created by PostgreSQL $want but only PostgreSQL $have binaries were found ($BIN_DIR). Stop it and remove $PGDATA_DIR to recreate it (dev data is lost), or install PostgreSQL $want."
}

# ---------------------------------------------------------------------------------------------
# Who runs the server, and where it lives

RUN_AS=""     # OS user that owns the data directory and runs initdb/pg_ctl; "" = the caller
BASE_DIR=""   # directory holding the data directory and the log
PGDATA_DIR="" # $BASE_DIR/pg
LOG_FILE=""   # $BASE_DIR/pg.log
SOCK_DIR=""   # unix socket directory (short path; never /var/run/postgresql)

# Run a command as $RUN_AS. "cd /" because the caller's working directory (e.g. /root) may be
# unreadable for that user, which makes initdb/pg_ctl complain. "9>&-" keeps our lock file
# descriptor out of the long-lived postmaster (it would otherwise hold the lock forever).
as_owner() {
	if [[ -z $RUN_AS ]]; then
		(cd / && "$@") 9>&-
	elif command -v runuser >/dev/null 2>&1; then
		(cd / && runuser -u "$RUN_AS" -- "$@") 9>&-
	else
		(cd / && su -s "$BASH" "$RUN_AS" -c "$(printf '%q ' "$@")") 9>&-
	fi
}

# Owner's user name of a path (GNU stat, else BSD/macOS stat).
owner_of() { stat -c %U -- "$1" 2>/dev/null || stat -f %Su -- "$1"; }

hash_path() {
	if command -v sha256sum >/dev/null 2>&1; then
		printf '%s' "$1" | sha256sum | cut -c1-12
	else
		printf '%s' "$1" | cksum | cut -d' ' -f1
	fi
}

ensure_postgres_user() {
	id -u postgres >/dev/null 2>&1 && return 0
	command -v useradd >/dev/null 2>&1 || die "no 'postgres' system user and no useradd to create one"
	log "creating system user 'postgres' to run the dev cluster (PostgreSQL refuses to run as root)"
	useradd --system --user-group --no-create-home --home-dir /var/lib/postgresql --shell /bin/sh postgres
}

# Decide RUN_AS and the paths. With create=1 also create the directories we need.
resolve_layout() {
	local create=$1 repo_base="$REPO_DIR/.data" fb_base
	fb_base="/var/tmp/fieldops-pg-$(hash_path "$REPO_DIR")"

	if ((EUID != 0)); then
		# Normal user: everything runs as the caller, under the repo.
		RUN_AS=""
		BASE_DIR=$repo_base
		if [[ -e $BASE_DIR/pg && ! -O $BASE_DIR/pg ]]; then
			die "$BASE_DIR/pg belongs to user '$(owner_of "$BASE_DIR/pg")' (probably created by a run as root); run as root, or remove it (dev data is lost)"
		fi
		if ((create)); then
			mkdir -p -- "$BASE_DIR" || die "cannot create $BASE_DIR (is the repository writable?)"
		fi
	elif [[ -f $repo_base/pg/PG_VERSION ]]; then
		# Root, cluster already under the repo: keep running it as whoever owns it (postgres
		# when root created it, the developer when a normal `make test` created it).
		BASE_DIR=$repo_base
		RUN_AS=$(owner_of "$BASE_DIR/pg")
	elif [[ -f $fb_base/pg/PG_VERSION ]]; then
		BASE_DIR=$fb_base
		RUN_AS=$(owner_of "$BASE_DIR/pg")
	else
		RUN_AS=postgres
		BASE_DIR=$repo_base
		if ((create)); then
			ensure_postgres_user
			# The postgres user must be able to traverse every directory down to the data
			# directory; a checkout under /root (mode 700) is the usual case where it cannot.
			if as_owner test -x "$REPO_DIR" && { mkdir -m 755 -- "$repo_base" 2>/dev/null || [[ -d $repo_base ]]; } &&
				as_owner test -x "$repo_base"; then
				:
			else
				BASE_DIR=$fb_base
				log "note: user 'postgres' cannot reach $REPO_DIR; keeping the cluster in $BASE_DIR instead"
			fi
		fi
	fi
	[[ $RUN_AS != root ]] || die "$BASE_DIR/pg is owned by root; PostgreSQL cannot run as root. Remove it (dev data is lost) and retry."

	PGDATA_DIR=$BASE_DIR/pg
	LOG_FILE=$BASE_DIR/pg.log

	if ((create)) && ((EUID == 0)) && [[ $BASE_DIR == "$fb_base" ]]; then
		# /var/tmp is world-writable: refuse a pre-planted directory or symlink.
		if [[ -L $BASE_DIR ]] || { [[ -e $BASE_DIR ]] && [[ $(owner_of "$BASE_DIR") != "$RUN_AS" && $(owner_of "$BASE_DIR") != root ]]; }; then
			die "$BASE_DIR exists but is not ours (owner $(owner_of "$BASE_DIR")); remove it and retry"
		fi
		mkdir -m 700 -- "$BASE_DIR" 2>/dev/null || [[ -d $BASE_DIR ]] || die "cannot create $BASE_DIR"
		chown -- "$RUN_AS:" "$BASE_DIR"
	fi

	# Unix socket paths are limited to ~107 bytes ("<dir>/.s.PGSQL.<port>.lock" must fit), so
	# use $BASE_DIR only when it is short and writable by the server user, else /tmp.
	SOCK_DIR=/tmp
	if ((${#BASE_DIR} <= 80)) && [[ -d $BASE_DIR ]] && as_owner test -w "$BASE_DIR"; then
		SOCK_DIR=$BASE_DIR
	fi
}

# ---------------------------------------------------------------------------------------------
# Cluster operations

# As root, create the data directory and the log for $RUN_AS: initdb (as $RUN_AS) cannot
# create them inside a root-owned directory, and pg_ctl opens the log as $RUN_AS.
# Called with the lock held, so concurrent starts do not trip over each other.
prepare_owned_paths() {
	((EUID == 0)) || return 0
	if [[ ! -e $PGDATA_DIR ]]; then
		mkdir -m 700 -- "$PGDATA_DIR"
		chown -- "$RUN_AS:" "$PGDATA_DIR"
	fi
	if [[ ! -e $LOG_FILE ]]; then
		touch -- "$LOG_FILE"
		chown -- "$RUN_AS:" "$LOG_FILE"
	fi
}

# Serialise concurrent `start`s (e.g. two `make test` at once) so initdb/createdb do not race.
acquire_lock() {
	command -v flock >/dev/null 2>&1 || return 0
	local lock="$BASE_DIR/.devdb.lock"
	if ! { exec 9>>"$lock"; } 2>/dev/null; then
		log "warning: cannot open lock file $lock; continuing without locking"
		return 0
	fi
	flock -w "$TIMEOUT" 9 || die "another 'devdb.sh start' still holds $lock after ${TIMEOUT}s"
}

init_cluster() {
	[[ -f $PGDATA_DIR/PG_VERSION ]] && return 0
	local initdb out locale=C
	initdb=$(tool initdb)
	# UTF8 explicitly: with no LANG (containers, CI) initdb would pick SQL_ASCII. C.UTF-8 gives
	# Unicode-aware upper()/lower() with byte-order (deterministic) sorting, where available.
	# (grep without -q reads all input: an early exit could SIGPIPE locale and, with pipefail,
	# fail the test even though the locale exists.)
	if locale -a 2>/dev/null | grep -iE '^c\.utf-?8$' >/dev/null; then locale=C.UTF-8; fi
	log "initialising a new cluster in $PGDATA_DIR (PostgreSQL $(major_version_of_bin_dir), superuser '$DB_USER')"
	# initdb is chatty; show its output only when it fails.
	if ! out=$(as_owner "$initdb" -D "$PGDATA_DIR" -U "$DB_USER" --auth-local=trust --auth-host=trust \
		--encoding=UTF8 --locale="$locale" 2>&1); then
		printf '%s\n' "$out" >&2
		die "initdb failed for $PGDATA_DIR (if the directory holds leftovers, remove it and retry)"
	fi
	# DEV ONLY: no passwords at all, which is acceptable solely because the server listens on
	# 127.0.0.1 (and its socket) and holds throw-away data. Replace initdb's pg_hba.conf (which
	# also allows ::1 and replication) with the minimum we need.
	printf '%s\n' \
		'# Written by scripts/devdb.sh. DEV ONLY: trust authentication, loopback and local socket only.' \
		'# TYPE  DATABASE  USER  ADDRESS       METHOD' \
		'local   all       all                 trust' \
		'host    all       all   127.0.0.1/32  trust' |
		as_owner tee "$PGDATA_DIR/pg_hba.conf" >/dev/null
	# Port, listen address and socket directory live in an included file rewritten on every
	# start, so FIELDOPS_DEVDB_PORT can change between runs without editing postgresql.conf.
	printf '\n# Added by scripts/devdb.sh\ninclude_if_exists = %s\n' "'devdb.conf'" |
		as_owner tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null
}

write_runtime_conf() {
	printf '%s\n' \
		'# Written by scripts/devdb.sh on every start; edits here are overwritten.' \
		"listen_addresses = '127.0.0.1'" \
		"port = $PORT" \
		"unix_socket_directories = '${SOCK_DIR//\'/\'\'}'" |
		as_owner tee "$PGDATA_DIR/devdb.conf" >/dev/null
}

# The socket lock file of a dead server names the same PID and would block the next start
# too; postmaster.pid lines 4 and 5 say which port and socket directory it used.
remove_stale_socket_lock() {
	local pid=$1 oport osock lock
	oport=$(as_owner sed -n 4p "$PGDATA_DIR/postmaster.pid" 2>/dev/null | tr -d '[:space:]')
	osock=$(as_owner sed -n 5p "$PGDATA_DIR/postmaster.pid" 2>/dev/null)
	[[ -n $oport && -n $osock ]] || return 0
	lock="$osock/.s.PGSQL.$oport.lock"
	if [[ $(as_owner head -n 1 "$lock" 2>/dev/null) == "$pid" ]]; then
		as_owner rm -f "$lock" "$osock/.s.PGSQL.$oport"
	fi
}

# Running according to pg_ctl, and the PID in postmaster.pid really is a postgres process.
# (pg_ctl only checks that the PID is alive; after a container or host restart a stale
# postmaster.pid can name an unrelated process, and then pg_ctl would never start the server.)
is_running() {
	local pid comm
	as_owner "$(tool pg_ctl)" status -D "$PGDATA_DIR" >/dev/null 2>&1 || return 1
	if [[ -d /proc/self ]]; then
		pid=$(as_owner head -n 1 "$PGDATA_DIR/postmaster.pid" 2>/dev/null) || return 1
		[[ $pid =~ ^[0-9]+$ ]] || return 1
		comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
		# A killed postmaster not yet reaped (a container's PID 1 may reap late) is a zombie:
		# alive for kill(pid, 0), yet not running.
		if [[ $(awk '$1 == "State:" {print $2}' "/proc/$pid/status" 2>/dev/null) == Z ]]; then
			comm="$comm (zombie)"
		fi
		if [[ $comm != postgres* && $comm != postmaster* ]] || [[ $comm == *'(zombie)' ]]; then
			log "removing stale $PGDATA_DIR/postmaster.pid (PID $pid is '${comm:-gone}', not a running postgres)"
			remove_stale_socket_lock "$pid"
			as_owner rm -f "$PGDATA_DIR/postmaster.pid"
			return 1
		fi
	fi
	return 0
}

# Port the running server listens on (line 4 of postmaster.pid).
running_port() { as_owner sed -n 4p "$PGDATA_DIR/postmaster.pid" 2>/dev/null | tr -d '[:space:]'; }

port_in_use() {
	if command -v timeout >/dev/null 2>&1; then
		# shellcheck disable=SC2016 # $1 is expanded by the inner bash, on purpose
		timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$PORT" 2>/dev/null
	else
		(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
	fi
}

show_log_tail() {
	if [[ -r $LOG_FILE ]]; then
		log "last lines of $LOG_FILE:"
		tail -n 20 -- "$LOG_FILE" | sed 's/^/    /' >&2
	fi
}

# Poll (with a deadline, not a fixed sleep) until the server accepts connections over TCP.
wait_ready() {
	local isready deadline=$((SECONDS + TIMEOUT))
	isready=$(tool pg_isready)
	until "$isready" -q -t 2 -d "$(conninfo postgres)"; do
		if ((SECONDS >= deadline)); then
			show_log_tail
			die "PostgreSQL on 127.0.0.1:$PORT did not accept connections within ${TIMEOUT}s"
		fi
		sleep 0.5
	done
}

ensure_database() {
	local psql exists
	psql=$(tool psql)
	exists=$("$psql" -X -q -At -v ON_ERROR_STOP=1 -d "$(conninfo postgres)" \
		-c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'") ||
		die "cannot query 127.0.0.1:$PORT as '$DB_USER' (is another PostgreSQL on that port?)"
	if [[ $exists != 1 ]]; then
		log "creating database '$DB_NAME'"
		"$psql" -X -q -v ON_ERROR_STOP=1 -d "$(conninfo postgres)" -c "CREATE DATABASE $DB_NAME" >&2 ||
			die "could not create database '$DB_NAME'"
	fi
}

# ---------------------------------------------------------------------------------------------
# Commands

cmd_start() {
	local rport
	find_bin_dir || { install_postgres && find_bin_dir; } ||
		die "PostgreSQL binaries still not found after installing; set DATABASE_URL to an existing database"
	resolve_layout 1
	acquire_lock
	prepare_owned_paths
	match_bin_dir_to_cluster
	init_cluster

	if is_running; then
		rport=$(running_port)
		[[ $rport == "$PORT" ]] ||
			die "the dev cluster ($PGDATA_DIR) is already running on port ${rport:-?}, not $PORT; run 'scripts/devdb.sh stop' first"
		log "already running ($PGDATA_DIR, port $PORT)"
	else
		if port_in_use; then
			die "port $PORT on 127.0.0.1 is already in use by another program (another checkout's dev cluster?); stop it or choose another port with FIELDOPS_DEVDB_PORT"
		fi
		write_runtime_conf
		log "starting PostgreSQL ($PGDATA_DIR, 127.0.0.1:$PORT, log $LOG_FILE)"
		if ! as_owner "$(tool pg_ctl)" start -D "$PGDATA_DIR" -l "$LOG_FILE" -w -t "$TIMEOUT" >&2; then
			show_log_tail
			die "pg_ctl could not start the dev cluster (see $LOG_FILE)"
		fi
	fi
	wait_ready
	ensure_database
}

cmd_stop() {
	if ! find_bin_dir; then
		log "PostgreSQL binaries not found; nothing to stop"
		return 0
	fi
	resolve_layout 0
	if [[ ! -f $PGDATA_DIR/PG_VERSION ]]; then
		log "no dev cluster at $PGDATA_DIR; nothing to stop"
		return 0
	fi
	match_bin_dir_to_cluster
	if ! is_running; then
		log "dev cluster ($PGDATA_DIR) is not running"
		return 0
	fi
	log "stopping the dev cluster ($PGDATA_DIR)"
	as_owner "$(tool pg_ctl)" stop -D "$PGDATA_DIR" -m fast -w -t "$TIMEOUT" >&2 ||
		die "pg_ctl could not stop the dev cluster (see $LOG_FILE)"
}

cmd_status() {
	if ! find_bin_dir; then
		log "PostgreSQL binaries not found"
		return 3
	fi
	resolve_layout 0
	if [[ -f $PGDATA_DIR/PG_VERSION ]]; then match_bin_dir_to_cluster; fi
	if [[ -f $PGDATA_DIR/PG_VERSION ]] && is_running; then
		log "running: $PGDATA_DIR on 127.0.0.1:$(running_port) (log $LOG_FILE)"
		return 0
	fi
	log "not running (data directory $PGDATA_DIR)"
	return 3
}

usage() {
	printf 'usage: %s start|stop|url|status\n' "$0" >&2
	exit 2
}

main() {
	(($# == 1)) || usage
	case $1 in
	start)
		# Everything (apt-get, initdb, pg_ctl, psql) writes to stderr; stdout gets only the URL.
		cmd_start >&2
		db_url
		;;
	stop) cmd_stop ;;
	url) db_url ;;
	status) cmd_status ;;
	*) usage ;;
	esac
}

main "$@"
