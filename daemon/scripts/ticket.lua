-- ticket: one ticket as it is now, with its position and estimated wait.
-- ARGV: ctx, id or today's code.
local t = resolve(ARGV[2])
if t == nil then
	return refuse('ticket_not_found', 'no ticket ' .. ARGV[2])
end
return ticket_reply(t)
