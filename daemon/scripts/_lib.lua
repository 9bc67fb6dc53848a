-- _lib.lua: the helpers every script uses, defined once when antred loads
-- the scripts as one Redis Functions library (tools/embed-scripts.sh puts
-- each script in a function of its own after this file, and registers it).
--
-- KEYS[1] is the event's key prefix "antre:{EVENT}:"; every key a script
-- touches is under it, so one event lives in one Redis Cluster slot.
-- ARGV[1] is the event's context (or its reference: context() below), JSON
-- made by the daemon from the event file: {"off": UTC offset s,
--  "stages": [{"id", "hold" (ms), "n" (stations)}],
--  "regular": index of the default priority, "every": interleave N (0 =
--  strict), "dose": index of the stage whose completion is a dose,
--  "maxlen": stream length, "retention": seconds a ticket is kept,
--  "svc": {service id: [dose 1|2|3, days to the next dose (0 = none)]}}.
-- KEYS[2], only on a write sent with an Idempotency-Key, is that key's
-- record (antre:{EVENT}:idem:KEY), and then the last ARGV is the request's
-- fingerprint (see idempotent() below).
-- Scripts check everything before their first write: Redis does not roll
-- a script back, so a refusal must come before any change.
-- Every script returns one JSON string (but an issue's ticket: flat_reply);
-- a refusal is {"err": code, "msg": text}.
-- Every record a script returns or publishes is built as a table by its
-- encoder below and written by json() (or by cjson.encode where it has no
-- table that may be empty, said where): no JSON is put together by hand.
--
-- A library's top level runs once, at FUNCTION LOAD, and what it keeps
-- stays between calls: the state of one call is only in the locals below,
-- every one of them set afresh by begin() before each call (none may keep
-- a value of an earlier call, but for the decoded contexts, which depend
-- on nothing but their text and are never changed).
local KEYS, ARGV        -- the call's keys and arguments
local RO                -- true in a no-writes call (need_write)
local P, ctx            -- KEYS[1], ARGV[1] decoded
local NOW, TODAY, MINUTE -- the call's time, its event day, minute of the day
local NOW_S, MINUTE_S   -- NOW and MINUTE as text (see digits below)
local REAL_S            -- Redis's clock, seconds (NOW but for a test clock)
local STATS             -- the day's statistics hash
local PACE, pace_memo, stage_memo -- the estimates' hash, and read once a call
local pace_full, pace_arr -- pace_memo has all of it; has a stage's arrivals
local day_marked        -- the key "day" (rollover)
local kept              -- estimates kept between issues (keep_estimates)
local ISSUE, gen_written -- an issue's call (issue.lua); estgen as written this call
local gen_read          -- estgen as read this call (keep_estimates)
local pending           -- writes kept for a batch's end (flush_writes), or nil
local PRIO_STEP = 1099511627776 -- 2^40: queue score = priority index * 2^40 + arrival seq

-- Each script is two functions, one no-writes (RO): a read (its file
-- says "--! no-writes") runs first as that, so that it answers while Redis
-- refuses writes (MISCONF, min-replicas); when it finds that it must write
-- after all (a day to close out, an areas upload), this error makes antred
-- send the same call again to the other (store.c).  Called before the first
-- write.  (A write runs as RO only when Redis refused it: store_script.h.)
local function need_write()
	if RO then error({ err = 'ANTRE_WRITE this call writes: run the write variant' }) end
end

-- A number as an argument of redis.call, or in a name, is written by C's
-- printf with 17 (or Lua's 14) significant digits, a tenth of an issue's
-- time in Redis: whole numbers that the busiest calls pass go as text,
-- made by istr with %d (small ones made once).
local WEEK_S = '691200'                 -- 8 days, the statistics' keep
local ISTR = {}
local function istr(i)
	local s = ISTR[i]
	if s == nil then
		s = string.format('%d', i)
		if i >= 0 and i < 256 then ISTR[i] = s end
	end
	return s
end

-- Redis's clock, not the daemon's: one clock for every daemon.  Builds
-- made for the tests may set it instead (ctx.test_clock, key test:clock).
local function now_ms()
	local t = redis.call('TIME')
	REAL_S = tonumber(t[1])
	if ctx.test_clock then
		local fixed = redis.call('GET', P .. 'test:clock')
		if fixed then return tonumber(fixed) end
	end
	return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end


-- The event-local calendar day of a time, as YYYYMMDD (Hinnant's algorithm).
local function day_of(ms)
	local z = math.floor((ms / 1000 + ctx.off) / 86400) + 719468
	local era = math.floor(z / 146097)
	local doe = z - era * 146097
	local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524)
		- math.floor(doe / 146096)) / 365)
	local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
	local mp = math.floor((5 * doy + 2) / 153)
	local d = doy - math.floor((153 * mp + 2) / 5) + 1
	local m = mp < 10 and mp + 3 or mp - 9
	local y = yoe + era * 400
	if m <= 2 then y = y + 1 end
	return string.format('%04d%02d%02d', y, m, d)
end


