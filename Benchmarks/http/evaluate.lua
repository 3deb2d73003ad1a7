-- wrk script for POST /v1/evaluate. Env: CORDON_TOKEN, CORDON_BODIES (a file of templates, one
-- per line), CORDON_SINGLE=1 to wrap each line as a one-fix batch, CORDON_DELAY_MS (pacing per
-- connection, for a target request rate).
--
-- Each pass over the templates names its vehicles afresh ("L<thread>p<pass>-V0001"), so every
-- vehicle sees its hour of fixes once, in time order. A template is split at its "{P}"
-- placeholders once, in init; a request joins the pieces with the pass's prefix in one
-- table.concat. (Rewriting 1,000 fixes per request with gsub cost the load generator more CPU
-- than the server spent answering them, on the same two cores.)
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local templates = {}
local counter = 0
local prefix, token, single, delay_ms

function init(args)
  prefix = "L" .. id
  token = os.getenv("CORDON_TOKEN")
  single = os.getenv("CORDON_SINGLE") == "1"
  delay_ms = tonumber(os.getenv("CORDON_DELAY_MS") or "0")
  for line in io.lines(os.getenv("CORDON_BODIES")) do
    local pieces, from = {}, 1
    while true do
      local at = line:find("{P}", from, true)
      if not at then break end
      table.insert(pieces, line:sub(from, at - 1))
      from = at + 3
    end
    table.insert(pieces, line:sub(from))
    table.insert(templates, pieces)
  end
end

function request()
  local n = #templates
  local i = counter % n
  local cycle = math.floor(counter / n)
  counter = counter + 1
  local body = table.concat(templates[i + 1], prefix .. "p" .. cycle .. "-")
  if single then body = '{"fixes":[' .. body .. ']}' end
  return wrk.format("POST", "/v1/evaluate",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }, body)
end

function delay()
  return delay_ms
end

function done(summary, latency, requests)
  io.write(string.format("requests %d, errors: status %d, timeout %d, connect %d, read %d, write %d\n",
    summary.requests, summary.errors.status, summary.errors.timeout, summary.errors.connect,
    summary.errors.read, summary.errors.write))
  io.write(string.format("rate %.1f requests/s\n", summary.requests / (summary.duration / 1e6)))
  for _, p in ipairs({ 50, 90, 99, 99.9 }) do
    io.write(string.format("latency p%s %.3f ms\n", p, latency:percentile(p) / 1000))
  end
end
