-- Shared by the wrk scripts: the data bench/setup_pairs.py wrote, a per-thread id,
-- status counting, and a one-line summary (the default `response` and `done`).
data = dofile(os.getenv("BENCH_DATA"))
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

statuses = {}

function count(status)
  statuses[status] = (statuses[status] or 0) + 1
end

function iso(t)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", t)
end

function summarize(summary, latency)
  local total = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses") or {}) do
      total[k] = (total[k] or 0) + v
    end
  end
  local parts = {}
  for k, v in pairs(total) do
    table.insert(parts, k .. "=" .. v)
  end
  table.sort(parts)
  local secs = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d rps=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f statuses=%s\n",
    summary.requests, summary.requests / secs, latency:percentile(50) / 1000,
    latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    table.concat(parts, ",")))
end

function response(status, headers, body)
  count(status)
end

function done(summary, latency, requests)
  summarize(summary, latency)
end
