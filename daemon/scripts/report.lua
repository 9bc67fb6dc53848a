--! no-writes
-- report: one page of the tickets of one event day, for the organisers'
-- report.  ARGV: ctx, day (YYYYMMDD, "" for today), cursor ("0" to begin).
-- Returns {"day": "YYYYMMDD", "cursor": next cursor ("0" when the day is
-- done), "tickets": [{"id", "code", "service", "priority", "area",
-- "issued_at", "state", "visits"}]}, times in ms, visits as stored.
-- One call reads one HSCAN page of the day's codes hash, about PAGE
-- tickets (a few ms), so that no report holds Redis for long whatever the
-- size of the day; route_report.c walks the cursor, drops the duplicates
-- HSCAN may give, and sorts.  Only the fields named are read: the person
-- key stays in Redis.  Read-only.
local PAGE = 100
local day = ARGV[2] ~= '' and ARGV[2] or TODAY
local page = redis.call('HSCAN', P .. 'codes:' .. day, ARGV[3], 'COUNT', PAGE)
local flat, out = page[2], array()
for i = 2, #flat, 2 do
	local id = flat[i]
	local f = redis.call('HMGET', tkey(id), 'code', 'service', 'priority', 'area',
		'issued_at', 'state', 'visits')
	if f[1] then
		out[#out + 1] = { id = id, code = f[1], service = f[2], priority = f[3],
			area = f[4] or '', issued_at = tonumber(f[5]), state = f[6],
			visits = array(f[7] and cjson.decode(f[7])) }
	end
end
return json({ day = day, cursor = page[1], tickets = out })
