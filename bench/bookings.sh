#!/usr/bin/env bash
# Booking requests per second through the API (release server on loopback), distinct
# slots, then `mentorhub ledger verify`. SQLite in a temp dir, or DATABASE_URL=postgres://…
# Usage: bench/bookings.sh [requests] [concurrency]
set -euo pipefail
BIN=${BIN:-target/release/mentorhub}
N=${1:-3000}
C=${2:-32}
PORT=${PORT:-18084}
DIR=$(mktemp -d)
export MENTORHUB_DATA_DIR="$DIR" MENTORHUB_AUTH_RATE_LIMIT=0
cargo build --release --example booking_load >/dev/null 2>&1
"$BIN" admin create --email load-admin@example.com --password "load admin password" >/dev/null
MENTORHUB_LISTEN=127.0.0.1:$PORT RUST_LOG=warn "$BIN" serve >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$DIR"' EXIT
until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.05; done
target/release/examples/booking_load "http://127.0.0.1:$PORT" load-admin@example.com "load admin password" "$N" "$C"
"$BIN" ledger verify
