-- coverage_read: what GET /v1/coverage reads (route_coverage.c, coverage.c),
-- read-only, in the campaign's slot: KEYS[1] is "antre:{campaign}:".
-- The area table's values as they are (the C side decodes them), the dose
-- counts of cov:n as HGETALL gives them, and the members of cov:due2 due
-- on day D or before, counted by (area, due day): the daemon classifies
-- them as due or overdue; and whether boundaries were uploaded.  A member is "AREA|pkey", its score the due day.
-- ARGV: ctx (no event's: {"off":0,"stages":[]}), D (days since 1970-01-01).
-- Bounded: the table and the counts are a few fields an area; cov:due2 is
-- read by rank in pages of 5,000 and only up to the first member not yet
-- due, and what is returned is one triple per area and day.
local D = tonumber(ARGV[2])
local out = {
	areas = array(redis.call('HVALS', P .. 'areas')),
	n = array(redis.call('HGETALL', P .. 'cov:n')),
	due = array(),
	geometry = redis.call('EXISTS', P .. 'areas:geometry') == 1,
}
local counts, order = {}, {}
local key, page, start = P .. 'cov:due2', 5000, 0
while true do
	local v = redis.call('ZRANGE', key, start, start + page - 1, 'WITHSCORES')
	local stop = #v < 2 * page
	for i = 1, #v, 2 do
		local day = tonumber(v[i + 1])
		if day > D then stop = true; break end
		local area = string.match(v[i], '^(.*)|[^|]*$') or ''
		local k = area .. '|' .. day
		if counts[k] == nil then
			counts[k] = 0
			order[#order + 1] = { area, day }
		end
		counts[k] = counts[k] + 1
	end
	if stop then break end
	start = start + page
end
for _, t in ipairs(order) do
	out.due[#out.due + 1] = array({ t[1], t[2], counts[t[1] .. '|' .. t[2]] })
end
return json(out)
