-- The mixed workload: what people do on a busy afternoon, by weight: search (25),
-- a mentor's slots (15), a mentor's profile page (15), an article (15), booking (10),
-- cancelling a booking this script made (10), a chat message (10).
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
require("common")

local offset = tonumber(os.getenv("BENCH_OFFSET") or "0")
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
local counter = 0
local booked = {}
local token_of = {}
for _, p in ipairs(data.pairs) do
  token_of[p.mentee_id] = p.mentee
end

local function auth(token)
  return {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
end

local function pick(list, i)
  return list[i % #list + 1]
end

function request()
  counter = counter + 1
  local r = math.random(100)
  local p = pick(data.pairs, counter * nthreads + tid)
  if r <= 25 then
    return wrk.format("GET", "/api/v1/mentors?q=load&limit=20")
  elseif r <= 40 then
    local from = iso(data.base)
    local to = iso(data.base + 7 * 86400)
    return wrk.format("GET", "/api/v1/mentors/" .. p.mentor .. "/slots?service_id=" ..
      p.service .. "&from=" .. from .. "&to=" .. to)
  elseif r <= 55 then
    return wrk.format("GET", "/mentors/" .. p.mentor)
  elseif r <= 70 then
    return wrk.format("GET", "/api/v1/articles/" .. pick(data.articles, counter))
  elseif r <= 80 or #booked == 0 then
    local n = offset + counter * nthreads + tid
    local q = data.pairs[n % #data.pairs + 1]
    local start = iso(data.base + math.floor(n / #data.pairs) * 1800)
    return wrk.format("POST", "/api/v1/bookings", auth(q.mentee),
      '{"mentor_id":"' .. q.mentor .. '","service_id":"' .. q.service ..
      '","start":"' .. start .. '"}')
  elseif r <= 90 then
    local b = table.remove(booked, 1)
    return wrk.format("POST", "/api/v1/bookings/" .. b.id .. "/cancel", auth(b.token),
      '{"reason":"load"}')
  else
    return wrk.format("POST", "/api/v1/threads/" .. p.thread .. "/messages", auth(p.mentee),
      '{"content":"Hello from the load test"}')
  end
end

function response(status, headers, body)
  count(status)
  if status == 201 then
    local id = body:match('^{"id":"([^"]+)","status":"pending"')
    local mentee = body:match('"mentee":{"id":"([^"]+)"')
    if id and mentee and token_of[mentee] then
      table.insert(booked, {id = id, token = token_of[mentee]})
    end
  end
end
