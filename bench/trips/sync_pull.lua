-- GET /v1/sync/pull?cursor=0&limit=1000: one user's first 1,000 changes
-- (data/sync.txt: "cursor token", written by bench/trips/seed.mjs).
local common = dofile((os.getenv("LOAD_DIR") or ".") .. "/common.lua")
local pair
setup = common.setup
function init(args)
  common.seed()
  pair = common.read_pairs("sync.txt")[1]
end
function request()
  return wrk.format("GET", "/v1/sync/pull?cursor=" .. pair[1] .. "&limit=1000",
    { ["Authorization"] = "Bearer " .. pair[2] })
end
done = common.done
