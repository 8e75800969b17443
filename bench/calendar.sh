#!/usr/bin/env bash
# Calendar integration (issue 19): slot listing for a 30-day window of a mentor whose
# CalDAV calendar holds 500 events (20 of them weekly series in another zone) — without
# a calendar, then with the busy cache warm — and the time to read that calendar from
# cold ("read now", which fetches and expands every event and replaces the cache).
#
#   bench/calendar.sh [sqlite|postgres]      (SECS=5 CONNS=4 EVENTS=500 by default)
#
# Release server and Radicale (PyPI) on loopback; load from wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINE=${1:-sqlite}
SECS=${SECS:-5}
CONNS=${CONNS:-4}
EVENTS=${EVENTS:-500}
BIN=${BIN:-target/release/mentorhub}
PORT=${PORT:-18093}
DAV_PORT=${DAV_PORT:-18094}
URL="http://127.0.0.1:$PORT"
DAV="http://127.0.0.1:$DAV_PORT"
DIR=$(mktemp -d)
export MENTORHUB_DATA_DIR="$DIR" MENTORHUB_AUTH_RATE_LIMIT=0 MENTORHUB_ACCESS_TOKEN_TTL_SECS=86400
export MENTORHUB_CALENDAR_KEY="$(head -c 32 /dev/urandom | base64)" MENTORHUB_CALENDAR_ALLOW_PRIVATE=true
# No background re-read during the run: the cache stays as the timed read left it.
export MENTORHUB_CALENDAR_SYNC_SECS=86400 MENTORHUB_CALENDAR_FRESH_SECS=86400
source bench/lib.sh
start_engine "$ENGINE"
start_server

mkdir -p "$DIR/dav"
printf 'bench:bench\n' >"$DIR/dav/users"
cat >"$DIR/dav/config" <<CONF
[server]
hosts = 127.0.0.1:$DAV_PORT
[auth]
type = htpasswd
htpasswd_filename = $DIR/dav/users
htpasswd_encryption = plain
delay = 0
[storage]
filesystem_folder = $DIR/dav/collections
[logging]
level = warning
CONF
python3 -m radicale --config "$DIR/dav/config" >"$DIR/dav/log" 2>&1 &
DAV_PID=$!
trap 'kill $DAV_PID 2>/dev/null; stop_all' EXIT
until curl -s -o /dev/null "$DAV/"; do sleep 0.1; done

eval "$(python3 bench/setup_calendar.py "$URL" bench-admin@example.com "bench admin password" "$DAV" bench bench "$EVENTS" 20)"
FROM=$(date -u +%Y-%m-%dT00:00:00Z)
TO=$(date -u -d '+30 days' +%Y-%m-%dT00:00:00Z)
SLOTS="$URL/api/v1/mentors/$MENTOR/slots?service_id=$SERVICE&from=$FROM&to=$TO"
slots_load() {
  curl -sf "$SLOTS" | python3 -c 'import json,sys; print("  free slots in 30 days:", len(json.load(sys.stdin)["items"]))'
  wrk -t2 -c"$CONNS" -d"${SECS}s" --latency "$SLOTS" | grep -E "Requests/sec|^ +50%|^ +99%" | sed 's/^/  /'
}
echo "== $ENGINE: slots for 30 days, no calendar ($CONNS connections)"
slots_load

CONN=$(curl -sf -X POST "$URL/api/v1/me/calendars" -H "authorization: Bearer $MENTOR_TOKEN" \
  -H 'content-type: application/json' \
  -d "{\"server_url\": \"$CALENDAR\", \"username\": \"bench\", \"password\": \"bench\"}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
echo "== reading the calendar from cold ($EVENTS events), five times"
for _ in 1 2 3 4 5; do
  curl -sf -o "$DIR/sync.json" -w '  %{time_total} s\n' -X POST "$URL/api/v1/me/calendars/$CONN/sync" \
    -H "authorization: Bearer $MENTOR_TOKEN"
done
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print("  status", c["status"], "- events read", c["calendars"][0]["events"])' "$DIR/sync.json"
echo "== of which the CalDAV server's answer to the same REPORT alone (Radicale), three times"
REPORT="<?xml version=\"1.0\"?><c:calendar-query xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\"><d:prop><d:getetag/><c:calendar-data/></d:prop><c:filter><c:comp-filter name=\"VCALENDAR\"><c:comp-filter name=\"VEVENT\"><c:time-range start=\"$(date -u -d '-1 day' +%Y%m%dT000000Z)\" end=\"$(date -u -d '+68 days' +%Y%m%dT000000Z)\"/></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>"
for _ in 1 2 3; do
  curl -sf -o /dev/null -w '  %{time_total} s\n' -X REPORT -u bench:bench -H 'Depth: 1' \
    -H 'content-type: application/xml' --data "$REPORT" "$CALENDAR"
done
echo "== and its answer to the change-token PROPFIND (sync-token, getctag) alone"
for _ in 1 2 3; do
  curl -sf -o /dev/null -w '  %{time_total} s\n' -X PROPFIND -u bench:bench -H 'Depth: 0' \
    -H 'content-type: application/xml' \
    --data '<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/"><d:prop><d:sync-token/><cs:getctag/></d:prop></d:propfind>' "$CALENDAR"
done
echo "== $ENGINE: slots for 30 days, calendar busy times cached ($CONNS connections)"
slots_load
