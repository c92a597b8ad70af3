-- wrk script: GET /v1/places/nearby at a random point of the 20 km box around
-- Lisbon that bench/geo/seed-osm.mjs fills (HALF_KM from the centre, default 10); adapted from the peer's
-- ../shared/bench/load/nearby.lua (same box, radius and limit, same seeding
-- of each wrk thread), self-contained so it runs from this repository.
-- RADIUS_M (default 1000) and LIMIT (default 20) come from the environment.
local LAT, LNG = 38.72, -9.14
local HALF_KM = tonumber(os.getenv("HALF_KM") or "10")
local DLAT = HALF_KM / 111.32
local DLNG = HALF_KM / (111.32 * math.cos(math.rad(LAT)))
local RADIUS = tonumber(os.getenv("RADIUS_M") or "1000")
local LIMIT = tonumber(os.getenv("LIMIT") or "20")
local next_tid = 0
function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end
function init(args)
  math.randomseed(20260101 + (tid or 0) * 7919)
end
function request()
  local lat = LAT + (math.random() * 2 - 1) * DLAT
  local lng = LNG + (math.random() * 2 - 1) * DLNG
  return wrk.format("GET", string.format(
    "/v1/places/nearby?lat=%.6f&lng=%.6f&radius_m=%d&limit=%d", lat, lng, RADIUS, LIMIT))
end
function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"non2xx":%d,"errors":%d}\n',
    summary.requests, summary.requests / secs, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end
