#!/usr/bin/env python3
"""Creates what the group-session benchmark needs, through the API of a running
mentorhub, and writes it as a Lua table for wrk (bench/lua/join.lua).

  bench/setup_group.py BASE_URL ADMIN_EMAIL ADMIN_PASSWORD OUT.lua [MEMBERS] [SEATS]

One approved mentor publishes one session (SEATS seats, default 200, 1 credit a seat,
a week ahead); MEMBERS members (default 4000) each get 10 credits. Registration runs
on 8 threads. Standard library only."""

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

BASE, ADMIN, PASSWORD, OUT = sys.argv[1:5]
MEMBERS = int(sys.argv[5]) if len(sys.argv) > 5 else 4000
SEATS = int(sys.argv[6]) if len(sys.argv) > 6 else 200
RUN = str(int(time.time()))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchapi import Api  # noqa: E402


API = Api(BASE)
call, register = API.call, API.register


_, login = call("POST", "/api/v1/auth/login", body={"email": ADMIN, "password": PASSWORD})
admin = login["access_token"]
mid, mtok = register(f"bench-group-mentor-{RUN}@example.com")
call("PUT", "/api/v1/me/mentor-profile", mtok, {
    "bio": "Benchmark mentor", "expertise": ["load"], "hourly_rate": 1, "max_mentees": 10})
call("POST", f"/api/v1/admin/mentor-applications/{mid}/approve", admin, {})
start = time.strftime("%Y-%m-%dT%H:00:00Z", time.gmtime(time.time() + 7 * 86400))
_, g = call("POST", "/api/v1/group-sessions", mtok, {
    "title": "Benchmark group", "start": start, "seats": SEATS, "credits_per_seat": 1})
session = g["items"][0]["id"]


def member(i):
    uid, tok = register(f"bench-member-{RUN}-{i}@example.com")
    call("POST", "/api/v1/admin/credits/grant", admin,
         {"user_id": uid, "amount": 10, "reason": "benchmark"})
    return tok


with ThreadPoolExecutor(8) as pool:
    tokens = list(pool.map(member, range(MEMBERS)))
with open(OUT, "w") as f:
    f.write("return {\n")
    f.write(f'  session = "{session}",\n  mentor = "{mtok}",\n  seats = {SEATS},\n')
    f.write("  members = {\n")
    for t in tokens:
        f.write(f'    "{t}",\n')
    f.write("  },\n}\n")
print(f"{MEMBERS} members ready for a {SEATS}-seat session")
