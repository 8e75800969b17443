#!/usr/bin/env bash
# The booking write path (issue 13): `POST /api/v1/bookings` for distinct slots of 15
# mentor-mentee pairs at 1, 4 and 32 connections, ROUNDS times back to back on the same
# database, `mentorhub ledger verify` after each round, and reads of a never-booked
# mentor (32-day slot listing, profile page) before and after all the writes.
#
#   bench/write_path.sh [sqlite|postgres]        (ROUNDS=3 SECS=10 by default)
#
# Release server on loopback; load from wrk (apt-get install wrk) with bench/lua/book.lua;
# the people are made by bench/setup_pairs.py. PostgreSQL: a fresh database on
# PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres), dropped after.
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINE=${1:-sqlite}
ROUNDS=${ROUNDS:-3}
SECS=${SECS:-10}
BIN=${BIN:-target/release/mentorhub}
PORT=${PORT:-18090}
URL="http://127.0.0.1:$PORT"
DIR=$(mktemp -d)
source bench/lib.sh
start_with_pairs "$ENGINE"

# Reads of the never-booked mentor, READ_REPEATS (default 3) runs of 5 s of each path,
# alternated, then the median rate of each: one run of 5 s moves by up to 8 % on this
# machine with nothing written in between (ROUNDS=0 measures just that).
reads() {
  local from to line
  from=$(date -u -d "+4 hours" +%Y-%m-%dT%H:00:00Z)
  to=$(date -u -d "+32 days +4 hours" +%Y-%m-%dT%H:00:00Z)
  local paths=("/api/v1/mentors/{mentor}/slots?service_id={service}&from=$from&to=$to" "/mentors/{mentor}")
  local -A rates
  for _ in $(seq 1 "${READ_REPEATS:-3}"); do
    for path in "${paths[@]}"; do
      printf '%-8s %-45s ' "$1" "${path%%\?*}"
      line=$(BENCH_PATH="$path" wrk -t2 -c8 -d5s -s bench/lua/read.lua "$URL" | grep '^RESULT')
      echo "$line"
      rates[$path]+="$(sed -E 's/.*rps=([0-9]+).*/\1/' <<<"$line") "
    done
  done
  for path in "${paths[@]}"; do
    printf '%-8s %-45s median rps=%s\n' "$1" "${path%%\?*}" \
      "$(tr ' ' '\n' <<<"${rates[$path]}" | grep . | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')"
  done
}

token=$(curl -sf "$URL/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"bench-admin@example.com","password":"bench admin password"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
jobs_of() { # the count of jobs in status $1
  curl -sf "$URL/api/v1/admin/jobs?limit=1" -H "authorization: Bearer $token" |
    python3 -c 'import json,sys; print(sum(c["count"] for c in json.load(sys.stdin)["counts"] if c["status"] == sys.argv[1]))' "$1"
}
done_jobs() { jobs_of done; }

reads before
offset=0
for round in $(seq 1 "$ROUNDS"); do
  for c in 1 4 32; do
    t=$((c < 2 ? c : 2))
    queued=$(jobs_of queued)
    line=$(BENCH_OFFSET=$offset BENCH_THREADS=$t wrk -t$t -c$c -d"${SECS}s" -s bench/lua/book.lua "$URL" | grep '^RESULT')
    # Jobs still queued when it started: the job worker was still sending the emails
    # of the bookings before (each booking queues one) while these were made.
    printf 'round %d  %2d connections  %s  jobs_queued_at_start=%s\n' "$round" "$c" "$line" "$queued"
    n=$(sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$line")
    # Requests still in flight when wrk stops are not counted: leave room for them.
    offset=$((offset + n + 1000))
  done
  printf 'round %d  ' "$round"
  "$BIN" ledger verify
done
reads after
# The emails those bookings queued are still being handed out by the job worker:
# measure again once it is done (the count of done jobs stops moving).
drain_started=$(date +%s)
last=-1
while true; do
  now=$(done_jobs)
  [ "$now" = "$last" ] && break
  last=$now
  sleep 2
done
echo "job queue drained $(( $(date +%s) - drain_started )) s after the last round"
reads settled
