-- wrk script for bench/capacity.py: one phase of the capacity benchmark per run.
--
--   CAPACITY_OUT=FILE wrk -t2 -c32 -d8s -s bench/capacity.lua URL -- PHASE POOL THREADS
--
-- PHASE is healthz, answer, start, question, finish or result. POOL is a file that
-- capacity.py wrote, a line of space-separated fields per attempt or client (see
-- "Pools" below); thread k of THREADS takes lines k, k + THREADS, ... so that no
-- attempt is ever used by two threads. done() writes FILE: "key value" lines with
-- the figures. Each thread writes FILE.<thread> as it goes: "sent" and "acked" lines
-- naming each (token, position) answered, "finished" lines naming each token.

local EXPECTED = {
  healthz = 200, answer = 200, start = 303, question = 200, finish = 303, result = 200,
}

-- Set by setup() in each thread before init().
id = 0

-- Per thread; done() reads them with thread:get().
unexpected = {}
counts = { matched = 0, mismatched = 0, unparsed = 0, exhausted = 0 }

local phase, expected
local pool = {}
local by_token = {}
local cursor = 1
-- Written as each request goes and each response comes, not kept for done(): wrk
-- 4.1 has been seen to garble a string or two among thousands kept until the end.
local record

local function split(line)
  local fields = {}
  for field in line:gmatch("%S+") do
    fields[#fields + 1] = field
  end
  return fields
end

local function urlencode(text)
  return (text:gsub("[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

-- The answer fields of a rendered question: a list of its option values, or "n" for a
-- number field; nil when the page has neither (the template changed).
local function answer_fields(body)
  local options, number = {}, false
  for tag in body:gmatch('<input[^>]-name="answer"[^>]*>') do
    local kind = tag:match('type="(%a+)"')
    if kind == "radio" or kind == "checkbox" then
      options[#options + 1] = tag:match('value="([^"]*)"')
    else
      number = true
    end
  end
  if #options > 0 then
    return options
  end
  if number then
    return "n"
  end
  return nil
end

local function parse_spec(spec)
  if spec == "n" then
    return "n"
  end
  local options = {}
  for value in spec:sub(3):gmatch("[^,]+") do
    options[#options + 1] = value
  end
  return options
end

-- A real answer to the question at ``position``: one of its options (which one
-- varies with the position), or a number.
local function pick(fields, position)
  if fields == "n" then
    return tostring(position)
  end
  return fields[position % #fields + 1]
end

-- Pools: answer "token cookie csrf total spec marks"; start "cookie csrf";
-- question "token cookie total"; finish "token cookie csrf"; result "token cookie".
local function load_pool(path, threads)
  local n = 0
  for line in io.lines(path) do
    if (n % threads) + 1 == id then
      local f = split(line)
      local entry
      if phase == "answer" then
        entry = { token = f[1], cookie = f[2], csrf = f[3], total = tonumber(f[4]),
                  fields = parse_spec(f[5]), marks = f[6] ~= "-" and f[6] or "",
                  position = 1, busy = false }
        by_token[entry.token] = entry
      elseif phase == "start" then
        entry = { cookie = f[1], csrf = f[2] }
      elseif phase == "question" then
        entry = { token = f[1], cookie = f[2], total = tonumber(f[3]), position = 0 }
      elseif phase == "finish" then
        entry = { token = f[1], cookie = f[2], csrf = f[3] }
      else
        entry = { token = f[1], cookie = f[2] }
      end
      pool[#pool + 1] = entry
    end
    n = n + 1
  end
end

function init(args)
  phase, expected = args[1], EXPECTED[args[1]]
  if not expected then
    error("unknown phase " .. tostring(args[1]))
  end
  if phase == "healthz" then
    -- wrk's static request and no response hook: the load generator's cheapest
    -- request, which leaves the server the most CPU. wrk counts statuses over 399.
    wrk.path = "/healthz"
    request, response = nil, nil
  else
    load_pool(args[2], tonumber(args[3]))
    record = assert(io.open(os.getenv("CAPACITY_OUT") .. "." .. id, "w"))
  end
end

-- No attempt left to use (or every one left waits on a failed request): this thread
-- stops and capacity.py calls the phase void.
local function exhausted()
  counts.exhausted = counts.exhausted + 1
  wrk.thread:stop()
  return wrk.format("GET", "/healthz")
end

-- A form post's headers and body: the session cookie and the CSRF token field.
local function form(cookie, csrf)
  local headers = {
    ["Cookie"] = "session=" .. cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }
  return headers, "csrf_token=" .. urlencode(csrf)
end

-- The htmx "next" of the next attempt in turn that is not waiting for a response:
-- attempts are taken in rotation, so each moves one question at a time, answering
-- the question its previous response showed, and never has two requests in flight.
-- Positions run from 1 to total - 1, each posted once: every request saves a new
-- answer and gets the next question back (the last question's Next shows the
-- finish page instead, another kind of response, so it is left out).
local function answer_request()
  for _ = 1, #pool do
    local a = pool[cursor]
    cursor = cursor % #pool + 1
    if not a.busy and a.position < a.total then
      a.busy = true
      local path = "/a/" .. a.token .. "/q/" .. a.position
      -- wrk parses thread 1's first request to check it and never sends it: that
      -- one is "sent" too, and stays busy, unanswered.
      record:write("sent ", a.token, " ", a.position, "\n")
      local headers, body = form(a.cookie, a.csrf)
      headers["HX-Request"] = "true"
      headers["HX-Target"] = "main"
      headers["HX-Current-URL"] = "http://" .. wrk.host .. ":" .. wrk.port .. path
      headers["X-CSRFToken"] = a.csrf
      -- The fields of the question form: slot says the page has the question slot,
      -- marks what its navigator shows.
      body = body .. "&slot=question-slot&marks=" .. a.marks .. "&nav=next&answer=" .. urlencode(pick(a.fields, a.position))
      return wrk.format("POST", path, headers, body)
    end
  end
  return exhausted()
end

function request()
  if phase == "answer" then
    return answer_request()
  elseif phase == "start" then
    -- The landing page's cookie, never the one /start sends back: to the app each
    -- start comes from a new visitor (a new taker, nothing seen before).
    local c = pool[cursor]
    cursor = cursor % #pool + 1
    local headers, body = form(c.cookie, c.csrf)
    return wrk.format("POST", "/start", headers, body)
  elseif phase == "question" then
    -- Every question of every attempt in turn, as a taker who reloads or resumes.
    local a = pool[cursor]
    cursor = cursor % #pool + 1
    a.position = a.position % a.total + 1
    return wrk.format("GET", "/a/" .. a.token .. "/q/" .. a.position,
                      { ["Cookie"] = "session=" .. a.cookie })
  elseif phase == "finish" then
    -- Each attempt once: finishing it again would only redirect.
    local a = pool[cursor]
    if not a then
      return exhausted()
    end
    cursor = cursor + 1
    local headers, body = form(a.cookie, a.csrf)
    return wrk.format("POST", "/a/" .. a.token .. "/finish", headers, body)
  else
    local a = pool[cursor]
    cursor = cursor % #pool + 1
    return wrk.format("GET", "/a/" .. a.token .. "/result",
                      { ["Cookie"] = "session=" .. a.cookie })
  end
end

local function header(headers, name)
  local value = headers[name]
  if value then
    return value
  end
  name = name:lower()
  for key, v in pairs(headers) do
    if key:lower() == name then
      return v
    end
  end
end

-- An answer is acknowledged by a 200 whose HX-Push-Url names the next question of
-- the attempt that was waiting: that is how a response is matched to its request
-- (wrk does not say which request a response answers).
local function answer_response(headers, body)
  local url = header(headers, "HX-Push-Url") or ""
  local token, next_position = url:match("^/a/([%w_%-]+)/q/(%d+)$")
  local a = token and by_token[token]
  next_position = tonumber(next_position)
  if not (a and a.busy and next_position == a.position + 1) then
    counts.mismatched = counts.mismatched + 1
    return
  end
  record:write("acked ", token, " ", a.position, "\n")
  counts.matched = counts.matched + 1
  a.fields = answer_fields(body)
  if not a.fields then
    counts.unparsed = counts.unparsed + 1
    a.fields = { "1" } -- valid for every kind of question today; counted as a problem
  end
  -- The navigator's marks the next form sends back, as the page would.
  a.marks = body:match('name="marks"[^>]-value="([0-3]*)"') or a.marks
  a.position = next_position
  a.busy = false
end

function response(status, headers, body)
  if status ~= expected then
    -- Unmatched, so an attempt whose answer failed stays busy and is not used again.
    unexpected[status] = (unexpected[status] or 0) + 1
    return
  end
  if phase == "answer" then
    answer_response(headers, body)
  elseif phase == "finish" then
    local token = (header(headers, "Location") or ""):match("/a/([%w_%-]+)/result$")
    if token then
      record:write("finished ", token, "\n")
    else
      counts.mismatched = counts.mismatched + 1
    end
  end
end

-- Main state: the threads, numbered for their share of the pool.
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("id", #threads)
end

function done(summary, latency, _)
  local out = assert(io.open(os.getenv("CAPACITY_OUT"), "w"))
  local function put(key, value)
    out:write(key, " ", tostring(value), "\n")
  end
  put("requests", summary.requests)
  put("duration_us", summary.duration)
  put("bytes", summary.bytes)
  for _, kind in ipairs({ "connect", "read", "write", "timeout", "status" }) do
    put("socket_" .. kind, summary.errors[kind])
  end
  for _, p in ipairs({ 50, 90, 99 }) do
    put("p" .. p .. "_us", latency:percentile(p))
  end
  put("max_us", latency.max)
  local totals = {}
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("counts")) do
      totals[key] = (totals[key] or 0) + n
    end
    for status, n in pairs(thread:get("unexpected")) do
      put("unexpected", status .. " " .. n)
    end
  end
  for key, n in pairs(totals) do
    put(key, n)
  end
  out:close()
end
