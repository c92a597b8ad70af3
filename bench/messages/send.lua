-- POST /v1/messages/conversations/:id: a random (conversation, member)
-- pair from data/messages.txt (seed.mjs), a short text; the same shape as
-- ../shared/bench/load/messages.lua sends to the peers.
local common = dofile((os.getenv("LOAD_DIR") or ".") .. "/common.lua")
local pairs_
local n = 0
setup = common.setup
function init(args)
  common.seed()
  pairs_ = common.read_pairs("messages.txt")
end
function request()
  local p = pairs_[math.random(#pairs_)]
  n = n + 1
  local body = string.format('{"text":"bench message %d-%d"}', tid or 0, n)
  return wrk.format("POST", "/v1/messages/conversations/" .. p[1],
    { ["Authorization"] = "Bearer " .. p[2], ["Content-Type"] = "application/json" }, body)
end
done = common.done
