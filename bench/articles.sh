#!/usr/bin/env bash
# Article feed, tag filter, full-text search and one article page under load:
# `mentorhub demo --mentors 10000` in a data dir (about 5,000 articles), then wrk on
# each URL (release binary, loopback, anonymous and signed-in readers).
# Usage: bench/articles.sh [duration] [data-dir]   (DATABASE_URL=postgres://… for Postgres)
set -euo pipefail
BIN=${BIN:-target/release/mentorhub}
DUR=${1:-10s}
DIR=${2:-$(mktemp -d)}
PORT=${PORT:-18083}
export MENTORHUB_DATA_DIR="$DIR"
if ! "$BIN" demo --mentors 10000 >/dev/null 2>&1; then echo "(using the existing demo data in $DIR)"; fi
MENTORHUB_LISTEN=127.0.0.1:$PORT MENTORHUB_AUTH_RATE_LIMIT=0 RUST_LOG=warn "$BIN" serve >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
base="http://127.0.0.1:$PORT"
until curl -sf "$base/readyz" >/dev/null; do sleep 0.05; done
token=$(curl -sf -H 'content-type: application/json' \
  -d '{"email":"mentee1@demo.example.com","password":"mentorhub-demo"}' "$base/api/v1/auth/login" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
slug_id=$(curl -sf "$base/api/v1/articles?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
for q in "articles" "articles?tag=devops" "articles?q=interview" "articles?q=reading%20list&tag=backend" "articles/$slug_id"; do
  n=$(curl -sf "$base/api/v1/$q" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["items"]) if "items" in d else 1)')
  echo "== GET /api/v1/$q  ($n on the first page)"
  echo "-- anonymous"
  wrk -t2 -c32 -d"$DUR" --latency "$base/api/v1/$q" | grep -E "Requests/sec|50%|99%|Non-2xx"
  echo "-- signed in (members and my_mentees rules apply)"
  wrk -t2 -c32 -d"$DUR" --latency -H "Authorization: Bearer $token" "$base/api/v1/$q" | grep -E "Requests/sec|50%|99%|Non-2xx"
done
