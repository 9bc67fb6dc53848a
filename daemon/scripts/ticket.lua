--! no-writes
-- ticket: one ticket as it is now, with its position and estimated wait.
-- ARGV: ctx, id or today's code, and "soft" to answer {"ticket":null}
-- instead of a refusal when there is none (signed public reads, which must
-- not tell a missing ticket from a forged link).
local t = resolve(ARGV[2])
if t == nil then
	if ARGV[3] == 'soft' then return ticket_reply(nil) end
	return refuse('ticket_not_found', 'no ticket ' .. ARGV[2])
end
return ticket_reply(t)
