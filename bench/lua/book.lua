-- POST /api/v1/bookings for distinct half-hour slots of 15 mentor-mentee pairs:
-- request n (over all threads and runs, from BENCH_OFFSET) books pair n % #pairs at
-- slot n / #pairs, so no two requests ever want the same time of a mentor or mentee.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
require("common")

local offset = tonumber(os.getenv("BENCH_OFFSET") or "0")
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
local counter = 0

function request()
  local n = offset + counter * nthreads + tid
  counter = counter + 1
  local p = data.pairs[n % #data.pairs + 1]
  local start = iso(data.base + math.floor(n / #data.pairs) * 1800)
  local body = '{"mentor_id":"' .. p.mentor .. '","service_id":"' .. p.service ..
    '","start":"' .. start .. '"}'
  return wrk.format("POST", "/api/v1/bookings",
    {["Authorization"] = "Bearer " .. p.mentee, ["Content-Type"] = "application/json"}, body)
end
