-- wrk script for POST /v1/evaluate. Env: CORDON_TOKEN, CORDON_BODIES (a file of templates, one
-- per line), CORDON_SINGLE=1 to wrap each line as a one-fix batch, CORDON_DELAY_MS (pacing per
-- connection, for a target request rate).
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
  prefix = "L" .. id .. "-"
  token = os.getenv("CORDON_TOKEN")
  single = os.getenv("CORDON_SINGLE") == "1"
  delay_ms = tonumber(os.getenv("CORDON_DELAY_MS") or "0")
  for line in io.lines(os.getenv("CORDON_BODIES")) do table.insert(templates, line) end
end

function request()
  local n = #templates
  local i = counter % n
  local cycle = math.floor(counter / n)
  counter = counter + 1
  local day = string.format("%02d", 3 + math.floor(cycle / 24))
  local hour = string.format("%02d", cycle % 24)
  local body = templates[i + 1]:gsub("{P}", prefix):gsub("{D}", day):gsub("{H}", hour)
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
