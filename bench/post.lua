-- wrk script: POST the JSON body in $BENCH_BODY_FILE to the URL, and print one
-- machine-readable summary line at the end (run.sh parses it). os.clock() is wrk's own
-- CPU time (all threads), to show how much of the machine the load generator takes.
local path = os.getenv("BENCH_BODY_FILE")
local f = assert(io.open(path, "rb"), "cannot open BENCH_BODY_FILE " .. tostring(path))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "BENCH requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f bytes=%d non2xx=%d connect_err=%d read_err=%d write_err=%d timeouts=%d cpu_s=%.3f\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, summary.bytes,
    e.status, e.connect, e.read, e.write, e.timeout, os.clock()))
end
