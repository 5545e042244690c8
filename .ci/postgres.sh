#!/usr/bin/env bash
# A throwaway PostgreSQL for the registry tests, listening on 127.0.0.1 only. Prints its DSN on stdout (and nothing
# else), so CI can do:  export BADGE_TEST_POSTGRES="$(bash .ci/postgres.sh)"
#
# Idempotent: installs PostgreSQL from Debian when no server binaries are found, initialises the cluster once,
# starts it when it is not running, (re)creates the role and database, and prints the same DSN every time.
# The cluster is for tests only: fsync and synchronous_commit are off, so a host crash may lose it. Never point it
# at data you care about.
#
# Environment: BADGE_PG_DIR (default /tmp/badge-postgres: data, socket, log, password), BADGE_PG_PORT (55432).
set -euo pipefail

ROOT="${BADGE_PG_DIR:-/tmp/badge-postgres}"
PORT="${BADGE_PG_PORT:-55432}"
DB_NAME="badge_test"
DB_USER="badge"
DATA="$ROOT/data"
SOCKET="$ROOT/socket"

log() { echo "postgres.sh: $*" >&2; }

find_bindir() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

BINDIR="$(find_bindir || true)"
if [ -z "$BINDIR" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "PostgreSQL is not installed and installing it needs root (apt-get install postgresql)"
    exit 1
  fi
  log "installing PostgreSQL from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends postgresql >&2
  BINDIR="$(find_bindir)"
fi

# PostgreSQL refuses to run as root: as root, run the server as the Debian package's 'postgres' account.
if [ "$(id -u)" -eq 0 ]; then
  OWNER="postgres"
  if ! id "$OWNER" >/dev/null 2>&1; then
    useradd --system --home-dir "$ROOT" --shell /usr/sbin/nologin "$OWNER"
  fi
  as_owner() { runuser -u "$OWNER" -- "$@"; }
else
  OWNER="$(id -un)"
  as_owner() { "$@"; }
fi

mkdir -p "$ROOT"
chmod 0711 "$ROOT"
if [ ! -s "$ROOT/password" ]; then
  (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$ROOT/password")
fi
PASSWORD="$(cat "$ROOT/password")"

if [ ! -s "$DATA/PG_VERSION" ]; then
  log "initialising a cluster in $DATA"
  rm -rf "$DATA"
  install -d -m 0700 -o "$OWNER" "$DATA"
  as_owner "$BINDIR/initdb" -D "$DATA" --username=postgres --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --no-locale >&2
fi
install -d -m 0700 -o "$OWNER" "$SOCKET"

if ! as_owner "$BINDIR/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  log "starting PostgreSQL on 127.0.0.1:$PORT"
  as_owner "$BINDIR/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $SOCKET -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >&2
fi

psql_admin() { as_owner "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCKET" -p "$PORT" -U postgres -d postgres "$@"; }

for _ in $(seq 1 30); do
  if psql_admin -tAc "SELECT 1" >/dev/null 2>&1; then break; fi
  sleep 1
done

if [ "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'")" != "1" ]; then
  psql_admin -c "CREATE ROLE $DB_USER LOGIN CREATEDB" >&2
fi
psql_admin -c "ALTER ROLE $DB_USER PASSWORD '$PASSWORD'" >&2
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != "1" ]; then
  psql_admin -c "CREATE DATABASE $DB_NAME OWNER $DB_USER" >&2
fi

echo "postgresql://$DB_USER:$PASSWORD@127.0.0.1:$PORT/$DB_NAME"
