#!/usr/bin/env bash
# Mentor search under load: `mentorhub demo --mentors 10000` in a data dir, then wrk on
# GET /api/v1/mentors with free text and with filters (release binary, loopback).
# Usage: bench/search.sh [duration] [data-dir]   (DATABASE_URL=postgres://… for Postgres)
set -euo pipefail
BIN=${BIN:-target/release/mentorhub}
DUR=${1:-15s}
DIR=${2:-$(mktemp -d)}
PORT=${PORT:-18082}
export MENTORHUB_DATA_DIR="$DIR"
if ! "$BIN" demo --mentors 10000 >/dev/null 2>&1; then echo "(using the existing demo data in $DIR)"; fi
MENTORHUB_LISTEN=127.0.0.1:$PORT RUST_LOG=warn "$BIN" serve >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.05; done
for q in "q=rust" "q=machine%20learning&sort=rating" "expertise=backend&min_rating=0&max_rate=100" \
         "skills=python&industry=fintech&sort=price" "q=kafka&expertise=backend&max_rate=120&sort=price"; do
  n=$(curl -sf "http://127.0.0.1:$PORT/api/v1/mentors?$q" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
  echo "== GET /api/v1/mentors?$q  ($n results on the first page)"
  wrk -t2 -c32 -d"$DUR" --latency "http://127.0.0.1:$PORT/api/v1/mentors?$q" | grep -E "Requests/sec|50%|99%|Non-2xx"
done
