-- wrk script for scripts/bench.d/documents.sh: POSTs ITI-105 deposits, cycling through the
-- bodies named in UPLOAD_BODIES (files separated by ':'; each a DocumentReference with its
-- bytes inline), each thread starting at another body. The access token comes from wrk's
-- command line (-H 'Authorization: Bearer ...'). 201 Created counts as an upload; done()
-- prints "bench-created N", "bench-other N" and "bench-other-status S" (last non-201).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/fhir+json"

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("first", counter)
  table.insert(threads, thread)
end

function init(args)
  created = 0
  other = 0
  other_status = 0
  bodies = {}
  for path in string.gmatch(os.getenv("UPLOAD_BODIES"), "[^:]+") do
    local f = assert(io.open(path, "rb"))
    bodies[#bodies + 1] = f:read("*a")
    f:close()
  end
  next_body = first
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[next_body])
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
