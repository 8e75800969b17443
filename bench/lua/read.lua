-- GET one path (BENCH_PATH, with {mentor} and {service} of the never-booked mentor).
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
require("common")

local path = os.getenv("BENCH_PATH"):gsub("{mentor}", data.quiet.mentor)
  :gsub("{service}", data.quiet.service)

function request()
  return wrk.format("GET", path)
end
