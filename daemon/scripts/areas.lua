--! no-writes
-- areas: the campaign's area table (route_areas.c; PROTOCOL.md, "Areas").
-- KEYS[1] is the campaign's prefix "antre:{campaign}:", ARGV[1] a context
-- ({"off": 0}: these keys belong to no event), ARGV[2] the operation:
--   put N code1 row1 … codeN rowN M region1 code1 … regionM codeM
--       replaces the table (rows checked by the daemon) and the NIK
--       region index, each written under a temporary key and RENAMEd over
--       the old one, and INCRs the version: {"areas": N, "version": V}.
--       N = 0 deletes the table.
--   check CODE REGION  {"table": false} when there is no table; else
--       {"table": true, "code": C}: CODE when it is a code of the table
--       (C "" when not), else the kecamatan REGION (a NIK's 6 digits) maps
--       to ("" when none).
--   label CODE  {"row": its JSON or "", "parent": its parent's or ""}.
--   all  [version, code1, row1, …]: the whole table, for the daemon's copy.
-- No-writes but for put, which runs again as the write variant (need_write).
local AREAS = P .. 'areas'
local REGION = P .. 'areas:region'
local VERSION = P .. 'areas:version'
local op = ARGV[2]

-- HSET in slices: a Lua call takes a bounded number of arguments.
local function replace(key, from, n)
	local tmp = key .. ':tmp'
	redis.call('DEL', tmp)
	local last = from + 2 * n - 1
	local i = from
	while i <= last do
		local j = math.min(i + 1999, last)
		redis.call('HSET', tmp, unpack(ARGV, i, j))
		i = j + 1
	end
	if n > 0 then
		redis.call('RENAME', tmp, key)
	else
		redis.call('DEL', key)
	end
end

if op == 'put' then
	need_write()
	local n = tonumber(ARGV[3])
	local m = tonumber(ARGV[4 + 2 * n])
	replace(AREAS, 4, n)
	replace(REGION, 5 + 2 * n, m)
	local v = redis.call('INCR', VERSION)
	return json({ areas = n, version = v })
elseif op == 'check' then
	if redis.call('EXISTS', AREAS) == 0 then
		return json({ table = false })
	end
	local code = ARGV[3]
	if code ~= '' then
		if redis.call('HGET', AREAS, code) then
			return json({ table = true, code = code })
		end
		return json({ table = true, code = '' })
	end
	return json({ table = true, code = redis.call('HGET', REGION, ARGV[4]) or '' })
elseif op == 'label' then
	local row = redis.call('HGET', AREAS, ARGV[3])
	local parent = ''
	if row then
		local p = cjson.decode(row).parent
		if p and p ~= '' then parent = redis.call('HGET', AREAS, p) or '' end
	end
	return json({ row = row or '', parent = parent })
elseif op == 'all' then
	local out = redis.call('HGETALL', AREAS)
	table.insert(out, 1, tostring(redis.call('GET', VERSION) or '0'))
	return out
end
return refuse('invalid_field', 'unknown areas operation')
