-- Paces each wrk connection: after every answer it waits PACE_MS before sending the next request, so
-- the server is offered a steady rate (about connections x 1000 / PACE_MS per second) instead of all it
-- can take; latency is then the server's answer time at that rate, not the length of a saturated queue.
local pace = tonumber(os.getenv("PACE_MS") or "1")

function delay()
  return pace
end
