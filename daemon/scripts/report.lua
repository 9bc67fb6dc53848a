-- report: every ticket of one event day, for the organisers' report.
-- ARGV: ctx, day (YYYYMMDD, "" for today).  Returns {"day": "YYYYMMDD",
-- "tickets": [{"id", "code", "service", "priority", "area", "issued_at",
-- "state", "visits"}]} in order of issue (then id), times in ms, visits as
-- stored.  Only the fields named are read: the person key stays in Redis.
-- Read-only; a day of 2,000 tickets is 2,000 HMGETs and one sort.
local day = ARGV[2] ~= '' and ARGV[2] or TODAY
local ids = redis.call('HVALS', P .. 'codes:' .. day)
local rows = {}
for _, id in ipairs(ids) do
	local f = redis.call('HMGET', tkey(id), 'code', 'service', 'priority', 'area',
		'issued_at', 'state', 'visits')
	if f[1] then
		-- ids, codes, services, priorities and states are [A-Za-z0-9_-];
		-- the area is what a person typed, so it goes through cjson
		rows[#rows + 1] = { at = tonumber(f[5]), id = id,
			json = '{"id":"' .. id .. '","code":"' .. f[1] .. '","service":"' .. f[2] ..
				'","priority":"' .. f[3] .. '","area":' .. cjson.encode(f[4] or '') ..
				',"issued_at":' .. f[5] .. ',"state":"' .. f[6] .. '","visits":' ..
				(f[7] or '[]') .. '}' }
	end
end
table.sort(rows, function(a, b)
	if a.at ~= b.at then return a.at < b.at end
	return a.id < b.id
end)
local out = {}
for i, row in ipairs(rows) do out[i] = row.json end
return '{"day":"' .. day .. '","tickets":' .. jarray(out) .. '}'
