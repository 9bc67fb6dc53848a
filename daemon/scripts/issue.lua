-- issue: a new ticket at the first stage.
--! batch (queue_batch.c: issues that come together go in one call)
-- ARGV: ctx, service, prefix, priority, priority index, area, person key
-- (a keyed hash of the NIK and service, or ""), campaign key (the NIK's
-- keyed hash for the dose records, or ""), elderly ("1" or "0": 60 or over
-- by the NIK's birth date, or of an elderly priority without a NIK).
local service, prefix, priority, prio, area, person, ckey, elderly =
	ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]

ISSUE = true    -- what an issue changes drops no kept estimate (keep_estimates)
return idempotent(function()
	-- One ticket per person and service per event day.  people:DAY maps
	-- the person key to the day's ticket: the duplicate check, and the
	-- desk's lookup.  It is the only place the key is kept, and it expires
	-- an hour after the event day ends; a cancelled ticket frees the person.
	local people = P .. 'people:' .. TODAY
	if person ~= '' then
		local had = redis.call('HGET', people, person)
		if had then
			local old = redis.call('HMGET', tkey(had), 'state', 'code')
			if old[1] and old[1] ~= 'cancelled' then
				return refuse('duplicate_person',
					'this person already has a ticket for this service today (' ..
					old[2] .. ')')
			end
		end
	end

	-- Numbers run per service per event day and are never reused: INCR is
	-- durable with appendfsync always, and numbers are never handed back.
	local num = P .. 'num:' .. TODAY .. ':' .. service
	local n = redis.call('INCR', num)
	local code = string.format('%s-%03d', prefix, n)
	local t = {
		id = TODAY .. '-' .. prefix .. string.format('%03d', n),
		code = code, service = service, priority = priority, prio = prio,
		area = area, issued_at = NOW, recalls = 0, visits = {},
	}
	enqueue(t, 1)
	mark_day()                              -- to be closed out when the day ends
	-- the fields that are not their default (load(): TICKET_DEFAULTS); the
	-- id is the key's, the day the id's (the fields left out took 7% of an
	-- issue's time in Redis: the hash, the AOF)
	local visits = cjson.encode(t.visits)
	local f = { 'code', code, 'service', service, 'priority', priority, 'prio', prio,
		'issued_at', NOW_S, 'state', t.state, 'stage', t.stage, 'visits', visits }
	if area ~= '' then f[#f + 1], f[#f + 2] = 'area', area end
	if t.hold_until > 0 then f[#f + 1], f[#f + 2] = 'hold_until', istr(t.hold_until) end
	if ckey ~= '' then f[#f + 1], f[#f + 2] = 'ckey', ckey end
	if elderly ~= '0' then f[#f + 1], f[#f + 2] = 'elderly', elderly end
	redis.call('HSET', tkey(t.id), unpack(f))
	-- today's codes: the lookup by code, and the day's list for reports
	local codes = P .. 'codes:' .. TODAY
	hset_later(codes, code, t.id)
	-- the ticket kept retention-days from its issue, the day's codes and
	-- numbers as long as the day's last ticket, then gone
	redis.call('EXPIRE', tkey(t.id), ctx.retention_s)
	keep_past_day(codes, ctx.retention)
	keep_past_day(num, ctx.retention)
	if person ~= '' then
		redis.call('HSET', people, person, t.id)
		keep_past_day(people, 3600)
	end
	stat('ip|' .. priority)                 -- issued by priority
	publish_ticket(t)
	keep_estimates()
	return flat_reply(t, visits)
end)
