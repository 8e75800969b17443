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
source bench/lib.sh
start_with_pairs "$ENGINE"
curl -sf "$URL/metrics" >"$DIR/before.txt"
BENCH_THREADS=2 wrk -t2 -c16 -d"${SECS}s" -s bench/lua/mixed.lua "$URL" | grep '^RESULT'
curl -sf "$URL/metrics" >"$DIR/after.txt"
python3 bench/route_latency.py "$DIR/before.txt" "$DIR/after.txt"
"$BIN" ledger verify
grep -c ' ERROR ' "$DIR/server.log" | sed 's/^/server log errors: /' || true
