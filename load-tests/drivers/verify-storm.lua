-- wrk script for the verify storm (load-tests/drivers/wrk.ts runs it):
--   wrk ... -s verify-storm.lua <base-url> -- <tokens-file>
-- Sends GET /auth/verify with the access tokens of <tokens-file> (one a line) in turn, counts
-- answers by status and by error code (docs/errors.md), and answers per second; done() prints one JSON line.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  requests = {}
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    if #line > 0 then
      requests[#requests + 1] = wrk.format("GET", "/auth/verify", { ["Authorization"] = "Bearer " .. line })
    end
  end
  file:close()
  assert(#requests > 0, "no tokens in " .. args[1])
  index = thread_id or 0
  statuses = {}
  codes = {}
  ok_at = {}
  failed_at = {}
end

function request()
  index = index % #requests + 1
  return requests[index]
end

function response(status, headers, body)
  local second = os.time()
  statuses[status] = (statuses[status] or 0) + 1
  if status == 200 then
    ok_at[second] = (ok_at[second] or 0) + 1
  else
    failed_at[second] = (failed_at[second] or 0) + 1
    local code = body and string.match(body, '"code"%s*:%s*"([%w_]+)"') or ("http_" .. status)
    codes[code] = (codes[code] or 0) + 1
  end
end

local function add_all(into, from)
  for key, count in pairs(from or {}) do
    into[key] = (into[key] or 0) + count
  end
end

local function object(counts)
  local parts = {}
  for key, count in pairs(counts) do
    parts[#parts + 1] = string.format('"%s":%d', tostring(key), count)
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, _)
  local all_statuses, all_codes, all_ok, all_failed = {}, {}, {}, {}
  for _, thread in ipairs(threads) do
    add_all(all_statuses, thread:get("statuses"))
    add_all(all_codes, thread:get("codes"))
    add_all(all_ok, thread:get("ok_at"))
    add_all(all_failed, thread:get("failed_at"))
  end
  local points = {}
  for _, p in ipairs({ 1, 5, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 95, 97.5, 99, 99.5, 99.9, 99.99, 100 }) do
    points[#points + 1] = string.format('[%s,%d]', p, latency:percentile(p))
  end
  local e = summary.errors
  io.write(string.format(
    'AUTHGATE_WRK_JSON {"durationUs":%d,"requests":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"min":%d,"max":%d,"mean":%f,"percentiles":[%s]},"statuses":%s,"codes":%s,"okAt":%s,"failedAt":%s}\n',
    summary.duration, summary.requests, e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.max, latency.mean, table.concat(points, ","),
    object(all_statuses), object(all_codes), object(all_ok), object(all_failed)))
end
