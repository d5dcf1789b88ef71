-- wrk script for scripts/bench: POSTs one heart-rate measure per request and counts the
-- answers. 201 Created means acknowledged (committed); anything else is an error of the run.
-- The body comes from the environment (BENCH_BODY) so the script holds no dates; the access
-- token from wrk's command line (-H 'Authorization: Bearer ...'), which wrk adds to wrk.headers.
-- done() prints "bench-created N", "bench-other N" and "bench-other-status S" (last non-201).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/fhir+json"
wrk.body = os.getenv("BENCH_BODY")

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  created = 0
  other = 0
  other_status = 0
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  else
    other = other + 1
    other_status = status
  end
end

function done(summary, latency, requests)
  local c, o, s = 0, 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("created")
    o = o + thread:get("other")
    if thread:get("other_status") ~= 0 then s = thread:get("other_status") end
  end
  io.write(string.format("bench-created %d\nbench-other %d\nbench-other-status %d\n", c, o, s))
end
