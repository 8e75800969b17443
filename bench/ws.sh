#!/usr/bin/env bash
# 1,000 WebSocket clients on loopback: memory per idle connection, delivery latency,
# messages per second (release server, SQLite unless DATABASE_URL is set).
# Usage: bench/ws.sh [messages] [concurrent senders]
set -euo pipefail
ulimit -n 8192
BIN=${BIN:-target/release/mentorhub}
N=${1:-2000}
S=${2:-16}
PORT=${PORT:-18085}
DIR=$(mktemp -d)
export MENTORHUB_DATA_DIR="$DIR" MENTORHUB_AUTH_RATE_LIMIT=0
cargo build --release --example ws_load >/dev/null 2>&1
"$BIN" admin create --email ws-admin@example.com --password "ws admin password" >/dev/null
MENTORHUB_LISTEN=127.0.0.1:$PORT RUST_LOG=warn "$BIN" serve >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$DIR"' EXIT
until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.05; done
target/release/examples/ws_load "http://127.0.0.1:$PORT" ws-admin@example.com "ws admin password" "$pid" "$N" "$S"
