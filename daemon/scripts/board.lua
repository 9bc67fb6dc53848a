-- board: the waiting-room snapshot: per stage how many wait and the wait a
-- newcomer can expect, every station with what it holds, the last calls,
-- who is in a timed wait and when they may leave, and today's doses.
-- ARGV: ctx.
local stages, stations = {}, {}
for _, s in ipairs(ctx.stages) do
	local waiting = redis.call('ZCARD', qkey(s.id))
	stages[#stages + 1] = cjson.encode({ id = s.id, waiting = waiting,
		eta_s = eta(s.id, waiting) })
	for n = 1, s.n do
		local id = s.id .. '-' .. n
		local st = redis.call('HMGET', P .. 'st:' .. id, 'state', 'ticket')
		local code = ''
		if st[2] and st[2] ~= '' then code = redis.call('HGET', tkey(st[2]), 'code') or '' end
		stations[#stations + 1] = cjson.encode({ id = id, stage = s.id, number = n,
			state = st[1] or 'open', ticket_id = st[2] or '', ticket_code = code })
	end
end
local holds = {}
for _, id in ipairs(redis.call('ZRANGE', P .. 'holds', 0, 49)) do
	local h = redis.call('HMGET', tkey(id), 'code', 'hold_until', 'stage')
	if h[1] then
		holds[#holds + 1] = cjson.encode({ ticket = id, code = h[1],
			hold_until = tonumber(h[2]), stage = h[3] })
	end
end
return '{"at":' .. NOW .. ',"stages":' .. jarray(stages) ..
	',"stations":' .. jarray(stations) ..
	',"calls":' .. jarray(redis.call('LRANGE', P .. 'lastcalls', 0, 9)) ..
	',"holds":' .. jarray(holds) ..
	',"doses_today":' .. tonumber(redis.call('GET', P .. 'doses:' .. TODAY) or '0') ..
	',"issued_today":' .. redis.call('HLEN', P .. 'codes:' .. TODAY) .. '}'
