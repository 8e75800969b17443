#!/usr/bin/env python3
"""Creates the people the write-path benchmarks need, through the API of a running
mentorhub, and writes them as a Lua table for wrk (bench/lua/*.lua).

  bench/setup_pairs.py BASE_URL ADMIN_EMAIL ADMIN_PASSWORD OUT.lua [PAIRS]

PAIRS mentor-mentee pairs (default 15): each mentor is open around the clock in UTC
with a 30-minute session costing 1 credit, each mentee has a million credits, and the
pair already has a chat thread (from one booking an hour before the runs' slots). One
more mentor, never booked, is there to measure reads before and after the writes; every
mentor has one published article. Standard library only."""

import json
import os
import sys
import time

BASE, ADMIN, PASSWORD, OUT = sys.argv[1:5]
PAIRS = int(sys.argv[5]) if len(sys.argv) > 5 else 15
RUN = str(int(time.time()))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchapi import Api  # noqa: E402


API = Api(BASE)
call, register = API.call, API.register


_, login = call("POST", "/api/v1/auth/login", body={"email": ADMIN, "password": PASSWORD})
admin = login["access_token"]
week = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in
        ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]]


def mentor(i):
    mid, tok = register(f"bench-mentor-{RUN}-{i}@example.com")
    call("PUT", "/api/v1/me/mentor-profile", tok, {
        "bio": "Benchmark mentor", "expertise": ["load"], "hourly_rate": 1, "max_mentees": 10})
    call("POST", f"/api/v1/admin/mentor-applications/{mid}/approve", admin, {})
    call("PUT", "/api/v1/me/availability", tok, {
        "timezone": "UTC", "weekly": week, "overrides": [],
        "settings": {"min_notice_minutes": 0, "buffer_before_minutes": 0,
                     "buffer_after_minutes": 0, "horizon_days": 365,
                     "slot_step_minutes": 30, "max_per_day": 0}})
    _, svc = call("POST", "/api/v1/me/services", tok, {
        "kind": "session", "title": "Half an hour", "duration_minutes": 30, "credit_cost": 1})
    _, art = call("POST", "/api/v1/articles", tok, {
        "title": f"Notes from mentor {i}", "content": "A short article.\n\n" * 20,
        "tags": ["load"]})
    call("POST", f"/api/v1/articles/{art['id']}/publish", tok, {})
    return mid, tok, svc["id"], art["id"]


# Every slot of the runs starts at or after this (UTC, on a half hour); setup's own
# bookings are an hour before it, out of the way (the runs go forward from `base`: a
# fast machine's three rounds of write_path.sh reach past 300 days of slots).
base = (int(time.time()) // 1800 + 4) * 1800
early = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(base - 3600))
pairs = []
articles = []
for i in range(PAIRS):
    mid, mtok, sid, art = mentor(i)
    articles.append(art)
    eid, etok = register(f"bench-mentee-{RUN}-{i}@example.com")
    call("POST", "/api/v1/admin/credits/grant", admin,
         {"user_id": eid, "amount": 1000000, "reason": "benchmark"})
    call("POST", "/api/v1/bookings", etok, {"mentor_id": mid, "service_id": sid, "start": early})
    _, threads = call("GET", "/api/v1/threads", etok)
    pairs.append({"mentee": etok, "mentee_id": eid, "mentor_token": mtok, "mentor": mid, "service": sid,
                  "thread": threads["items"][0]["id"]})
quiet_id, _, quiet_service, art = mentor(PAIRS)
articles.append(art)

with open(OUT, "w") as f:
    f.write("return {\n  base = %d,\n  quiet = {mentor = %s, service = %s},\n" % (
        base, json.dumps(quiet_id), json.dumps(quiet_service)))
    f.write("  articles = {%s},\n" % ", ".join(json.dumps(a) for a in articles))
    f.write("  pairs = {\n")
    for p in pairs:
        f.write("    {%s},\n" % ", ".join(f"{k} = {json.dumps(v)}" for k, v in p.items()))
    f.write("  },\n}\n")
print(f"{PAIRS} pairs ready; slots from {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(base))}")
