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
for _, s in ipairs(ctx.stages) do
	out.waiting[s.id] = redis.call('ZCARD', qkey(s.id))
	for n = 1, s.n do
		local id = s.id .. '-' .. n
		local st = redis.call('HMGET', P .. 'st:' .. id, 'state', 'ticket', 'last_call')
		out.stations[#out.stations + 1] = { id = id, state = st[1] or 'open',
			ticket = st[2] or '', last_call = tonumber(st[3] or '0') }
	end
end
out.issued = {}
for i = 3, #ARGV do
	out.issued[ARGV[i]] = tonumber(redis.call('GET', P .. 'num:' .. day .. ':' .. ARGV[i]) or '0')
end
return json(out)
