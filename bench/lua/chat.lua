-- POST /api/v1/threads/{id}/messages: each mentee of the 15 pairs writes in their
-- pair's thread in turn (a chat line, the other side's notification).
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
require("common")

local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
local counter = 0

function request()
  counter = counter + 1
  local p = data.pairs[(counter * nthreads + tid) % #data.pairs + 1]
  return wrk.format("POST", "/api/v1/threads/" .. p.thread .. "/messages",
    {["Authorization"] = "Bearer " .. p.mentee, ["Content-Type"] = "application/json"},
    '{"content":"Hello from the load test"}')
end
