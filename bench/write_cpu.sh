#!/usr/bin/env bash
# The booking write path's CPU: ROUNDS (default 3) rounds of `POST /api/v1/bookings` at
# CONNS connections for SECS seconds each, on a fresh database, printing per round the
# rate and the CPU a booking took in the server and (PostgreSQL) in all of PostgreSQL's
# processes, read from /proc. For comparing two binaries on one machine, alternated:
#
#   BIN=/tmp/a bench/write_cpu.sh sqlite 32 10; BIN=/tmp/b bench/write_cpu.sh sqlite 32 10
#
# Same people and slots as bench/write_path.sh (bench/setup_pairs.py, bench/lua/book.lua).
# SCRIPT=chat measures chat lines instead (bench/lua/chat.lua), SCRIPT=me GET /api/v1/me
# (bench/lua/me.lua: the cost of resolving a token).
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINE=${1:-sqlite}
CONNS=${2:-32}
SECS=${3:-10}
ROUNDS=${ROUNDS:-3}
BIN=${BIN:-target/release/mentorhub}
SCRIPT=${SCRIPT:-book}
PORT=${PORT:-18091}
URL="http://127.0.0.1:$PORT"
DIR=$(mktemp -d)
source bench/lib.sh
start_with_pairs "$ENGINE" >/dev/null

ticks() { # utime + stime of a process, in clock ticks (0 if it is gone)
  local f
  f=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  f=${f##*) }
  awk '{print $12 + $13}' <<<"$f"
}
cpu() { # the server's ticks, then all postgres processes' ticks
  local p=0 pid
  for pid in $(pgrep -x postgres || true); do p=$((p + $(ticks "$pid"))); done
  echo "$(ticks "$SERVER_PID") $p"
}
hz=$(getconf CLK_TCK)
offset=0
for round in $(seq 1 "$ROUNDS"); do
  read -r s0 p0 < <(cpu)
  t=$((CONNS < 2 ? CONNS : 2))
  line=$(BENCH_OFFSET=$offset BENCH_THREADS=$t wrk -t$t -c"$CONNS" -d"${SECS}s" -s "bench/lua/$SCRIPT.lua" "$URL" | grep '^RESULT')
  read -r s1 p1 < <(cpu)
  n=$(sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$line")
  offset=$((offset + n + 1000))
  awk -v r="$round" -v l="$line" -v s=$((s1 - s0)) -v p=$((p1 - p0)) -v n="$n" -v hz="$hz" \
    'BEGIN { printf "round %d  %s  server_ms=%.3f postgres_ms=%.3f\n", r, l, s * 1000 / hz / n, p * 1000 / hz / n }'
done