-- Days since 1970-01-01 of a YYYYMMDD day (Hinnant's days_from_civil): the
-- calendar arithmetic of the dose records (due days), exact in any zone.
local function day_num(ymd)
	local y, m, d = tonumber(string.sub(ymd, 1, 4)), tonumber(string.sub(ymd, 5, 6)),
		tonumber(string.sub(ymd, 7, 8))
	if m <= 2 then y = y - 1 end
	local era = math.floor(y / 400)
	local yoe = y - era * 400
	local mp = m > 2 and m - 3 or m + 9
	local doy = math.floor((153 * mp + 2) / 5) + d - 1
	local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
	return era * 146097 + doe - 719468
end

-- The YYYYMMDD day n days after day ymd.
local function day_add(ymd, n)
	return day_of(((day_num(ymd) + n) * 86400 - ctx.off) * 1000)
end

-- Writes kept for the end of a batch (flush_writes, in the order first
-- made), nil in a call of one request: the day's counters, the pace, the
-- day's codes and the expiry of the day's keys, which a batch of issues
-- (batch()) would otherwise write once an issue.  What reads them back
-- takes them from here first (pace_read, resolve).
local function pending_new()
	return { stats = {}, stat_order = {}, hset = {}, hset_order = {}, past = {},
		past_order = {} }
end

-- The day's statistics: one hash, counters by field (see stats.c for the
-- names), kept for a week.  Written by the same scripts that change the
-- tickets, so they are never out of step.  A new hash has a new field
-- (then HINCRBY answers `by`): its week is set then, not on every count.
local function stat(field, by)
	by = by or 1
	local p = pending
	if p == nil then
		if redis.call('HINCRBY', STATS, field, istr(by)) == by then
			redis.call('EXPIRE', STATS, WEEK_S, 'NX')
		end
	elseif p.stats[field] == nil then
		p.stats[field] = by
		p.stat_order[#p.stat_order + 1] = field
	else
		p.stats[field] = p.stats[field] + by
	end
end

-- HSET key field value (in a batch: at its end); ttl: the key's expiry
-- (seconds) when that adds a field.
local function hset_later(key, field, value, ttl)
	if pending == nil then
		if redis.call('HSET', key, field, value) > 0 and ttl then
			redis.call('EXPIRE', key, ttl)
		end
		return
	end
	local h = pending.hset[key]
	if h == nil then
		h = { values = {}, order = {} }
		pending.hset[key] = h
		pending.hset_order[#pending.hset_order + 1] = key
	end
	if h.values[field] == nil then h.order[#h.order + 1] = field end
	h.values[field], h.ttl = value, ttl
end

-- The value a batch keeps for key's field, or nil.
local function pending_field(key, field)
	local h = pending and pending.hset[key]
	return h and h.values[field]
end

-- The wait histogram's bucket of a wait: ctx.wait holds the buckets'
-- upper bounds in minutes (then +inf), from the daemon's one table
-- (proto_wait_bucket_max_min in protocol/).
local function wait_bucket(ms)
	for i, m in ipairs(ctx.wait) do
		if ms <= m * 60000 then return i end
	end
	return #ctx.wait + 1
end

-- JSON of v: every key and value through cjson.encode, and a table made
-- by array() written [..] even when empty (Redis's cjson writes an empty
-- table as {}, and has no array marker of its own).  Other tables are
-- objects with string keys.  Numbers keep 14 significant digits (cjson's
-- default): times in ms (13) are exact; counters and sums stay far below.
local ARRAY = {}
local function array(t) return setmetatable(t or {}, ARRAY) end

-- Whether cjson.encode writes t as json() below would, in one C call (a
-- third of the time: a reply's JSON was a good part of a call): every
-- table in it not empty, and an object (string keys) unless array() made it.
local function cjson_writes(t)
	local arr, any = getmetatable(t) == ARRAY, false
	for k, x in pairs(t) do
		if (not arr and type(k) ~= 'string') or (type(x) == 'table' and not cjson_writes(x)) then
			return false
		end
		any = true
	end
	return any
end

local function json(v)
	if type(v) ~= 'table' or cjson_writes(v) then return cjson.encode(v) end
	local out = {}
	if getmetatable(v) == ARRAY then
		for i, x in ipairs(v) do out[i] = json(x) end
		return '[' .. table.concat(out, ',') .. ']'
	end
	for k, x in pairs(v) do out[#out + 1] = cjson.encode(tostring(k)) .. ':' .. json(x) end
	return '{' .. table.concat(out, ',') .. '}'
end

-- Whether the array a has entries and each is a filled table (a ticket's
-- visits: cjson writes an empty table as {}).
local function filled(a)
	if #a == 0 then return false end
	for _, x in ipairs(a) do
		if next(x) == nil then return false end
	end
	return true
end

local function refuse(code, msg)
	return json({ err = code, msg = msg })
end

-- Seconds from NOW to the end of the event-local day.
local function day_left_s()
	return 86400 - math.floor((NOW / 1000 + ctx.off) % 86400)
end

-- Keeps key at least until s seconds after the end of the event day of
-- NOW, by Redis's clock.  The expiry only moves later, and is written only
-- when it moves: a key of the day (its numbers, its codes) is written
-- once a day rather than on every issue, and outlives every ticket of the
-- day (each kept `retention` from its issue).
local function keep_past_day(key, s)
	local p = pending
	if p == nil then
		local at = REAL_S + day_left_s() + s
		if redis.call('EXPIRETIME', key) < at then redis.call('EXPIREAT', key, at) end
		return
	end
	if p.past[key] == nil then p.past_order[#p.past_order + 1] = key end
	p.past[key] = s                      -- at the batch's end (flush_writes)
end

-- The next arrival number (queue scores: first come, first called within
-- a priority).  A batch reads the counter once and writes it once, at its
-- end, with the same value as its issues' INCRs would have left.
local function next_seq()
	local p = pending
	if p == nil then return redis.call('INCR', P .. 'seq') end
	p.seq = (p.seq or tonumber(redis.call('GET', P .. 'seq') or '0')) + 1
	return p.seq
end

-- The writes kept for the end of a batch, in the order they were first
-- made: each counter once with the call's sum (a new field, HINCRBY
-- answering that sum, sets the hash's week), each hash once, then the
-- expiries (after the writes that may make their keys).
local function flush_writes()
	local p = pending
	pending = nil
	if p.seq then redis.call('SET', P .. 'seq', istr(p.seq)) end
	for _, field in ipairs(p.stat_order) do
		local by = p.stats[field]
		if redis.call('HINCRBY', STATS, field, istr(by)) == by then
			redis.call('EXPIRE', STATS, WEEK_S, 'NX')
		end
	end
	for _, key in ipairs(p.hset_order) do
		local h, flat = p.hset[key], {}
		for i, f in ipairs(h.order) do flat[2 * i - 1], flat[2 * i] = f, h.values[f] end
		if redis.call('HSET', key, unpack(flat)) > 0 and h.ttl then
			redis.call('EXPIRE', key, h.ttl)
		end
	end
	for _, key in ipairs(p.past_order) do
		local at = REAL_S + day_left_s() + p.past[key]
		if redis.call('EXPIRETIME', key) < at then redis.call('EXPIREAT', key, at) end
	end
end

-- A write script's body runs as `return idempotent(function() ... end)`.
-- Without an Idempotency-Key it just runs.  With one, the key's record is
-- read before anything is written: a record of the same request (its
-- fingerprint, a SHA-256 of method, path and body made by the daemon) is
-- answered again as it was, as {result, "replayed"}; a record of another
-- request is refused and nothing changes.  Otherwise the body runs and its
-- result, refusals included, is recorded for 24 h (from its last use) by this same script, so a
-- change and its record are never apart: a retry after a lost reply finds
-- either both or neither.  (A write refused by Redis itself, OOM or MISCONF,
-- is refused at the body's first write: nothing is changed or recorded.)
local IDEM_TTL = 86400
local function idempotent(body)
	local key = KEYS[2]
	if key == nil then return body() end
	local fp = ARGV[#ARGV]
	local rec = redis.call('GET', key)
	if rec then
		if string.sub(rec, 1, #fp + 1) ~= fp .. '\n' then
			return refuse('idempotency_key_reused',
				'this Idempotency-Key was already used for a different request')
		end
		-- a write all the same (the record kept 24 h from now): with
		-- redis-min-replicas the daemon's WAIT then covers the first
		-- answer's write too, even on a new connection.  Not while Redis
		-- refuses writes (the no-writes run, RO): the answer all the same.
		if RO then
			redis.pcall('EXPIRE', key, IDEM_TTL)
		else
			redis.call('EXPIRE', key, IDEM_TTL)
		end
		local text = string.sub(rec, #fp + 2)
		-- a flat reply (flat_reply) is kept as a JSON array, and answered
		-- again as the array it was
		if string.byte(text, 1) == 91 then return { cjson.decode(text), 'replayed' } end
		return { text, 'replayed' }
	end
	local res = body()
	-- Redis refuses this write (OOM, MISCONF) only when the body wrote
	-- nothing: a script that has written may go on.  Then there is no
	-- change to pair it with, and the answer (a refusal) goes out unrecorded.
	local text = type(res) == 'table' and cjson.encode(res) or res
	redis.pcall('SET', key, fp .. '\n' .. text, 'EX', IDEM_TTL)
	return res
end

-- Whether `state` is one of `states`, space separated (the station
-- operations' tables: station.lua's OPS, call.lua).
local function state_in(states, state)
	return string.find(' ' .. states .. ' ', ' ' .. state .. ' ', 1, true) ~= nil
end

local function stage_index(id)
	for i, s in ipairs(ctx.stages) do
		if s.id == id then return i end
	end
	return nil
end

local function tkey(id) return P .. 't:' .. id end
local function qkey(stage) return P .. 'q:' .. stage end
-- today's deferred tickets of a stage, by when they were deferred: the
-- stations' list to call them back from (station.lua, call.lua, deferred.lua)
local function dkey(stage) return P .. 'deferred:' .. TODAY .. ':' .. stage end

-- A new ticket's hash leaves out each field that is its default, and its
-- id and day (the key's): half as many fields to write (issue.lua).
-- Whoever reads a ticket's fields takes these for the missing ones.
local TICKET_DEFAULTS = { station = '', hold_until = '0', recalls = '0', area = '',
	ckey = '', elderly = '0' }

-- A ticket as a table of its hash fields (the defaults filled in, the id
-- the key's), visits decoded; nil if none.
local function load(id)
	local flat = redis.call('HGETALL', tkey(id))
	if #flat == 0 then return nil end
	local t = { id = id }
	for k, v in pairs(TICKET_DEFAULTS) do t[k] = v end
	for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
	t.visits = cjson.decode(t.visits)
	return t
end

-- Writes the fields that change; visits are kept as their JSON text.
local function save(t)
	redis.call('HSET', tkey(t.id), 'state', t.state, 'stage', t.stage,
		'station', t.station, 'hold_until', t.hold_until, 'recalls', t.recalls,
		'visits', cjson.encode(t.visits))
end

local function visit(t) return t.visits[#t.visits] end

-- A call at station st: counted by minute, its wait (queued to called)
-- summed and put in the stage's histogram.
local function stat_call(st, stage, v)
	local wait = NOW - v.queued_at
	stat('c|' .. st .. '|' .. MINUTE_S)
	stat('ws|' .. st, wait)
	stat('wh|' .. stage .. '|' .. wait_bucket(wait))
	local waits = P .. 'waits:' .. TODAY .. ':' .. stage  -- exact percentiles (stats.lua)
	redis.call('RPUSH', waits, wait)
	redis.call('EXPIRE', waits, 8 * 86400)
end

-- A completion at station st: by outcome and minute; service time (start,
-- or else call, to complete) summed.
local function stat_done(st, outcome, v)
	stat(outcome:sub(1, 1) .. '|' .. st .. '|' .. MINUTE_S)   -- d, r or x (deferred)
	if v.called_at then
		stat('ss|' .. st, NOW - (v.started_at or v.called_at))
		stat('sn|' .. st)
	end
end

-- The estimates' state, one hash a stage per event day (a new day starts
-- with none: yesterday's pace says nothing of this morning):
--   last, gap   the stage's last call and the smoothed gap between calls
--   svc         its last SVC_KEEP service times, call to completion (ms)
--   r|P, rt|P   arrivals of priority index P there, an exponentially
--               decayed count (time constant RATE_TAU) and when it was
--               last decayed; t0 the stage's first arrival of the day
local SVC_KEEP, RATE_TAU = 30, 600000
local function pace_touch(fields)
	-- kept until an hour after the day ends: set when a field is new (the
	-- hash's first of the day among them; a later one sets the same end)
	if pending == nil then
		if redis.call('HSET', PACE, unpack(fields)) > 0 then
			redis.call('EXPIRE', PACE, day_left_s() + 3600)
		end
	else
		for i = 1, #fields, 2 do
			hset_later(PACE, fields[i], fields[i + 1], day_left_s() + 3600)
		end
	end
	-- the fields as read, with what was written (Redis keeps a number
	-- exactly, %.17g: read back it is the same number)
	for i = 1, #fields, 2 do pace_memo[fields[i]] = fields[i + 1] end
	stage_memo = {}
end
-- What Redis has of the pace (HMGET's names and values) into pace_memo,
-- under what this batch is yet to write.
local function pace_read(names, vals)
	for i, name in ipairs(names) do
		local v = pending_field(PACE, name) or vals[i]
		if v then pace_memo[name] = v end
	end
end
-- The whole hash, read once a call.
local function pace_get()
	if not pace_full then
		local flat, h = redis.call('HGETALL', PACE), pending and pending.hset[PACE]
		pace_memo, pace_full = {}, true
		for i = 1, #flat, 2 do pace_memo[flat[i]] = flat[i + 1] end
		-- what this batch is yet to write stands over what Redis has
		for f, v in pairs(h and h.values or {}) do pace_memo[f] = v end
	end
	return pace_memo
end
-- A stage's arrival fields (t0, and r|P, rt|P of priority indices 0 ..
-- top) read with one HMGET, not the whole hash: all that an issue reads,
-- and the service times are most of the hash on a busy day.
local function pace_arrivals(stage, top)
	local k = stage .. '|' .. istr(top)
	if not pace_full and not pace_arr[k] then
		local names = { stage .. '|t0' }
		for i = 0, top do
			names[#names + 1] = stage .. '|r|' .. istr(i)
			names[#names + 1] = stage .. '|rt|' .. istr(i)
		end
		pace_read(names, redis.call('HMGET', PACE, unpack(names)))
		pace_arr[k] = true
	end
	return pace_memo
end

-- An arrival of priority index prio at a stage (enqueue): the rate at
-- which people who may overtake a waiting ticket come.
local function note_arrival(stage, prio)
	prio = tonumber(prio)
	local p, k, kt = pace_arrivals(stage, math.max(prio, ctx.regular)),
		stage .. '|r|' .. istr(prio), stage .. '|rt|' .. istr(prio)
	local n, at = tonumber(p[k] or '0'), tonumber(p[kt] or NOW)
	local fields = { k, n * math.exp(-(NOW - at) / RATE_TAU) + 1, kt, NOW_S }
	if not p[stage .. '|t0'] then fields[5], fields[6] = stage .. '|t0', NOW_S end
	pace_touch(fields)
end

-- Puts t at the back of its priority band in stage i's queue.
local function enqueue(t, i)
	local s = ctx.stages[i]
	local seq = next_seq()
	t.state, t.stage, t.station = 'waiting', s.id, ''
	t.visits[#t.visits + 1] = { stage = s.id, queued_at = NOW }
	t.score = tonumber(t.prio) * PRIO_STEP + seq
	redis.call('ZADD', qkey(s.id), istr(t.score), t.id)
	stat('a|' .. s.id .. '|' .. MINUTE_S)     -- arrivals at the stage
	note_arrival(s.id, t.prio)
	if s.hold > 0 then
		t.hold_until = NOW + s.hold
		redis.call('ZADD', P .. 'holds', t.hold_until, t.id)
	else
		t.hold_until = 0
	end
end

-- The dose record of a dose given (PROTOCOL.md, "Coverage across the
-- campaign"): one JSON line on the event's outbox, written by the script
-- that completes the dose, so that a dose never lacks its record.  The
-- campaign's keys live in another Redis Cluster slot, where no event
-- script may write: the daemon applies the outbox there
-- (coverage_apply.lua) and only then removes the lines (coverage_trim.lua).
-- The ticket keeps the day a next dose may be given from, for the person's
-- page.  Nothing here is the NIK: pkey is its campaign key (issue.lua).
local function dose_record(t)
	local svc = (ctx.svc or {})[t.service] or { 1, 0 }
	redis.call('RPUSH', P .. 'cov:outbox', json({ t = t.id, ev = string.match(P, '{(.-)}'),
		day = TODAY, at = NOW, dose = svc[1], next_after = svc[2], area = t.area or '',
		elderly = tonumber(t.elderly) == 1 and 1 or 0, pkey = t.ckey or '' }))
	if svc[1] == 1 and svc[2] > 0 then
		t.next_dose = day_add(TODAY, svc[2])
		redis.call('HSET', tkey(t.id), 'next_dose', t.next_dose)
	end
end

-- After "done" at stage i: on to the next stage, or finished.
local function advance(t, i)
	if i == ctx.dose + 1 then
		dose_record(t)
		redis.call('INCR', P .. 'doses:' .. TODAY)
		stat('dm|' .. MINUTE_S)                 -- doses by minute,
		stat('ds|' .. t.service)              -- by service,
		stat('dp|' .. t.priority)             -- by priority,
		stat('da|' .. (t.area ~= '' and t.area or '-'))  -- by area
	end
	if i < #ctx.stages then
		enqueue(t, i + 1)
	else
		t.state, t.station, t.hold_until = 'done', '', 0
	end
end

-- A change to what the estimates are made of (desks, queues, pace): the
-- estimates kept between issues are dropped (keep_estimates), once a call.
-- The generation is Redis's time to the microsecond: no two calls have
-- the same, in one database or in two (the library's state is shared by
-- every database of a server).  Returns the generation.
local function estimates_changed()
	if not gen_written then
		local t = redis.call('TIME')
		gen_written = t[1] .. '.' .. t[2]
		redis.call('SET', P .. 'estgen', gen_written, 'EX', 86400)
	end
	return gen_written
end

-- Appends a change to the event's stream for the live displays.  Every
-- call that publishes but an issue has changed the estimates.
local function publish(kind, data)
	redis.call('XADD', P .. 'stream', 'MAXLEN', '~', ctx.maxlen_s, '*',
		'type', kind, 'data', data)
	if not ISSUE then estimates_changed() end
end

-- The stream's "ticket" entry: nothing personal.
local function publish_ticket(t)
	-- no table in it: cjson writes it as json() would (and escapes what
	-- needs it: the records rely on no id being plain, test_records)
	publish('ticket', cjson.encode({ id = t.id, code = t.code, state = t.state, stage = t.stage,
		station = t.station, hold_until = tonumber(t.hold_until), at = NOW }))
end

-- A call (or recall) of t at a station: the stream's "call" entry, kept
-- among the board's last ten calls.
local function announce_call(t, station, stage, number, recall)
	local call = json({ ticket = t.id, code = t.code, station = station, stage = stage,
		station_number = number, recall = recall, at = NOW })
	redis.call('LPUSH', P .. 'lastcalls', call)
	redis.call('LTRIM', P .. 'lastcalls', 0, 9)
	publish('call', call)
end

-- A station as the board, a pause or resume, and the stream's "station"
-- entry (with `at`) show it.
local function station_view(id, stage, number)
	local s = redis.call('HMGET', P .. 'st:' .. id, 'state', 'ticket')
	local code, tstate = '', ''
	if s[2] and s[2] ~= '' then
		local t = redis.call('HMGET', tkey(s[2]), 'code', 'state')
		code, tstate = t[1] or '', t[2] or ''
	end
	-- the ticket's state: the TV shows called apart from serving
	return { id = id, stage = stage, number = number, state = s[1] or 'open',
		ticket_id = s[2] or '', ticket_code = code, ticket_state = tstate }
end

-- A call at a stage: the smoothed gap between calls (EWMA, 1/5 to the
-- newest gap), the service time's fallback before any completion.
local function note_call(stage)
	local p = pace_get()
	local last, gap = tonumber(p[stage .. '|last']), tonumber(p[stage .. '|gap'])
	local fields = { stage .. '|last', NOW }
	if last then
		local g = math.min(NOW - last, 1800000) -- a long pause is not the pace
		gap = gap and (gap * 4 + g) / 5 or g
		fields[3], fields[4] = stage .. '|gap', math.floor(gap)
	end
	pace_touch(fields)
end

-- A completion at a stage (station.lua): the desk was taken from the call
-- to now; the last SVC_KEEP such times are kept.
local function note_done(stage, v)
	if not v.called_at then return end
	local raw = pace_get()[stage .. '|svc']
	local svc = raw and cjson.decode(raw) or {}
	svc[#svc + 1] = NOW - v.called_at
	while #svc > SVC_KEEP do table.remove(svc, 1) end
	pace_touch({ stage .. '|svc', cjson.encode(svc) })
end

local SVC_DEFAULT = 60000       -- ms a desk takes per person before any data

-- A robust service time (ms) and its spread: the mean of the recent times,
-- each clipped to [median / 3, 3 x median] (one forgotten ticket does not
-- move it, and the skew of real services is kept); before any completion
-- the gap between calls times the desks, then SVC_DEFAULT.
local function service_time(stage, desks)
	local p = pace_get()
	local svc = p[stage .. '|svc'] and cjson.decode(p[stage .. '|svc']) or {}
	if #svc == 0 then
		local gap = tonumber(p[stage .. '|gap'])
		local s = gap and math.max(gap * math.max(desks, 1), 1000) or SVC_DEFAULT
		return s, s * 0.4
	end
	table.sort(svc)
	local med = svc[math.floor((#svc + 1) / 2)]
	local sum, sq = 0, 0
	for _, x in ipairs(svc) do
		x = math.min(math.max(x, med / 3), med * 3)
		sum, sq = sum + x, sq + x * x
	end
	local mean = sum / #svc
	local sd = #svc >= 3 and math.sqrt(math.max(sq / #svc - mean * mean, 0)) or mean * 0.4
	return math.max(mean, 1000), sd
end

-- Arrivals per ms of priority indices lo..hi at a stage: the
-- decayed counts over RATE_TAU, corrected for a day younger than that.
-- The event's indices run 0 .. ctx.regular (the last, the default).
local function arrival_rate(stage, lo, hi)
	local memo = 'r|' .. stage .. '|' .. istr(lo) .. '|' .. istr(hi)
	if stage_memo[memo] then return stage_memo[memo] end
	local p = pace_arrivals(stage, ctx.regular)
	local t0 = tonumber(p[stage .. '|t0'])
	if not t0 then return 0 end
	local warm = 1 - math.exp(-math.max(NOW - t0, 300000) / RATE_TAU)
	local rate = 0
	for idx = math.max(lo, 0), math.min(hi, ctx.regular) do
		local n = p[stage .. '|r|' .. istr(idx)]
		if n then
			local at = tonumber(p[stage .. '|rt|' .. istr(idx)]) or NOW
			rate = rate + tonumber(n) * math.exp(-(NOW - at) / RATE_TAU)
		end
	end
	stage_memo[memo] = rate / RATE_TAU / warm
	return stage_memo[memo]
end

-- A stage with desks as the model sees it now: its open desks (paused ones
-- serve nobody new), when each will be free (0 free now; a desk serving
-- since e is free after the service time less e, at least 0.3 of it: an
-- overlong service may end any moment), sorted; the service time and its
-- spread.  Read once a script run.
local function stage_model(i)
	local s = ctx.stages[i]
	local memo = kept or stage_memo
	if memo[s.id] then return memo[s.id] end
	local busy = {}
	for n = 1, s.n do
		local st = redis.call('HMGET', P .. 'st:' .. s.id .. '-' .. n, 'state', 'ticket', 'last_call')
		if st[1] ~= 'paused' then
			busy[#busy + 1] = (st[2] and st[2] ~= '') and NOW - (tonumber(st[3]) or NOW) or -1
		end
	end
	local S, sd = service_time(s.id, #busy)
	local free = {}
	for k, e in ipairs(busy) do free[k] = e < 0 and 0 or math.max(S - e, 0.3 * S) end
	table.sort(free)
	local m = { id = s.id, free = free, S = S, sd = sd }
	memo[s.id] = m
	return m
end

-- Where a score would stand in a stage's queue under the event's policy:
-- how many will be called before it if nobody new comes (pos), how many
-- who come later may still go before it (slack), and their priority
-- indices (lo..hi).
local function standing(stage, score)
	local q = qkey(stage)
	local band = math.floor(score / PRIO_STEP)
	local below = '(' .. istr(score)   -- scores are whole
	if ctx.every == 0 then
		local pos = redis.call('ZCOUNT', q, '-inf', below)
		return pos, math.huge, 0, band - 1
	end
	local n, base = ctx.every, ctx.regular * PRIO_STEP
	local base_s = istr(base)
	local c = math.min(tonumber(redis.call('GET', P .. 'il:' .. stage) or '0'), n)
	if score >= base then
		local ahead = redis.call('ZCOUNT', q, base_s, below)
		local prio = redis.call('ZCOUNT', q, '-inf', '(' .. base_s)
		local cap = math.floor((c + ahead) / n)
		return ahead + math.min(prio, cap), math.max(cap - prio, 0), 0, ctx.regular - 1
	end
	local ahead = redis.call('ZCOUNT', q, '-inf', below)
	local regular = redis.call('ZCOUNT', q, base_s, '+inf')
	local allow = math.max(0, n - c) + ahead * n
	return ahead + math.min(regular, allow), math.max(allow - regular, 0), ctx.regular, 1e9
end

-- Where t stands at its stage (standing's four figures: the first is how
-- many will be called before it), or -1 when t does not wait.
local function stands(t)
	if t.state ~= 'waiting' then return -1 end
	-- queued by this call, t has its score (enqueue); else it is read
	local score = t.score or tonumber(redis.call('ZSCORE', qkey(t.stage), t.id))
	if score == nil then return -1 end
	return standing(t.stage, score)
end

-- The wait (ms) at stage i of someone `pos` places from the front, and
-- its spread: the (pos+1)-th desk to come free, each desk then taking the
-- service time per person; plus those of higher priority (indices lo..hi)
-- who arrive meanwhile, at most `slack` of them, each taking a desk's turn.
-- nil when no desk is open.
local function wait_ms(i, pos, slack, lo, hi)
	local m = stage_model(i)
	local c = #m.free
	if c == 0 then return nil end
	local base = m.free[pos % c + 1] + math.floor(pos / c) * m.S
	local lambda = lo <= hi and arrival_rate(m.id, lo, hi) or 0
	local turn = m.S / c
	-- first order: those who come while it waits its base time (arrivals
	-- past a busy hour's peak thin out, and 1 / (1 - rho) overshot them)
	local jumpers = math.min(lambda * base, slack)
	local w = base + jumpers * turn
	-- renewal spread of pos+1 services over c desks, Poisson newcomers, and
	-- a tenth of the wait for what the model does not know (breaks, walks)
	local var = (pos + 1) * m.sd * m.sd / (c * c) + jumpers * turn * turn
	return w, 1.28 * math.sqrt(var) + 0.1 * w
end

-- ms as whole seconds, to the nearest ten: a waiting person's view then
-- changes every ten seconds, not every second a desk works (each change
-- is pushed to everyone following their ticket).
local function to_10s(ms)
	return math.floor(ms / 10000 + 0.5) * 10
end

-- Seconds until someone with that standing at stage i is called, and the
-- range [low, high] in whole minutes, at least a minute either side; nil
-- for a timed wait or a stage with no desk open.
local function estimate(i, pos, slack, lo, hi)
	if pos < 0 or not i or ctx.stages[i].hold > 0 then return nil end
	local w, h = wait_ms(i, pos, slack, lo, hi)
	if not w then return nil end
	h = math.max(h, 60000)
	local low = math.max(math.floor((w - h) / 60000), 0) * 60
	return to_10s(w), array({ low, math.ceil((w + h) / 60000) * 60 })
end

-- The wait a newcomer of priority index prio can expect at stage i.
-- (Kept for the script run: views.lua asks it for every ticket.)
local function newcomer(i, prio)
	local k, memo = 'n|' .. istr(i) .. '|' .. istr(tonumber(prio)), kept or stage_memo
	if memo[k] == nil then
		memo[k] = { estimate(i, standing(ctx.stages[i].id, (prio + 1) * PRIO_STEP - 1)) }
	end
	return unpack(memo[k])
end

-- Estimates kept from one issue to the next, the busiest call (an issue's
-- reply has the ticket's wait and when it may leave, a third of the
-- call's time): each stage's model (its desks and pace, stage_model) and a
-- newcomer's wait there, for at most KEEP_MS.  Only other calls change
-- them, and each such call writes a new generation to estgen
-- (estimates_changed, publish): kept ones of another are dropped.  An
-- event without one (none changed for a day) is given one first.  An
-- issue changes only the queue and arrivals of its first stage, and asks
-- a newcomer's wait only of the stages after it (leave_eta).  Within
-- KEEP_MS a desk's remaining service and the decayed arrival rates move
-- far less than the estimates' ten-second steps.  Kept in the library's
-- state, by event, at most KEEP_EVENTS events.
local KEEP_MS, KEEP_EVENTS = 1000, 64
local kept_by_event, kept_events = {}, 0
local function keep_estimates()
	-- read once a call (a batch's issues change none: only this call's
	-- own estimates_changed would, and it says so in gen_written)
	local gen = gen_written or gen_read
	if not gen then
		gen = redis.call('GET', P .. 'estgen') or estimates_changed()
		gen_read = gen
	end
	local k = kept_by_event[P]
	if k == nil or k.gen ~= gen or k.ctx ~= ctx or k.day ~= TODAY or
			NOW < k.at or NOW - k.at >= KEEP_MS then
		if k == nil then
			if kept_events >= KEEP_EVENTS then kept_by_event, kept_events = {}, 0 end
			kept_events = kept_events + 1
		end
		k = { gen = gen, ctx = ctx, day = TODAY, at = NOW, memo = {} }
		kept_by_event[P] = k
	end
	kept = k.memo
end

-- A newcomer's way through the stages after stage i, in ms: at each its
-- wait and service (a timed wait: its hold); false when one of them has
-- no desk open.  The same for every ticket of that priority there: kept
-- with the estimates, under a number (no name to build on every reply;
-- every other key of the memo is a name).
local function after_stage(i, prio)
	local memo, k = kept or stage_memo, -(i * 4096 + prio) - 1
	local ms = memo[k]
	if ms == nil then
		ms = 0
		for j = i + 1, #ctx.stages do
			if ctx.stages[j].hold > 0 then
				ms = ms + ctx.stages[j].hold
			else
				local w = newcomer(j, prio)
				if not w then
					ms = false
					break
				end
				ms = ms + w * 1000 + stage_model(j).S
			end
		end
		memo[k] = ms
	end
	return ms
end

-- Seconds until a ticket may leave the venue: what is left of its wait and
-- service here (a timed wait: of its hold), then for each stage ahead a
-- newcomer's wait and the service (a timed wait: its hold); -1 when it is
-- not on its way (done, cancelled, skipped ...) or a stage has no desk open.
local function leave_eta(f, eta_ms)
	local i = stage_index(f.stage)
	if not i then return -1 end
	local ms
	if f.state == 'waiting' and tonumber(f.hold_until) > 0 then
		ms = math.max(tonumber(f.hold_until) - NOW, 0)
	elseif f.state == 'waiting' and eta_ms then
		ms = eta_ms + stage_model(i).S
	elseif f.state == 'called' or f.state == 'serving' then
		local S = stage_model(i).S
		local since = NOW - tonumber(redis.call('HGET', P .. 'st:' .. f.station, 'last_call') or NOW)
		ms = math.max(S - since, 0.3 * S)
	else
		return -1
	end
	local rest = after_stage(i, tonumber(f.prio or ctx.regular))
	if not rest then return -1 end
	return to_10s(ms + rest)
end

-- The estimate fields of a ticket's views: eta_s (-1 unknown), eta_range_s
-- (null unknown), leave_eta_s (-1 unknown).
-- From where f stands (stands()).
local function estimates(f, pos, slack, lo, hi)
	local eta, range
	if pos >= 0 then eta, range = estimate(stage_index(f.stage), pos, slack, lo, hi) end
	return eta or -1, range or cjson.null, leave_eta(f, eta and eta * 1000)
end

-- The ticket as the daemon reads it (times in ms, 0 = none).
local function view(t)
	local pos, slack, lo, hi = stands(t)
	local eta, range, leave = estimates(t, pos, slack, lo, hi)
	return { id = t.id, code = t.code, service = t.service, priority = t.priority,
		area = t.area, state = t.state, stage = t.stage, station = t.station,
		issued_at = tonumber(t.issued_at), hold_until = tonumber(t.hold_until),
		recalls = tonumber(t.recalls), position = pos, eta_s = eta, eta_range_s = range,
		leave_eta_s = leave, visits = array(t.visits), next_dose = t.next_dose or '' }
end

-- The public view of a ticket (views.lua: the people following their own
-- tickets) from its fields code, service, state, stage, station,
-- issued_at, hold_until, recalls, prio, next_dose.
local function public_view(id, f)
	f.id = id
	local pos, slack, lo, hi = stands(f)
	local eta, range, leave = estimates(f, pos, slack, lo, hi)
	return { id = id, code = f.code, service = f.service, state = f.state,
		stage = f.stage, station = f.station, issued_at = tonumber(f.issued_at),
		hold_until = tonumber(f.hold_until), recalls = tonumber(f.recalls),
		position = pos, eta_s = eta, eta_range_s = range, leave_eta_s = leave,
		next_dose = f.next_dose or '' }
end

-- {"ticket": view}, or {"ticket": null} for none.  A view's tables are
-- its range (filled, or null) and its visits, filled once it was queued:
-- then cjson writes it as json() would, without json()'s walk through
-- every key (a tenth of an issue's time in Redis).
local function ticket_reply(t)
	local v = t and view(t)
	if v and filled(v.visits) then return cjson.encode({ ticket = v }) end
	return json({ ticket = v or cjson.null })
end

-- An issue's reply: the view as a flat array, not JSON (record.c's
-- record_flat_ticket reads it): Redis writes its numbers as integers,
-- where cjson writes each through printf (the JSON of this reply was a
-- seventh of an issue's time in Redis).  FLAT_TICKET, then id, code,
-- service, priority, area, state, stage, station, issued_at, hold_until,
-- recalls, position, eta_s, the range's low and high (-1: null),
-- leave_eta_s, the visits as JSON (text) and next_dose.
local FLAT_TICKET = 'ticket'
local function flat_reply(t, visits_json)
	local pos, slack, lo, hi = stands(t)
	local eta, range, leave = estimates(t, pos, slack, lo, hi)
	local low, high = -1, -1
	if range ~= cjson.null then low, high = range[1], range[2] end
	return { FLAT_TICKET, t.id, t.code, t.service, t.priority, t.area, t.state, t.stage,
		t.station, tonumber(t.issued_at), tonumber(t.hold_until), tonumber(t.recalls), pos, eta,
		low, high, leave, visits_json, t.next_dose or '' }
end

-- A ticket by id, or by code ("A-017") among today's.
local function resolve(ref)
	if string.find(ref, '^%u+%-%d+$') then
		local codes = P .. 'codes:' .. TODAY
		local id = pending_field(codes, ref) or redis.call('HGET', codes, ref)
		if not id then return nil end
		return load(id)
	end
	return load(ref)
end

-- Days end.  The first script of a new event day (any script: an issue, a
-- call, a station's operation, the sweep, a read) first closes out the
-- earlier days' unfinished tickets (waiting, called, serving, skipped, in a
-- timed wait): each becomes `expired` (its last visit's outcome too), leaves
-- every queue, the holds and the station holding it (which is freed), and is
-- counted in ITS day's statistics as e|STAGE.  Today's queues then hold only
-- today's tickets.  The key "day" is the event day of the last issue
-- (mark_day, issue.lua), deleted once that day is closed out: one GET when
-- there is nothing to do, and no write on an event with nothing to close.
-- All in the one script, so a failure changes nothing or all of it, and a
-- ticket already closed is not closed twice.  A clock set back (an earlier
-- day than "day") closes nothing.
local OPEN_STATES = 'waiting called serving skipped'

local function expire_ticket(id, freed)
	-- most of a day's tickets are finished: one HGET for those
	if not state_in(OPEN_STATES, redis.call('HGET', tkey(id), 'state') or '') then return end
	-- a ticket whose visits cannot be read must not stop every script of
	-- the event: it is expired with its visits left as they are
	local ok, t = pcall(load, id)
	if not ok then
		local f = redis.call('HMGET', tkey(id), 'state', 'stage')
		t = { id = id, state = f[1] or '', stage = f[2] or '', station = '', visits = {} }
	end
	if t == nil or not state_in(OPEN_STATES, t.state) then return end
	local day = t.day or string.sub(id, 1, 8)
	if day >= TODAY then return end
	redis.call('ZREM', qkey(t.stage), id)
	redis.call('ZREM', P .. 'holds', id)
	if t.station ~= '' then
		local skey = P .. 'st:' .. t.station
		if redis.call('HGET', skey, 'ticket') == id then
			redis.call('HSET', skey, 'ticket', '')
			freed[t.station] = true
		end
	end
	if #t.visits > 0 then visit(t).outcome = 'expired' end
	t.state, t.station, t.hold_until = 'expired', '', 0
	if ok then
		save(t)
	else
		redis.call('HSET', tkey(id), 'state', 'expired', 'station', '', 'hold_until', 0)
	end
	local stats = P .. 'stats:' .. day
	redis.call('HINCRBY', stats, 'e|' .. t.stage, 1)
	redis.call('EXPIRE', stats, 8 * 86400, 'NX')
	publish_ticket(t)
end

-- Who may be unfinished: the last issue day's tickets (the skipped ones are
-- in no queue), and whoever a queue, the holds or a station still has
-- (tickets of any earlier day).
local function unfinished(last)
	local ids, seen = {}, {}
	local function add(id)
		if id and id ~= '' and not seen[id] then
			seen[id] = true
			ids[#ids + 1] = id
		end
	end
	for _, id in ipairs(redis.call('HVALS', P .. 'codes:' .. last)) do add(id) end
	for _, s in ipairs(ctx.stages) do
		for _, id in ipairs(redis.call('ZRANGE', qkey(s.id), 0, -1)) do add(id) end
		for n = 1, s.n do add(redis.call('HGET', P .. 'st:' .. s.id .. '-' .. n, 'ticket')) end
	end
	for _, id in ipairs(redis.call('ZRANGE', P .. 'holds', 0, -1)) do add(id) end
	return ids
end

local function rollover()
	if day_marked == '' or day_marked >= TODAY then return end
	need_write()
	local freed = {}
	for _, id in ipairs(unfinished(day_marked)) do expire_ticket(id, freed) end
	for _, s in ipairs(ctx.stages) do
		redis.call('DEL', P .. 'il:' .. s.id)       -- the interleave starts afresh
		for n = 1, s.n do
			local id = s.id .. '-' .. n
			if freed[id] then
				local v = station_view(id, s.id, n)
				v.at = NOW
				publish('station', json(v))
			end
		end
	end
	redis.call('DEL', P .. 'lastcalls')             -- yesterday's calls are not today's
	redis.call('DEL', P .. 'pace')                  -- the undated pace of earlier releases
	redis.call('DEL', P .. 'day')
	day_marked = ''
end

-- issue.lua: today has a ticket, to be closed out when the day has ended.
local function mark_day()
	if day_marked < TODAY then
		redis.call('SET', P .. 'day', TODAY)
		day_marked = TODAY
	end
end

-- The decoded contexts by their reference: an event's context is the same
-- text on every call until its file changes, and antred sends it as "#"
-- and the first 16 hex digits of its text's SHA-1 (store_script.c), a few
-- bytes instead of hundreds (a call's bytes are most of what Redis reads).
-- A context sent as text (a JSON object) is decoded and kept by the same
-- reference; a reference not kept (Redis restarted, the library reloaded,
-- the context evicted) is refused with ANTRE_NOCTX before anything else,
-- and antred sends the call again with the text.  A reference is a hash of
-- the text: daemons with different contexts for one event share the cache.
-- Never changed by a script; at most CTX_KEEP kept.
local CTX_KEEP = 64
local ctx_cache, ctx_count = {}, 0
local function context(arg)
	local c = ctx_cache[arg]
	if c ~= nil then return c end
	if string.byte(arg, 1) == 35 then     -- '#': a reference not kept
		error({ err = 'ANTRE_NOCTX no context ' .. arg .. ': send its text' })
	end
	local ref = '#' .. string.sub(redis.sha1hex(arg), 1, 16)
	c = ctx_cache[ref]
	if c == nil then
		c = cjson.decode(arg)
		-- as text once, not on every call (istr above)
		if c.retention then c.retention_s = istr(c.retention) end
		if c.maxlen then c.maxlen_s = istr(c.maxlen) end
		if ctx_count >= CTX_KEEP then ctx_cache, ctx_count = {}, 0 end
		ctx_cache[ref], ctx_count = c, ctx_count + 1
	end
	return c
end

-- Before every call: the call's state, then the close-out of ended days.
local function begin(keys, args, ro)
	KEYS, ARGV, RO = keys, args, ro
	P, ctx = keys[1], context(args[1])
	NOW = now_ms()
	TODAY = day_of(NOW)
	-- the event-local minute of the day, 0 .. 1439, for the day's statistics
	MINUTE = math.floor(((NOW / 1000 + ctx.off) % 86400) / 60)
	NOW_S, MINUTE_S = istr(NOW), istr(MINUTE)
	STATS = P .. 'stats:' .. TODAY
	PACE, pace_memo, stage_memo = P .. 'pace:' .. TODAY, {}, {}
	pace_full, pace_arr = false, {}
	kept, ISSUE, gen_written, gen_read = nil, false, false, nil
	pending = nil
	day_marked = redis.call('GET', P .. 'day') or ''
	rollover()
end

-- A batch (daemon/queue_batch.c): several requests for one script in one
-- call, after one begin(), each run as if it were called alone but that
-- they share the call's time.  ARGV: the context, N, A, then for each
-- request its A arguments, the index in KEYS of its Idempotency-Key's
-- record (0 for none) and its fingerprint ("" for none).  Returns each
-- request's reply in order; one that failed is its error, and the others
-- stand, as they would from separate calls.
local function batch(fn, keys, args)
	local n, a, at, out = tonumber(args[2]), tonumber(args[3]), 4, {}
	if n > 1 then pending = pending_new() end
	for i = 1, n do
		local k = tonumber(args[at + a])
		KEYS, ARGV = { keys[1] }, { args[1] }
		for j = 1, a do ARGV[j + 1] = args[at + j - 1] end
		if k > 0 then KEYS[2], ARGV[a + 2] = keys[k], args[at + a + 1] end
		local ok, res = pcall(fn)
		if not ok then
			-- a failed redis.call ("CODE text": OOM, MISCONF ...), or ours
			res = { err = type(res) == 'table' and tostring(res.err) or tostring(res) }
		end
		out[i] = res
		at = at + a + 2
	end
	if pending then flush_writes() end
	return out
end
