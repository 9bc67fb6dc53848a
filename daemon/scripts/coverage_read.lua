-- coverage_read: what GET /v1/coverage reads (route_coverage.c, coverage.c),
-- read-only, in the campaign's slot: KEYS[1] is "antre:{campaign}:".
-- The area table's values as they are (the C side decodes them), the dose
-- counts of cov:n as HGETALL gives them, and the members of cov:due2 due
-- on day D or before, counted by (area, due day): the daemon classifies
-- them as due or overdue; and whether boundaries were uploaded.  A member is "AREA|pkey", its score the due day.
-- ARGV: ctx (no event's: {"off":0,"stages":[]}), D (days since 1970-01-01).
-- Bounded: the table and the counts are a few fields an area; of cov:due2
-- only the members due by D are read (ZCOUNT, then by rank in pages of
-- 5,000), and what is returned is one triple per area and due day.  The
-- read is linear in the people due and not given dose 2 (PROTOCOL.md).
local D = tonumber(ARGV[2])
local out = {
	areas = array(redis.call('HVALS', P .. 'areas')),
	n = array(redis.call('HGETALL', P .. 'cov:n')),
	due = array(),
	geometry = redis.call('EXISTS', P .. 'areas:geometry') == 1,
}
-- Members due by D are ranks 0..m-1 (scores ascending): read by rank, no
-- score compared per member; counted per area, then per due day (the
-- score's text as Redis gives it: an integer).
local key, page = P .. 'cov:due2', 5000
local m = redis.call('ZCOUNT', key, '-inf', D)
local counts, order = {}, {}
for start = 0, m - 1, page do
	local last = math.min(start + page, m) - 1
	local v = redis.call('ZRANGE', key, start, last, 'WITHSCORES')
	for i = 1, #v, 2 do
		local bar = string.find(v[i], '|', 1, true)
		local area = bar and string.sub(v[i], 1, bar - 1) or ''
		local t = counts[area]
		if t == nil then
			t = {}
			counts[area] = t
			order[#order + 1] = area
		end
		t[v[i + 1]] = (t[v[i + 1]] or 0) + 1
	end
end
for _, area in ipairs(order) do
	for day, n in pairs(counts[area]) do
		out.due[#out.due + 1] = array({ area, tonumber(day), n })
	end
end
return json(out)
