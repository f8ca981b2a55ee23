-- wrk's script for api_load.py: each request is a line of a data file, "TOKEN<TAB>PATH".
--   wrk -s api_load.lua URL -- FILE MODE THREADS THINK_MS [METHOD BODY]
-- MODE "random": each request a random line (reads); "each": every line once, the file split
-- between the threads (events: every case once). THINK_MS > 0: each connection (a client) waits a
-- random time before each request, exponential with that mean (a person's pause; the clients then
-- send about CONNECTIONS / (THINK + latency) requests a second); 0: the next request at once.
-- done() prints one line "WRKJSON {...}".

local rows, method, body, mode = {}, "GET", nil, "random"
local nxt = 0
local counter = 0

function setup(thread)  -- in wrk's main state, once per thread, before that thread's init
   thread:set("thread_no", counter)
   counter = counter + 1
end

function init(args)
   mode = args[2]
   local threads = tonumber(args[3])
   local think = tonumber(args[4])
   method = args[5] or "GET"
   body = args[6]
   local n = 0
   for line in io.lines(args[1]) do
      if mode == "random" or n % threads == thread_no then
         local token, path = line:match("^([^\t]+)\t(.+)$")
         rows[#rows + 1] = {path, {["Authorization"] = "Bearer " .. token,
                                   ["Content-Type"] = body and "application/json" or nil}}
      end
      n = n + 1
   end
   math.randomseed(os.time() + thread_no * 7919)
   if think > 0 then
      function delay()  -- wrk asks before each request how many ms to wait; never past 4 s, when
         -- the server (uvicorn: 5 s) would close the idle connection
         return math.min(4000, math.floor(-think * math.log(1 - math.random())))
      end
   end
end

function request()
   local row
   if mode == "random" then
      row = rows[math.random(#rows)]
   else
      nxt = nxt + 1
      row = rows[(nxt - 1) % #rows + 1]  -- past the end it wraps: the repeated events are refused (409)
   end
   return wrk.format(method, row[1], row[2], body)
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, "write": %d, ' ..
      '"status": %d, "timeout": %d, "min_us": %d, "mean_us": %.1f, "max_us": %d, "p50_us": %d, "p90_us": %d, ' ..
      '"p95_us": %d, "p99_us": %d, "p999_us": %d}\n',
      summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
      latency.min, latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
      latency:percentile(95), latency:percentile(99), latency:percentile(99.9)))
end
