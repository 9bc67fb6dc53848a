--! no-writes
-- deferred: the tickets deferred at a stage today, oldest first, that a
-- station there may call back (call.lua with the ticket's id).
-- ARGV: ctx, stage index (1-based).  Returns {"tickets": [view, ...]}: at
-- most 50; an entry whose ticket is gone (retention-days) or has moved on
-- is left out.
local stage = ctx.stages[tonumber(ARGV[2])].id
local out = {}
for _, id in ipairs(redis.call('ZRANGE', dkey(stage), 0, 49)) do
	local t = load(id)
	if t and t.state == 'deferred' and t.stage == stage then out[#out + 1] = view(t) end
end
return json({ tickets = array(out) })
