-- wrk script for `make bench`: GET one path; with a token file, an Authorization header per
-- request, taken from the file in order from an offset. Arguments: path, token file, offset.
-- Prints one JSON line with the figures bench/loadgen.py reads.
local path = "/"
local tokens = {}
local index = 0

function init(args)
  path = args[1] or "/"
  if args[2] and args[2] ~= "" then
    for line in io.lines(args[2]) do
      if line ~= "" then tokens[#tokens + 1] = line end
    end
  end
  index = tonumber(args[3] or "0") or 0
end

function request()
  if #tokens == 0 then
    return wrk.format("GET", path)
  end
  local token = tokens[(index % #tokens) + 1]
  index = index + 1
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.6f, "p50_ms": %.3f, "p99_ms": %.3f, ' ..
    '"status_errors": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout))
end
