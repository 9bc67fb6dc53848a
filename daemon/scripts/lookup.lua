--! no-writes
-- lookup: today's tickets of one person, for the desk (found by NIK, to
-- show and reprint).  Read only.
-- ARGV: ctx, person key without its service (a keyed hash of the NIK),
-- the services to look in, comma-separated ids.
local person, services = ARGV[2], ARGV[3]
local people = P .. 'people:' .. TODAY
local found = {}
for service in string.gmatch(services, '[^,]+') do
	local id = redis.call('HGET', people, person .. ':' .. service)
	local t = id and load(id)
	if t then found[#found + 1] = view(t) end
end
return json({ tickets = array(found) })
