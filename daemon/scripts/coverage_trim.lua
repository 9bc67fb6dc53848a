-- coverage_trim: removes from the event's outbox the dose records the
-- daemon has applied (coverage_apply.lua), those still at its head in the
-- order given.  Another daemon may have trimmed them first: only the lines
-- that are still there go, never one not applied.
-- ARGV: ctx, then the lines applied, oldest first.  Returns {"trimmed": n}.
local OUTBOX = P .. 'cov:outbox'
local n = #ARGV - 1
local head = redis.call('LRANGE', OUTBOX, 0, n - 1)
local k = 0
-- the given lines are a run of the outbox from its head when none was
-- trimmed meanwhile; else they start further on (another daemon's trim)
local from = 1
while from <= n and head[1] ~= ARGV[from + 1] do from = from + 1 end
while k < #head and from + k <= n and head[k + 1] == ARGV[from + k + 1] do k = k + 1 end
if k > 0 then redis.call('LTRIM', OUTBOX, k, -1) end
return json({ trimmed = k })
