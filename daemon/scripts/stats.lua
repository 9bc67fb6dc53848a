-- stats: the raw figures of one event day for the organisers: the day's
-- statistics hash (counters by field, see stats.c), who waits now, every
-- station's state, and issued counts by service.
-- ARGV: ctx, day (YYYYMMDD, "" for today), then the services' ids.
local day = ARGV[2] ~= '' and ARGV[2] or TODAY
local out = { '"now":' .. NOW, '"day":"' .. day .. '"', '"minute":' .. MINUTE }
-- Bounded: the day's hash has a field per station and active minute and
-- kind (stations x 1,440 x 6 at most), per stage bucket, service and
-- priority, and one per area that had a dose: a few thousand on a real day,
-- a read of a few ms.  The areas are the one part that grows with the
-- crowd (each distinct area typed); reading them in HSCAN pages is the next
-- step if an event ever has tens of thousands.
local flat = redis.call('HGETALL', P .. 'stats:' .. day)
local fields = {}
for i = 1, #flat, 2 do
	fields[#fields + 1] = cjson.encode(flat[i]) .. ':' .. flat[i + 1]
end
out[#out + 1] = '"fields":{' .. table.concat(fields, ',') .. '}'
local waiting, stations = {}, {}
for _, s in ipairs(ctx.stages) do
	waiting[#waiting + 1] = '"' .. s.id .. '":' .. redis.call('ZCARD', qkey(s.id))
	for n = 1, s.n do
		local id = s.id .. '-' .. n
		local st = redis.call('HMGET', P .. 'st:' .. id, 'state', 'ticket', 'last_call')
		stations[#stations + 1] = '{"id":"' .. id .. '","state":"' .. (st[1] or 'open') ..
			'","ticket":"' .. (st[2] or '') .. '","last_call":' .. (st[3] or '0') .. '}'
	end
end
out[#out + 1] = '"waiting":{' .. table.concat(waiting, ',') .. '}'
out[#out + 1] = '"stations":' .. jarray(stations)
local issued = {}
for i = 3, #ARGV do
	issued[#issued + 1] = '"' .. ARGV[i] .. '":' ..
		(redis.call('GET', P .. 'num:' .. day .. ':' .. ARGV[i]) or '0')
end
out[#out + 1] = '"issued":{' .. table.concat(issued, ',') .. '}'
return '{' .. table.concat(out, ',') .. '}'
