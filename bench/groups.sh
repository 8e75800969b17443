#!/usr/bin/env bash
# Group sessions (issue 17): members joining one 200-seat session at 32 connections
# (the first 200 take seats, the rest wait in line), then the invariants: exactly the
# seats taken, `mentorhub ledger verify`.
#
#   bench/groups.sh [sqlite|postgres]      (MEMBERS=4000 SECS=3 by default)
#
# Release server on loopback; members made by bench/setup_group.py; load from wrk with
# bench/lua/join.lua. Each member joins once: keep MEMBERS above what the run sends.
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINE=${1:-sqlite}
SECS=${SECS:-3}
MEMBERS=${MEMBERS:-4000}
BIN=${BIN:-target/release/mentorhub}
PORT=${PORT:-18092}
URL="http://127.0.0.1:$PORT"
DIR=$(mktemp -d)
export MENTORHUB_DATA_DIR="$DIR" MENTORHUB_AUTH_RATE_LIMIT=0 MENTORHUB_ACCESS_TOKEN_TTL_SECS=86400
source bench/lib.sh
start_engine "$ENGINE"
start_server
python3 bench/setup_group.py "$URL" bench-admin@example.com "bench admin password" "$DIR/data.lua" "$MEMBERS" 200
export BENCH_DATA="$DIR/data.lua" BENCH_LUA="$PWD/bench/lua"
BENCH_THREADS=2 wrk -t2 -c32 -d"${SECS}s" -s bench/lua/join.lua "$URL" | grep '^RESULT'
session=$(sed -nE 's/^  session = "(.*)",/\1/p' "$DIR/data.lua")
curl -sf "$URL/api/v1/group-sessions/$session" | python3 -c '
import json, sys
g = json.load(sys.stdin)
print("seats left", g["seats_left"], "of", g["seats"], "and", g["waiting"], "in line")'
"$BIN" ledger verify
