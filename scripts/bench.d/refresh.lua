-- wrk script for scripts/bench: refresh-token grants on POST /oauth/token, each wrk thread
-- following its own rotation chain. Run it with one connection per thread (wrk -tN -cN): a
-- thread then sends its next request only after the previous answer, so every request presents
-- the refresh token the previous answer returned (presenting one twice is reuse and revokes the
-- family). The gateway must not close the connection meanwhile (a resent request would be reuse).
--   BENCH_REFRESH_TOKENS  a file with one refresh token per line, one per thread (line i for
--                         thread i), each of its own family
--   BENCH_CLIENT_ID       the (public) client the tokens were issued to
-- 200 with a refresh_token counts as a grant; anything else is an error of the run, and ends
-- that thread's chain (its later requests fail too). done() prints "bench-granted N",
-- "bench-other N", "bench-other-status S" (last non-200) and "bench-chains N" (threads).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

local threads = {}
local tokens = {}
do
  local path = os.getenv("BENCH_REFRESH_TOKENS")
  local file = path and io.open(path, "r")
  if file then
    for line in file:lines() do
      if line ~= "" then table.insert(tokens, line) end
    end
    file:close()
  end
end

function setup(thread)
  table.insert(threads, thread)
  local token = tokens[#threads]
  if token == nil then
    io.stderr:write("refresh.lua: fewer refresh tokens than wrk threads\n")
    os.exit(1)
  end
  thread:set("refresh_token", token)
end

local function form_encode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local client_id = form_encode(os.getenv("BENCH_CLIENT_ID") or "")

function init(args)
  granted = 0
  other = 0
  other_status = 0
end

function request()
  return wrk.format(nil, nil, nil, "grant_type=refresh_token&client_id=" .. client_id ..
                    "&refresh_token=" .. form_encode(refresh_token))
end

function response(status, headers, body)
  local next_token = status == 200 and body:match('"refresh_token"%s*:%s*"([^"]+)"')
  if next_token then
    granted = granted + 1
    refresh_token = next_token
  else
    other = other + 1
    other_status = status
  end
end

function done(summary, latency, requests)
  local g, o, s = 0, 0, 0
  for _, thread in ipairs(threads) do
    g = g + thread:get("granted")
    o = o + thread:get("other")
    if thread:get("other_status") ~= 0 then s = thread:get("other_status") end
  end
  io.write(string.format("bench-granted %d\nbench-other %d\nbench-other-status %d\nbench-chains %d\n",
                         g, o, s, #threads))
end
