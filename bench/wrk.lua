-- wrk script for `make bench`. One argument: a plan file, one line per step,
--   tag <TAB> path <TAB> token file (or -) <TAB> first token index <TAB> scheme <TAB> proofs
-- (the last two optional: "Bearer" and "-"; a proofs file holds one DPoP proof per line,
-- sent in order in a "DPoP" header, each once)
-- Requests take the steps in turn (one step: a plain run; several: a mixed run in which all
-- steps share the same moments of machine speed). A step with a token file sends
-- "Authorization: Bearer <token>", the file's tokens in order from the index; a tag > 0 is
-- sent as "X-Bench-Scenario: <tag>" (read by bench/wsgi_timing.py). Prints one JSON line.
local steps = {}
local turn = 0

function init(args)
  for line in io.lines(args[1]) do
    local tag, path, file, index, scheme, proofs =
      line:match("^(%d+)\t([^\t]+)\t([^\t]+)\t(%d+)\t([^\t]+)\t([^\t]+)$")
    if not tag then
      tag, path, file, index = line:match("^(%d+)\t([^\t]+)\t([^\t]+)\t(%d+)$")
    end
    if tag then
      local step = { tag = tonumber(tag), path = path, tokens = {}, index = tonumber(index),
                     scheme = scheme or "Bearer", proofs = {}, proof = 0 }
      if file ~= "-" then
        for token in io.lines(file) do
          if token ~= "" then step.tokens[#step.tokens + 1] = token end
        end
      end
      if proofs and proofs ~= "-" then
        for proof in io.lines(proofs) do
          if proof ~= "" then step.proofs[#step.proofs + 1] = proof end
        end
      end
      steps[#steps + 1] = step
    end
  end
end

function request()
  local step = steps[turn % #steps + 1]
  turn = turn + 1
  local headers = {}
  if step.tag > 0 then headers["X-Bench-Scenario"] = tostring(step.tag) end
  if #step.tokens > 0 then
    headers["Authorization"] = step.scheme .. " " .. step.tokens[(step.index % #step.tokens) + 1]
    step.index = step.index + 1
  end
  if #step.proofs > 0 then
    -- Past the last proof the step repeats them: replays, refused and counted as errors.
    headers["DPoP"] = step.proofs[(step.proof % #step.proofs) + 1]
    step.proof = step.proof + 1
  end
  return wrk.format("GET", step.path, headers)
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
