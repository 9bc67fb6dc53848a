--! no-writes
-- stats: the raw figures of one event day for the organisers: the day's
-- statistics hash (counters by field, see stats.c), who waits now, every
-- station's state, and issued counts by service.
-- ARGV: ctx, day (YYYYMMDD, "" for today), then the services' ids.
local day = ARGV[2] ~= '' and ARGV[2] or TODAY
local out = { now = NOW, day = day, minute = MINUTE }
-- Bounded: the day's hash has a field per station and active minute and
-- kind (stations x 1,440 x 6 at most), per stage bucket, service and
-- priority, and one per area that had a dose: a few thousand on a real day,
-- a read of a few ms.  The areas are the one part that grows with the
-- crowd (each distinct area typed); reading them in HSCAN pages is the next
-- step if an event ever has tens of thousands.
local flat = redis.call('HGETALL', P .. 'stats:' .. day)
out.fields = {}
for i = 1, #flat, 2 do
	out.fields[flat[i]] = tonumber(flat[i + 1])
end
out.waiting, out.stations = {}, array()
-- At a timed wait, those whose hold is over have left their chairs even
-- before the sweep (once a second, 100 at a time) moves them on: they do
-- not count.  Bounded by what the sweep has yet to move.
local due
for _, s in ipairs(ctx.stages) do
	local n = redis.call('ZCARD', qkey(s.id))
	if s.hold > 0 and n > 0 then
		due = due or redis.call('ZRANGEBYSCORE', P .. 'holds', '-inf', NOW)
		for _, id in ipairs(due) do
			if redis.call('ZSCORE', qkey(s.id), id) then n = n - 1 end
		end
	end
	out.waiting[s.id] = n
	for n = 1, s.n do
		local id = s.id .. '-' .. n
		local st = redis.call('HMGET', P .. 'st:' .. id, 'state', 'ticket', 'last_call')
		out.stations[#out.stations + 1] = { id = id, state = st[1] or 'open',
			ticket = st[2] or '', last_call = tonumber(st[3] or '0') }
	end
end
-- Each stage's waits of the day, exact (stat_call keeps them in a list, one
-- per call, so bounded by the day's tickets): the median and the 90th
-- percentile (nearest rank), seconds.
out.waits = {}
for _, s in ipairs(ctx.stages) do
	local w = redis.call('LRANGE', P .. 'waits:' .. day .. ':' .. s.id, 0, -1)
	if #w > 0 then
		for i = 1, #w do w[i] = tonumber(w[i]) end
		table.sort(w)
		local function at(q) return math.floor(w[math.max(1, math.ceil(q * #w))] / 1000 + 0.5) end
		out.waits[s.id] = { n = #w, p50 = at(0.5), p90 = at(0.9) }
	end
end
-- The earlier days of the event (up to a week, today's figures only):
-- arrivals at the first stage by hour, summed over the days that had any.
out.prev_days, out.prev = 0, array()
for h = 1, 24 do out.prev[h] = 0 end
if ARGV[2] == '' then
	local fields = {}
	for m = 0, 1439 do fields[m + 1] = 'a|' .. ctx.stages[1].id .. '|' .. m end
	for k = 1, 7 do
		local key = P .. 'stats:' .. day_of(NOW - k * 86400000)
		if redis.call('EXISTS', key) == 1 then
			local v, any = redis.call('HMGET', key, unpack(fields)), false
			for m = 1, 1440 do
				local n = tonumber(v[m] or '0')
				if n > 0 then
					any = true
					out.prev[math.floor((m - 1) / 60) + 1] = out.prev[math.floor((m - 1) / 60) + 1] + n
				end
			end
			if any then out.prev_days = out.prev_days + 1 end
		end
	end
end
out.issued = {}
for i = 3, #ARGV do
	out.issued[ARGV[i]] = tonumber(redis.call('GET', P .. 'num:' .. day .. ':' .. ARGV[i]) or '0')
end
return json(out)
