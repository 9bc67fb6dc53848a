-- sweep: tickets whose timed wait (observation) is over and who still wait
-- there move on (done at the last stage).  Run by every daemon about once a
-- second; idempotent, so any number of daemons may run it.
-- ARGV: ctx.  Returns {"moved": n}.
local due = redis.call('ZRANGEBYSCORE', P .. 'holds', '-inf', NOW, 'LIMIT', 0, 100)
local moved = 0
for _, id in ipairs(due) do
	redis.call('ZREM', P .. 'holds', id)
	local t = load(id)
	if t and t.state == 'waiting' and tonumber(t.hold_until) > 0 then
		local si = stage_index(t.stage)
		local v = visit(t)
		redis.call('ZREM', qkey(t.stage), t.id)
		v.completed_at, v.outcome = NOW, 'done'
		stat('hd|' .. t.stage .. '|' .. MINUTE_S)  -- finished a timed wait (served)
		t.hold_until = 0
		advance(t, si)
		save(t)
		publish_ticket(t)
		moved = moved + 1
	end
end
return json({ moved = moved })
