--! no-writes
-- coverage_read: what GET /v1/coverage reads (route_coverage.c, coverage.c),
-- read-only, in the campaign's slot: KEYS[1] is "antre:{campaign}:".
-- The area table's values as they are (the C side decodes them), the dose
-- counts of cov:n as HGETALL gives them, and the people due for dose 2 on
-- day D or before, counted by (area, due day) (cov:due2n): the daemon
-- classifies them as due or overdue; and whether boundaries were uploaded.
-- ARGV: ctx (no event's: {"off":0,"stages":[]}), D (days since 1970-01-01).
-- Bounded: the table and the counts are a few fields an area, the due
-- counts a field an area and due day: nothing here grows with the people.
local D = tonumber(ARGV[2])
local out = {
	areas = array(redis.call('HVALS', P .. 'areas')),
	n = array(redis.call('HGETALL', P .. 'cov:n')),
	due = array(),
	geometry = redis.call('EXISTS', P .. 'areas:geometry') == 1,
}
-- cov:due2n counts the people waiting for dose 2 by "AREA|DUEDAY"
-- (coverage_apply keeps it with cov:due2): those due by D, as triples.
local v = redis.call('HGETALL', P .. 'cov:due2n')
for i = 1, #v, 2 do
	local area, day = string.match(v[i], '^(.*)|(%d+)$')   -- a free-text area may hold "|"
	day = tonumber(day)
	if day and day <= D then
		out.due[#out.due + 1] = array({ area, day, tonumber(v[i + 1]) })
	end
end
return json(out)
