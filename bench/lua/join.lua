-- POST /api/v1/group-sessions/{id}/seats: each request is a different member joining
-- the one session (request n of all threads takes member n; wrk stops before they run
-- out if MEMBERS is large enough for the run).
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
require("common")

local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
local counter = 0

function request()
  local n = counter * nthreads + tid
  counter = counter + 1
  local token = data.members[n % #data.members + 1]
  return wrk.format("POST", "/api/v1/group-sessions/" .. data.session .. "/seats",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, "")
end
