--! no-writes
-- views: what the people following their own tickets see, for many tickets
-- at once (the per-ticket live streams refresh with one call).
-- ARGV: ctx, then ticket ids.  Returns a JSON array of public views (times
-- in ms): id, code, service, state, stage, station, issued_at, hold_until,
-- recalls, position, eta_s, eta_range_s, leave_eta_s, next_dose; unknown ids
-- are left out.
local out = {}
for i = 2, #ARGV do
	local f = redis.call('HMGET', tkey(ARGV[i]), 'code', 'service', 'state', 'stage',
		'station', 'issued_at', 'hold_until', 'recalls', 'prio', 'next_dose')
	if f[1] then
		out[#out + 1] = public_view(ARGV[i], { code = f[1], service = f[2], state = f[3],
			stage = f[4], station = f[5] or TICKET_DEFAULTS.station, issued_at = f[6],
			hold_until = f[7] or TICKET_DEFAULTS.hold_until,
			recalls = f[8] or TICKET_DEFAULTS.recalls, prio = f[9], next_dose = f[10] or nil })
	end
end
-- a public view's one table is its range, filled or null: cjson writes
-- the list as json() would, without json()'s walk through every key
if #out == 0 then return json(array()) end
return cjson.encode(out)
