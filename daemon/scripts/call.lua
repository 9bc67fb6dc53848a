-- call: the station calls the next ticket at its stage, or a given one
-- (by code or id: a scanned QR, a skipped ticket brought back, or one
-- deferred at this stage today called back from the stage's list).
-- ARGV: ctx, station id, stage index (1-based), station number, ticket ref or "".
local station, si, number, ref = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local stage = ctx.stages[si].id
local skey = P .. 'st:' .. station
-- the states a ticket called by code may be in (route_stations.c's table
-- says the same; station.lua's OPS are the other operations)
local OPS = { call = { states = 'waiting skipped deferred' } }
return idempotent(function()
	local held = redis.call('HGET', skey, 'ticket')
	if held and held ~= '' then
		local h = load(held)
		return refuse('station_busy', 'this station still holds ' .. (h and h.code or held) ..
			'; complete, skip or transfer it first')
	end
	if redis.call('HGET', skey, 'state') == 'paused' then
		return refuse('station_paused', 'this station is paused; resume it first')
	end

	local q = qkey(stage)
	local t
	if ref == '' then
		-- a ticket past retention-days (it expired while still queued,
		-- left over from an earlier day) is dropped from the queue, not
		-- called; a bounded number each call
		for _, lo in ipairs({ '-inf', ctx.regular * PRIO_STEP }) do
			for _ = 1, 100 do
				local head = redis.call('ZRANGEBYSCORE', q, lo, '+inf', 'LIMIT', 0, 1)[1]
				if not head or redis.call('EXISTS', tkey(head)) == 1 then break end
				redis.call('ZREM', q, head)
				estimates_changed()
			end
		end
		local id
		local prio_first = redis.call('ZRANGE', q, 0, 0)[1]
		if prio_first == nil then
			return ticket_reply(nil)
		end
		id = prio_first
		if ctx.every > 0 then
			-- interleaved: one priority ticket after `every` regular ones
			local base = ctx.regular * PRIO_STEP
			local il = P .. 'il:' .. stage
			local count = tonumber(redis.call('GET', il) or '0')
			local regular = redis.call('ZRANGEBYSCORE', q, base, '+inf', 'LIMIT', 0, 1)[1]
			local prio_waiting = tonumber(redis.call('ZSCORE', q, prio_first)) < base
			if regular and (not prio_waiting or count < ctx.every) then
				id = regular
				redis.call('INCR', il)
			else
				redis.call('SET', il, 0)
			end
		end
		t = load(id)
		if t == nil then                    -- more than 100 gone
			estimates_changed()             -- the interleave's count moved
			return ticket_reply(nil)
		end
	else
		t = resolve(ref)
		if t == nil then
			return refuse('ticket_not_found', 'no ticket ' .. ref .. ' today')
		end
		if t.stage ~= stage then
			return refuse('wrong_stage', t.code .. ' is at ' .. t.stage .. ', not ' .. stage)
		end
		if not state_in(OPS.call.states, t.state) then
			return refuse('invalid_transition', t.code .. ' is ' .. t.state .. ', it cannot be called')
		end
		if t.state == 'deferred' and not redis.call('ZSCORE', dkey(stage), t.id) then
			return refuse('invalid_transition', t.code .. ' was deferred on an earlier day; it cannot be called')
		end
	end

	redis.call('ZREM', q, t.id)
	local v = visit(t)
	if t.state == 'deferred' then
		-- called back: a new visit of the stage from its deferral, so the
		-- deferred one keeps its service; neither a new call nor a wait
		redis.call('ZREM', dkey(stage), t.id)
		v = { stage = stage, queued_at = v.completed_at or NOW }
		t.visits[#t.visits + 1] = v
	elseif t.state == 'waiting' then
		stat_call(station, stage, v)           -- not a skipped one back
	end
	t.state, t.station = 'called', station
	v.station, v.called_at, v.outcome = station, NOW, nil -- a skipped one is back
	save(t)
	redis.call('HSET', skey, 'ticket', t.id, 'last_call', NOW)
	note_call(stage)
	announce_call(t, station, stage, number, false)
	publish_ticket(t)
	return ticket_reply(t)
end)
