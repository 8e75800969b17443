-- GET /api/v1/me as the pairs' mentees in turn: the cost of resolving a bearer token.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
require("common")

local counter = 0

function request()
  counter = counter + 1
  local p = data.pairs[counter % #data.pairs + 1]
  return wrk.format("GET", "/api/v1/me", {["Authorization"] = "Bearer " .. p.mentee})
end

