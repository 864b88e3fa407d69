-- wrk script for `make bench`: GET <path> with bearer tokens taken round robin from a file.
--   wrk ... -s bench/wrk/vend.lua <url> -- <tokens-file> <path> [<pause-ms> [<first>]]
-- An empty tokens file sends no Authorization header. A pause (milliseconds after each
-- answer, per connection) throttles the load to a fixed rate for latency measurements.
-- <first>: how many tokens to pass over before the first request (a run that goes on
-- where the previous one stopped, so that every token of a long file is sent).
-- `done` prints one line, `WRK_JSON {...}`, that bench/load.py reads.

local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

local requests, count, next_index = {}, 0, 0

function init(args)
  local path = args[2]
  for line in io.lines(args[1]) do
    if #line > 0 then
      count = count + 1
      requests[count] = wrk.format("GET", path, { ["Authorization"] = "Bearer " .. line })
    end
  end
  if count == 0 then
    count = 1
    requests[1] = wrk.format("GET", path)
  end
  -- Threads start at different tokens so that they do not walk the list in step.
  next_index = (id * 7919 + tonumber(args[4] or "0")) % count
  local pause = tonumber(args[3] or "0")
  if pause > 0 then
    delay = function() return pause end
  end
end

function request()
  next_index = next_index % count + 1
  return requests[next_index]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, '
      .. '"write_errors": %d, "timeouts": %d, "non_2xx": %d, "p50_us": %d, "p90_us": %d, '
      .. '"p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean,
    latency.max))
end
