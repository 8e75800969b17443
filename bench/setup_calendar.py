#!/usr/bin/env python3
"""The calendar benchmark's world, through the APIs of a running mentorhub and a
running CalDAV server (Radicale): a mentor in Berlin with weekday hours and a 60-minute
service, and a calendar of EVENTS events (default 500) of which RECURRING (default 20)
are weekly series in New York time (each with an exception), the rest single timed
events over the next 60 days. Prints shell assignments for bench/calendar.sh.

  bench/setup_calendar.py BASE_URL ADMIN_EMAIL ADMIN_PASSWORD DAV_URL DAV_USER DAV_PASSWORD [EVENTS] [RECURRING]

Standard library only."""

import base64
import os
import random
import sys
import time
import urllib.request

BASE, ADMIN, PASSWORD, DAV, DAV_USER, DAV_PASSWORD = sys.argv[1:7]
EVENTS = int(sys.argv[7]) if len(sys.argv) > 7 else 500
RECURRING = int(sys.argv[8]) if len(sys.argv) > 8 else 20
RUN = str(int(time.time()))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchapi import Api  # noqa: E402

API = Api(BASE)
call = API.call
AUTH = "Basic " + base64.b64encode(f"{DAV_USER}:{DAV_PASSWORD}".encode()).decode()


def dav(method, url, body, ctype):
    req = urllib.request.Request(url, data=body.encode(), method=method)
    req.add_header("authorization", AUTH)
    req.add_header("content-type", ctype)
    with urllib.request.urlopen(req) as r:
        return r.status


_, login = call("POST", "/api/v1/auth/login", body={"email": ADMIN, "password": PASSWORD})
admin = login["access_token"]
mid, mtok = API.register(f"bench-cal-mentor-{RUN}@example.com")
call("PUT", "/api/v1/me/mentor-profile", mtok, {
    "bio": "Benchmark mentor", "expertise": ["load"], "hourly_rate": 1, "max_mentees": 10})
call("POST", f"/api/v1/admin/mentor-applications/{mid}/approve", admin, {})
days = ["monday", "tuesday", "wednesday", "thursday", "friday"]
call("PUT", "/api/v1/me/availability", mtok, {
    "timezone": "Europe/Berlin",
    "weekly": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in days],
    "overrides": [],
    "settings": {"min_notice_minutes": 0, "buffer_before_minutes": 0, "buffer_after_minutes": 15,
                 "horizon_days": 60, "slot_step_minutes": 30, "max_per_day": 0}})
_, services = call("GET", f"/api/v1/mentors/{mid}/services")
service = services["items"][0]["id"]

cal = f"{DAV}/{DAV_USER}/bench-{RUN}/"
dav("MKCALENDAR", cal, "<?xml version=\"1.0\"?><C:mkcalendar xmlns:D=\"DAV:\" "
    "xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:set><D:prop><D:displayname>Work</D:displayname>"
    "</D:prop></D:set></C:mkcalendar>", "application/xml")
rng = random.Random(7)
now = time.time()


def stamp(t):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))


for i in range(EVENTS):
    if i < RECURRING:
        first = time.gmtime(now + rng.randint(0, 6) * 86400)
        day = time.strftime("%Y%m%d", first)
        hour = rng.randint(8, 16)
        skip = time.strftime("%Y%m%d", time.gmtime(time.mktime(first) + 14 * 86400))
        body = (f"BEGIN:VEVENT\r\nUID:bench-series-{i}\r\nDTSTAMP:{stamp(now)}\r\n"
                f"SUMMARY:Series {i}\r\nDTSTART;TZID=America/New_York:{day}T{hour:02d}0000\r\n"
                f"DTEND;TZID=America/New_York:{day}T{hour:02d}4500\r\nRRULE:FREQ=WEEKLY;COUNT=40\r\n"
                f"EXDATE;TZID=America/New_York:{skip}T{hour:02d}0000\r\nEND:VEVENT\r\n")
    else:
        start = now + rng.randint(0, 60 * 24 * 4) * 900
        length = rng.choice([30, 45, 60, 90]) * 60
        transp = "TRANSP:TRANSPARENT\r\n" if i % 25 == 0 else ""
        body = (f"BEGIN:VEVENT\r\nUID:bench-{i}\r\nDTSTAMP:{stamp(now)}\r\nSUMMARY:Event {i}\r\n"
                f"DTSTART:{stamp(start)}\r\nDTEND:{stamp(start + length)}\r\n{transp}END:VEVENT\r\n")
    ics = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n{body}END:VCALENDAR\r\n"
    dav("PUT", f"{cal}event-{i}.ics", ics, "text/calendar")

print(f"MENTOR={mid}")
print(f"MENTOR_TOKEN={mtok}")
print(f"SERVICE={service}")
print(f"CALENDAR={cal}")
