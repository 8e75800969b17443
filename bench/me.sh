#!/usr/bin/env bash
# Throughput of GET /api/v1/me under wrk on loopback (release binary, SQLite unless DATABASE_URL is set).
# Usage: bench/me.sh [duration]
set -euo pipefail
BIN=${BIN:-target/release/mentorhub}
DUR=${1:-20s}
PORT=${PORT:-18081}
DIR=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$DIR"' EXIT
MENTORHUB_DATA_DIR="$DIR" MENTORHUB_LISTEN=127.0.0.1:$PORT RUST_LOG=warn "$BIN" serve >/dev/null 2>&1 &
pid=$!
until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.05; done
TOKEN=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/auth/register" -H 'content-type: application/json' \
  -d '{"email":"bench@example.com","password":"benchmark password","first_name":"Bench","last_name":"Mark"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
echo "wrk -t2 -c32 -d$DUR GET /api/v1/me"
wrk -t2 -c32 -d"$DUR" --latency -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/me"
