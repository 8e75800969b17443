# Shared by bench/write_path.sh, bench/write_cpu.sh and bench/mixed.sh: a database for
# ENGINE, a release server on PORT with an admin, and clean-up on exit. Expects BIN,
# PORT, URL, DIR.
# SERVER_LOG sets the server's RUST_LOG (e.g. mentorhub::service::booking_writer=debug
# for each batch's size and timings); KEEP_LOG=path keeps the server's log after exit.

# PG_ADMIN_URL with its database name replaced by $1, keeping any query string (a Unix
# socket: postgres://postgres@localhost/postgres?host=/var/run/postgresql).
pg_url_for() {
  local base=${PG_ADMIN_URL%%\?*}
  echo "${base%/*}/$1${PG_ADMIN_URL#"$base"}"
}

start_engine() {
  if [ "$1" = postgres ]; then
    PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
    BENCH_DB="mh_bench_$$"
    psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $BENCH_DB"
    export DATABASE_URL
    DATABASE_URL=$(pg_url_for "$BENCH_DB")
  elif [ "$1" != sqlite ]; then
    echo "engine: sqlite or postgres" >&2
    exit 2
  fi
}

stop_all() {
  [ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  [ -n "${BENCH_DB:-}" ] && psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)"
  if [ -n "${KEEP_LOG:-}" ]; then cp "$DIR/server.log" "$KEEP_LOG"; fi
  rm -rf "$DIR"
}

start_server() {
  [ -x "$BIN" ] || cargo build --release
  "$BIN" migrate >/dev/null
  "$BIN" admin create --email bench-admin@example.com --password "bench admin password" >/dev/null
  MENTORHUB_LISTEN=127.0.0.1:$PORT RUST_LOG=${SERVER_LOG:-warn} "$BIN" serve >"$DIR/server.log" 2>&1 &
  SERVER_PID=$!
  trap stop_all EXIT
  until curl -sf "$URL/readyz" >/dev/null; do sleep 0.05; done
}

# The write benchmarks' set-up (write_path.sh, write_cpu.sh, mixed.sh): a database for
# ENGINE in DIR, the server, and 15 mentor-mentee pairs made through the API
# (bench/setup_pairs.py) for the wrk scripts in bench/lua. Bearer tokens outlive the run.
start_with_pairs() {
  export MENTORHUB_DATA_DIR="$DIR" MENTORHUB_AUTH_RATE_LIMIT=0
  export MENTORHUB_ACCESS_TOKEN_TTL_SECS=86400
  start_engine "$1"
  start_server
  python3 bench/setup_pairs.py "$URL" bench-admin@example.com "bench admin password" "$DIR/data.lua" 15
  export BENCH_DATA="$DIR/data.lua" BENCH_LUA="$PWD/bench/lua"
}
