-- coverage_apply: dose records from an event's outbox applied to the
-- campaign's coverage (PROTOCOL.md, "Coverage across the campaign").
-- KEYS[1] is the campaign's prefix "antre:{campaign}:", not an event's.
-- ARGV: the campaign's context ({"off": the UTC offset of coverage's
-- calendar, "stages": [], "retention": seconds a person's record is kept}),
-- then outbox lines as advance() writes them (_lib.lua dose_record).
-- Returns {"applied": n, "replayed": n, "bad": n}.
--
-- Each line counts once: cov:seen holds "TICKET|EVENT" of every line
-- applied, so a line applied again (a drain that applied but could not
-- trim) changes nothing.  A person (pkey) counts once per dose however many
-- tickets they had: HSETNX of dN on their record decides; a record without
-- pkey counts once per ticket.  A line that is not a dose record is skipped
-- (and trimmed with the others): it can never block the outbox.
local SEEN, N, DUE = P .. 'cov:seen', P .. 'cov:n', P .. 'cov:due2'

local function valid(e)
	return type(e) == 'table' and type(e.t) == 'string' and e.t ~= '' and
		type(e.ev) == 'string' and e.ev ~= '' and type(e.day) == 'string' and
		string.find(e.day, '^%d%d%d%d%d%d%d%d$') ~= nil and
		(e.dose == 1 or e.dose == 2 or e.dose == 3) and type(e.next_after) == 'number' and
		e.next_after >= 0 and e.next_after <= 365 and type(e.area) == 'string' and
		(e.elderly == 0 or e.elderly == 1) and type(e.pkey) == 'string' and
		(e.pkey == '' or string.find(e.pkey, '^%x+$') ~= nil and #e.pkey == 64)
end

-- Everything read and checked before the first write (no roll back).
local records, bad = {}, 0
for i = 2, #ARGV do
	local ok, e = pcall(cjson.decode, ARGV[i])
	if ok and valid(e) then
		records[#records + 1] = e
	else
		bad = bad + 1
	end
end

local function count(area, field)
	redis.call('HINCRBY', N, area .. '|' .. field, 1)
end

-- A person's dose: counted the first time that dose is recorded for them.
-- Dose 1 notes the area it counted in and, with a next dose, when dose 2
-- falls due (cov:due2, until dose 2 is recorded); dose 2 ends that wait.
local function person_dose(e, area)
	local pk = P .. 'cov:p:' .. e.pkey
	local dn = 'd' .. e.dose
	if redis.call('HSETNX', pk, dn, e.day) == 1 then
		count(area, dn)
		if e.dose == 1 then
			redis.call('HSET', pk, 'area', area, 'elderly', e.elderly)
			if e.elderly == 1 then count(area, 'e1') end
			if e.next_after > 0 and not redis.call('HGET', pk, 'd2') then
				local due = day_add(e.day, e.next_after)
				redis.call('HSET', pk, 'due2', due)
				redis.call('ZADD', DUE, day_num(due), area .. '|' .. e.pkey)
			end
		elseif e.dose == 2 then
			if e.elderly == 1 then count(area, 'e2') end
			local first = redis.call('HGET', pk, 'area')
			if first then redis.call('ZREM', DUE, first .. '|' .. e.pkey) end
		end
	end
	redis.call('EXPIRE', pk, ctx.retention)
end

local applied, replayed = 0, 0
for _, e in ipairs(records) do
	local id = e.t .. '|' .. e.ev
	if redis.call('HGET', SEEN, id) then
		replayed = replayed + 1
	else
		local area = e.area ~= '' and e.area or '-'
		if e.pkey ~= '' then
			person_dose(e, area)
		else
			count(area, 'd' .. e.dose)
			if e.elderly == 1 and e.dose <= 2 then count(area, 'e' .. e.dose) end
		end
		redis.call('HSET', SEEN, id, 1)
		applied = applied + 1
	end
end
if applied > 0 then
	redis.call('EXPIRE', SEEN, ctx.retention)
	-- a wait older than a person's record is kept is no one's any more
	redis.call('ZREMRANGEBYSCORE', DUE, '-inf',
		'(' .. (day_num(TODAY) - math.floor(ctx.retention / 86400)))
end
return json({ applied = applied, replayed = replayed, bad = bad })
