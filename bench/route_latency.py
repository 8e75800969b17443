#!/usr/bin/env python3
"""Per-route request counts and latency percentiles from two scrapes of /metrics
(before and after a load run): the difference of the histograms, percentiles as the
upper bound of the bucket where they fall.

  bench/route_latency.py BEFORE.txt AFTER.txt"""

import re
import sys
from collections import defaultdict

LINE = re.compile(r'^http_request_duration_seconds_bucket\{method="([^"]+)",route="([^"]+)",status="(\d+)",le="([^"]+)"\} (\d+)')


def read(path):
    out = defaultdict(lambda: defaultdict(int))
    for line in open(path):
        m = LINE.match(line)
        if m:
            method, route, status, le, n = m.groups()
            out[(method, route, status[0] + "xx")][le] += int(n)
    return out


before, after = read(sys.argv[1]), read(sys.argv[2])
print(f"{'route':52} {'status':6} {'count':>8} {'p50':>9} {'p99':>9}")
for key in sorted(after):
    buckets = sorted(((float(le), n - before.get(key, {}).get(le, 0))
                      for le, n in after[key].items()), key=lambda b: b[0])
    total = buckets[-1][1]
    if total == 0:
        continue

    def pct(p):
        for le, n in buckets:
            if n >= total * p:
                return "≤ %s" % ("%g ms" % (le * 1000) if le != float("inf") else "inf")
        return "?"

    method, route, status = key
    print(f"{method + ' ' + route:52} {status:6} {total:8d} {pct(0.5):>9} {pct(0.99):>9}")
