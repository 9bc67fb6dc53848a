-- cancel: a waiting or skipped ticket is withdrawn (the person left).
-- ARGV: ctx, id or today's code.  The person may be given a new ticket
-- today: issue.lua lets a cancelled ticket's person through.
return idempotent(function()
	local t = resolve(ARGV[2])
	if t == nil then
		return refuse('ticket_not_found', 'no ticket ' .. ARGV[2])
	end
	if t.state ~= 'waiting' and t.state ~= 'skipped' then
		return refuse('invalid_transition', t.code .. ' is ' .. t.state .. '; only a waiting or skipped ticket can be cancelled')
	end
	redis.call('ZREM', qkey(t.stage), t.id)
	redis.call('ZREM', P .. 'holds', t.id)
	visit(t).outcome = 'cancelled'
	t.state, t.hold_until = 'cancelled', 0
	save(t)
	publish_ticket(t)
	return ticket_reply(t)
end)
