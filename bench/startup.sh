#!/usr/bin/env bash
# Startup time to a ready /readyz and idle memory (RSS) of the release binary.
# Usage: bench/startup.sh [runs]   (SQLite in a fresh temp data dir; set DATABASE_URL for Postgres)
set -euo pipefail
BIN=${BIN:-target/release/mentorhub}
RUNS=${1:-5}
PORT=${PORT:-18080}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
for i in $(seq 1 "$RUNS"); do
  start=$(date +%s%N)
  MENTORHUB_DATA_DIR="$DIR" MENTORHUB_LISTEN=127.0.0.1:$PORT RUST_LOG=warn "$BIN" serve >/dev/null 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; do sleep 0.002; done
  end=$(date +%s%N)
  sleep 1
  rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
  echo "run $i: ready in $(( (end - start) / 1000000 )) ms, idle RSS ${rss} KiB$([ "$i" = 1 ] && echo ' (fresh database: includes migrations)')"
  kill -TERM $pid; wait $pid || true
done
