-- One kind of request of the benchmark's mix, for one wrk process (bench/run.py starts one
-- per kind, all at once, so that each kind gets its own latency histogram: wrk's response()
-- cannot tell which connection, hence which request, an answer belongs to).
--
-- Arguments after `--`: kind, rate (requests/s for this process; 0 = closed loop, no think
-- time), data directory (bench/export_workload.py's files), output JSON path, random seed,
-- and how many pool tasks earlier runs already deleted.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]])
local CLOCK_MONOTONIC = 1
local clock = ffi.new("bench_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

local function read_rows(path)
  local rows = {}
  for line in io.lines(path) do
    local fields = {}
    for field in line:gmatch("%S+") do
      fields[#fields + 1] = field
    end
    rows[#rows + 1] = fields
  end
  return rows
end

local CREATE_BODY = '{"title": "Benchmark task", "description": "Created by the benchmark."}'
local PUT_BODY = '{"title": "Benchmark task, renamed", "description": "Updated by the benchmark.",'
  .. ' "completed": false}'

local user_ids, headers, owners, pool = {}, {}, {}, {}
local next_arrival, mean_interval_ms

local function random_user()
  return math.random(#user_ids)
end

local function random_owned_task()
  local owner = owners[math.random(#owners)]
  return owner.user, owner.tasks[math.random(#owner.tasks)]
end

local function tasks_path(user)
  return "/api/" .. user_ids[user] .. "/tasks"
end

local requests_by_kind = {
  list = function()
    local user = random_user()
    return wrk.format("GET", tasks_path(user), headers[user])
  end,
  create = function()
    local user = random_user()
    return wrk.format("POST", tasks_path(user), headers[user], CREATE_BODY)
  end,
  get = function()
    local user, task = random_owned_task()
    return wrk.format("GET", tasks_path(user) .. "/" .. task, headers[user])
  end,
  put = function()
    local user, task = random_owned_task()
    return wrk.format("PUT", tasks_path(user) .. "/" .. task, headers[user], PUT_BODY)
  end,
  toggle = function()
    local user, task = random_owned_task()
    return wrk.format("PATCH", tasks_path(user) .. "/" .. task .. "/complete", headers[user])
  end,
  delete = function()
    -- Each pool task is deleted once; wrapping around would show up as 404s in the report.
    local entry = pool[(pool_taken % #pool) + 1]
    pool_taken = pool_taken + 1
    return wrk.format("DELETE", tasks_path(entry.user) .. "/" .. entry.task, headers[entry.user])
  end,
}

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  local kind = args[1]
  local rate = tonumber(args[2])
  local data_dir = args[3]
  out_path = args[4]
  math.randomseed(tonumber(args[5]))
  pool_taken = tonumber(args[6])
  statuses = {}

  for n, row in ipairs(read_rows(data_dir .. "/users.txt")) do
    user_ids[n] = row[1]
    headers[n] = { ["Authorization"] = "Bearer " .. row[2], ["Content-Type"] = "application/json" }
  end
  if kind == "get" or kind == "put" or kind == "toggle" then
    for _, row in ipairs(read_rows(data_dir .. "/owners.txt")) do
      local tasks = {}
      for i = 2, #row do
        tasks[#tasks + 1] = row[i]
      end
      owners[#owners + 1] = { user = tonumber(row[1]), tasks = tasks }
    end
  elseif kind == "delete" then
    for _, row in ipairs(read_rows(data_dir .. "/pool.txt")) do
      pool[#pool + 1] = { user = tonumber(row[1]), task = row[2] }
    end
  end

  request = requests_by_kind[kind]
  if rate > 0 then
    mean_interval_ms = 1000 / rate
  else
    delay = nil -- Closed loop: wrk sends the next request as soon as the answer is in.
  end
end

-- Open loop: arrivals form a Poisson process at the offered rate, whatever the latency;
-- the connection that comes free takes the next arrival and waits for its time.
function delay()
  local now = now_ms()
  local arrival = next_arrival or now
  next_arrival = arrival - mean_interval_ms * math.log(1 - math.random())
  return math.max(0, math.floor(arrival - now))
end

function response(status)
  statuses[status] = (statuses[status] or 0) + 1
end

local function json_object(values)
  local parts = {}
  for key, value in pairs(values) do
    parts[#parts + 1] = string.format('"%s": %s', key, tostring(value))
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency)
  local thread = threads[1]
  -- No quantiles when no answer came in time (all timeouts). wrk's percentile(100)
  -- answers 0: the ends come from min and max.
  local quantiles = {}
  if latency.max > 0 then
    quantiles[1] = latency.min
    for i = 1, 999 do
      quantiles[#quantiles + 1] = latency:percentile(i / 10)
    end
    quantiles[#quantiles + 1] = latency.max
  end

  local out = assert(io.open(thread:get("out_path"), "w"))
  out:write(json_object({
    requests = summary.requests,
    duration_us = summary.duration,
    errors = json_object(summary.errors),
    statuses = json_object(thread:get("statuses")),
    pool_taken = thread:get("pool_taken"),
    latency_quantiles_us = "[" .. table.concat(quantiles, ", ") .. "]",
  }))
  out:close()
end
