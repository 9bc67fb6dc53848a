--! no-writes
-- board: the waiting-room snapshot: per stage how many wait and the wait a
-- newcomer can expect, every station with what it holds, the last calls,
-- who is in a timed wait and when they may leave, and today's doses.
-- ARGV: ctx.
local stages, stations = array(), array()
for i, s in ipairs(ctx.stages) do
	local waiting = redis.call('ZCARD', qkey(s.id))
	-- a regular newcomer's wait and its range (_lib.lua's model, as on a
	-- ticket); unknown for a timed wait or with no desk open
	local eta, range = newcomer(i, ctx.regular)
	stages[#stages + 1] = { id = s.id, waiting = waiting, eta_s = eta or -1,
		eta_range_s = range or cjson.null }
	for n = 1, s.n do
		stations[#stations + 1] = station_view(s.id .. '-' .. n, s.id, n)
	end
end
local holds = array()
for _, id in ipairs(redis.call('ZRANGE', P .. 'holds', 0, 49)) do
	local h = redis.call('HMGET', tkey(id), 'code', 'hold_until', 'stage')
	if h[1] then
		holds[#holds + 1] = { ticket = id, code = h[1],
			hold_until = tonumber(h[2] or TICKET_DEFAULTS.hold_until), stage = h[3] }
	end
end
-- the last calls are kept as their stream entries (announce_call)
local calls = array()
for i, call in ipairs(redis.call('LRANGE', P .. 'lastcalls', 0, 9)) do
	calls[i] = cjson.decode(call)
end
return json({ at = NOW, stages = stages, stations = stations, calls = calls, holds = holds,
	doses_today = tonumber(redis.call('GET', P .. 'doses:' .. TODAY) or '0'),
	issued_today = redis.call('HLEN', P .. 'codes:' .. TODAY) })
