#!/usr/bin/env bash
# Dashboards under load: `mentorhub demo --mentors 10000` (past sessions spread over a
# year) in a data dir, then wrk on GET /api/v1/me/dashboard for a mentor and a mentee
# and GET /api/v1/admin/stats, each with one connection (latency of a single request)
# and with 8 (throughput). Release binary, loopback.
# Usage: bench/dashboards.sh [duration] [data-dir]   (DATABASE_URL=postgres://… for Postgres)
set -euo pipefail
BIN=${BIN:-target/release/mentorhub}
DUR=${1:-10s}
DIR=${2:-$(mktemp -d)}
PORT=${PORT:-18084}
export MENTORHUB_DATA_DIR="$DIR"
if ! "$BIN" demo --mentors 10000 >/dev/null 2>&1; then echo "(using the existing demo data in $DIR)"; fi
MENTORHUB_LISTEN=127.0.0.1:$PORT MENTORHUB_AUTH_RATE_LIMIT=0 RUST_LOG=warn "$BIN" serve >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
base="http://127.0.0.1:$PORT"
until curl -sf "$base/readyz" >/dev/null; do sleep 0.05; done
token() {
  curl -sf -H 'content-type: application/json' -d "{\"email\":\"$1\",\"password\":\"mentorhub-demo\"}" \
    "$base/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
for who in "mentor1@demo.example.com /api/v1/me/dashboard" "mentee1@demo.example.com /api/v1/me/dashboard" \
           "admin@demo.example.com /api/v1/admin/stats"; do
  set -- $who
  t=$(token "$1")
  first=$(curl -sf -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $t" "$base$2")
  echo "== GET $2 as $1 (first request: ${first}s, uncached)"
  for c in 1 8; do
    echo "-- $c connection(s)"
    wrk -t1 -c$c -d"$DUR" --latency -H "Authorization: Bearer $t" "$base$2" | grep -E "Requests/sec|50%|99%|Non-2xx"
  done
done
