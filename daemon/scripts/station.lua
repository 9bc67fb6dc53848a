-- station: what a station does with the ticket it holds, and its own state.
-- ARGV: ctx, op, station id, stage index (1-based), station number, argument
-- (outcome for complete, target stage id for transfer).
local op, station, si, number, arg =
	ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local stage = ctx.stages[si].id
local skey = P .. 'st:' .. station

local function release()
	redis.call('HSET', skey, 'ticket', '')
end

-- {"station": view}, published as the stream's "station" entry with `at`.
local function station_reply()
	local s = station_view(station, stage, number)
	local reply = json({ station = s })
	s.at = NOW
	publish('station', json(s))
	return reply
end

-- The operations, by the names of route_stations.c's table: `states` the
-- held ticket's states each acts on (the table's states column; '' acts
-- on the station itself), `as` how a refusal names the move, `run` the
-- change: it checks its argument before its first write, and returns a
-- reply to answer at once, or nothing to have the ticket saved, published
-- and answered.
local OPS = {}

OPS.pause = { states = '', run = function()
	redis.call('HSET', skey, 'state', 'paused')
	return station_reply()
end }

OPS.resume = { states = '', run = function()
	redis.call('HSET', skey, 'state', 'open')
	return station_reply()
end }

OPS.recall = { states = 'called', as = 'recalled', run = function(t)
	t.recalls = tonumber(t.recalls) + 1
	save(t)
	announce_call(t, station, stage, number, true)
	return ticket_reply(t)
end }

OPS.start = { states = 'called', as = 'started', run = function(t, v)
	t.state, v.started_at = 'serving', NOW
end }

OPS.complete = { states = 'serving', as = 'completed', run = function(t, v)
	if arg ~= 'done' and arg ~= 'deferred' and arg ~= 'refused' then
		return refuse('invalid_outcome', 'outcome must be done, deferred or refused')
	end
	stat_done(station, arg == 'deferred' and 'x' or arg, v)
	note_done(stage, v)                     -- the estimates' service time
	v.completed_at, v.outcome = NOW, arg
	release()
	redis.call('ZREM', P .. 'holds', t.id)
	if arg == 'done' then
		advance(t, si)
	else
		t.state, t.station, t.hold_until = arg, '', 0
	end
	if arg == 'deferred' then             -- listed for a call back (call.lua)
		redis.call('ZADD', dkey(stage), NOW, t.id)
		redis.call('EXPIRE', dkey(stage), day_left_s() + 3600)
	end
end }

OPS.skip = { states = 'called', as = 'skipped', run = function(t, v)
	v.outcome = 'skipped'
	t.state, t.station = 'skipped', ''
	release()
	stat('n|' .. station)                   -- no-shows
end }

OPS.transfer = { states = 'called serving', as = 'transferred', run = function(t, v)
	local ti = stage_index(arg)
	if ti == nil then
		return refuse('unknown_stage', 'no stage ' .. arg .. ' in this event')
	end
	if ti == si then
		return refuse('invalid_transition', t.code .. ' is already at ' .. arg)
	end
	v.completed_at, v.outcome = NOW, 'transferred'
	release()
	redis.call('ZREM', P .. 'holds', t.id)
	enqueue(t, ti)
end }

return idempotent(function()
	local o = OPS[op]
	if o == nil then
		return refuse('unknown_operation', op)
	end
	if o.states == '' then return o.run() end

	local held = redis.call('HGET', skey, 'ticket')
	if not held or held == '' then
		return refuse('no_ticket', 'this station holds no ticket; call one first')
	end
	local t = load(held)
	if t == nil then
		-- expired (retention-days) while held: the station is let go
		release()
		estimates_changed()
		return refuse('no_ticket', 'the ticket this station held is gone; call one first')
	end
	if not state_in(o.states, t.state) then
		return refuse('invalid_transition', t.code .. ' is ' .. t.state .. '; it cannot be ' .. o.as)
	end
	local reply = o.run(t, visit(t))
	if reply then return reply end
	save(t)
	publish_ticket(t)
	return ticket_reply(t)
end)
