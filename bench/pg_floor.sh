#!/usr/bin/env bash
# The least a booking can take on this machine's PostgreSQL at one connection, whatever
# the server does: pgbench (a C client, prepared statements, no HTTP, no JSON) runs the
# booking's round trips with nothing in them — the two reads before the transaction
# (token, booking context), BEGIN, the people's lock, the slot read, one one-row write
# and a durable COMMIT — and prints the average latency and each statement's share.
# A real booking adds its statements' own work (the write of thirteen rows and their
# foreign-key checks, the reads' index scans) and the server's HTTP, JSON and auth.
#
#   bench/pg_floor.sh [SECS]       (PG_ADMIN_URL as in bench/lib.sh; through the Unix
#   socket: PG_ADMIN_URL='postgres://postgres@localhost/postgres?host=/var/run/postgresql')
set -euo pipefail
SECS=${1:-10}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
DB="mh_floor_$$"
DIR=$(mktemp -d)
psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $DB"
trap 'psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"; rm -rf "$DIR"' EXIT
BASE=${PG_ADMIN_URL%%\?*}
URL="${BASE%/*}/$DB${PG_ADMIN_URL#"$BASE"}"
psql -q "$URL" -c "CREATE TABLE floor_rows (id bigserial PRIMARY KEY, v int NOT NULL)"
cat >"$DIR/booking.sql" <<'SQL'
SELECT 1;
SELECT 1;
BEGIN;
SELECT 1;
SELECT 1;
INSERT INTO floor_rows (v) VALUES (1);
COMMIT;
SQL
pgbench -n -c1 -T"$SECS" -M prepared -r -f "$DIR/booking.sql" "$URL" 2>/dev/null |
  grep -E '^latency average|^tps|^ +[0-9]'
