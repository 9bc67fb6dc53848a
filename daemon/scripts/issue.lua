-- issue: a new ticket at the first stage.
-- ARGV: ctx, service, prefix, priority, priority index, area, person key
-- (a keyed hash of the NIK and service, or "").
local service, prefix, priority, prio, area, person =
	ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]

if person ~= '' then
	-- one ticket per person and service per event day
	local key = P .. 'people:' .. TODAY
	if redis.call('SADD', key, person) == 0 then
		return refuse('duplicate_person',
			'this person already has a ticket for this service today')
	end
	redis.call('EXPIRE', key, 3 * 86400)
end

-- Numbers run per service per event day and are never reused: INCR is
-- durable with appendfsync always, and numbers are never handed back.
local n = redis.call('INCR', P .. 'num:' .. TODAY .. ':' .. service)
local code = string.format('%s-%03d', prefix, n)
local t = {
	id = TODAY .. '-' .. prefix .. string.format('%03d', n),
	code = code, service = service, priority = priority, prio = prio,
	area = area, issued_at = NOW, recalls = 0, visits = {},
}
enqueue(t, 1)
t.visits_json = cjson.encode(t.visits)
redis.call('HSET', tkey(t.id), 'id', t.id, 'code', code, 'service', service,
	'priority', priority, 'prio', prio, 'area', area, 'issued_at', NOW,
	'person', person, 'day', TODAY, 'state', t.state, 'stage', t.stage,
	'station', t.station, 'hold_until', t.hold_until, 'recalls', 0,
	'visits', t.visits_json)
-- today's codes: the lookup by code, and the day's list for reports
redis.call('HSET', P .. 'codes:' .. TODAY, code, t.id)
stat('ip|' .. priority)                 -- issued by priority
publish_ticket(t)
return ticket_reply(t)
