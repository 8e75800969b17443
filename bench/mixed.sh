#!/usr/bin/env bash
# The mixed workload (issue 13): 16 connections for SECS (default 60) doing what people
# do (bench/lua/mixed.lua: search, slots, profile pages, articles, booking, cancelling,
# chat) against a release server with 15 mentor-mentee pairs; prints the totals, the
# answers by status, per-route counts and latency percentiles (from /metrics), and runs
# `mentorhub ledger verify` after.
#
#   bench/mixed.sh [sqlite|postgres]
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINE=${1:-sqlite}
SECS=${SECS:-60}
BIN=${BIN:-target/release/mentorhub}
PORT=${PORT:-18091}
URL="http://127.0.0.1:$PORT"
DIR=$(mktemp -d)
export MENTORHUB_DATA_DIR="$DIR" MENTORHUB_AUTH_RATE_LIMIT=0 MENTORHUB_ACCESS_TOKEN_TTL_SECS=86400
source bench/lib.sh
start_engine "$ENGINE"
start_server
python3 bench/setup_pairs.py "$URL" bench-admin@example.com "bench admin password" "$DIR/data.lua" 15
export BENCH_DATA="$DIR/data.lua" BENCH_LUA="$PWD/bench/lua"
curl -sf "$URL/metrics" >"$DIR/before.txt"
BENCH_THREADS=2 wrk -t2 -c16 -d"${SECS}s" -s bench/lua/mixed.lua "$URL" | grep '^RESULT'
curl -sf "$URL/metrics" >"$DIR/after.txt"
python3 bench/route_latency.py "$DIR/before.txt" "$DIR/after.txt"
"$BIN" ledger verify
grep -c ' ERROR ' "$DIR/server.log" | sed 's/^/server log errors: /' || true
