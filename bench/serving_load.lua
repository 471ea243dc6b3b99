-- wrk script of bench/serving_bench.py: POST JSON bodies to the URL's path, one JSON summary line at the end.
--
-- BODIES_FILE    one request body per line; each request sends one of them, picked at random (seeded)
-- NEW_TEMPLATE   optional: a body with @VALUE@ where one input's value goes; with REPEAT_SHARE < 1, that share
--                of requests sends a body of BODIES_FILE (a repeat) and the rest this template with a value
--                never sent before (a new input), so the cache scenario's 20% misses stay misses however
--                long the run is
-- REPEAT_SHARE   share of repeats (default 1: every request is one of BODIES_FILE)
-- NEW_BASE       the template's first value; each new request adds NEW_STEP to it
-- SEED           the random sequence (the same for every server measured)

local function read(path)
  local handle = assert(io.open(path, "rb"))
  local data = handle:read("*a")
  handle:close()
  return data
end

local bodies = {}
for line in read(os.getenv("BODIES_FILE")):gmatch("[^\n]+") do
  bodies[#bodies + 1] = line
end
local repeat_share = tonumber(os.getenv("REPEAT_SHARE") or "1")
local head, tail
if os.getenv("NEW_TEMPLATE") then
  head, tail = read(os.getenv("NEW_TEMPLATE")):match("^(.-)@VALUE@(.-)\n?$")
end
local base = tonumber(os.getenv("NEW_BASE") or "1")
local step = tonumber(os.getenv("NEW_STEP") or "1e-9")
-- Globals, so done() can read them from each thread's state (thread:get).
sent_new = 0
built = 0
local headers = {["Content-Type"] = "application/json"}
math.randomseed(tonumber(os.getenv("SEED") or "1"))

if #bodies == 1 and head == nil then
  -- One body for every request: wrk sends it pre-formatted, the load generator's cheapest path.
  wrk.method = "POST"
  wrk.body = bodies[1]
  wrk.headers["Content-Type"] = "application/json"
else
  request = function()
    built = built + 1
    local body
    if head == nil or math.random() < repeat_share then
      body = bodies[math.random(#bodies)]
    else
      sent_new = sent_new + 1
      body = head .. string.format("%.17g", base + sent_new * step) .. tail
    end
    return wrk.format("POST", wrk.path, headers, body)
  end
end

local threads = {}
setup = function(thread)
  threads[#threads + 1] = thread
end

done = function(summary, latency, requests)
  local errors = summary.errors
  local new, all = 0, 0
  for _, thread in ipairs(threads) do
    new = new + (thread:get("sent_new") or 0)
    all = all + (thread:get("built") or 0)
  end
  io.write(string.format(
    'SUMMARY {"requests": %d, "duration_s": %.6f, "non_2xx": %d, "socket_errors": %d, "p50_ms": %.3f, ' ..
    '"p99_ms": %.3f, "max_ms": %.3f, "built": %d, "new": %d}\n',
    summary.requests, summary.duration / 1e6, errors.status, errors.connect + errors.read + errors.write +
    errors.timeout, latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, all, new))
end
