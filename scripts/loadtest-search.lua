-- wrk script for scripts/loadtest.sh: POSTs JSON text queries to /api/search, cycling
-- over a few, and prints one summary line. Any answer other than 2xx is an error.

local queries = { "a cow", "a dog barking", "a violin", "an electric kettle", "a colorful rooster" }
local bodies = {}
for i, text in ipairs(queries) do
  bodies[i] = string.format('{"text":"%s","k":8,"target":"image"}', text)
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

-- Each thread runs in its own Lua state; setup keeps them so done can add up their counts.
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  next_query = 0
  non2xx = 0
end

function request()
  next_query = next_query % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[next_query])
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  for _, thread in ipairs(threads) do
    errors = errors + thread:get("non2xx")
  end
  io.write(string.format("text search: %.1f req/s, p50 %.1f ms, p99 %.1f ms, %d errors\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, errors))
end
