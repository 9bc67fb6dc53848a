-- coverage_apply: dose records from an event's outbox applied to the
-- campaign's coverage (PROTOCOL.md, "Coverage across the campaign").
-- KEYS[1] is the campaign's prefix "antre:{campaign}:", not an event's.
-- ARGV: the campaign's context ({"off": the UTC offset of coverage's
-- calendar, "stages": [], "retention": seconds a person's record is kept}),
-- then outbox lines as advance() writes them (_lib.lua dose_record).
-- Returns {"applied": n, "replayed": n, "bad": n}.
--
-- Each line counts once, so a line applied again (a drain that applied but
-- could not trim) changes nothing: a person's record (pkey) keeps the
-- field "t:TICKET|EVENT" of each line applied to it, for as long as the
-- record is kept; a line without pkey is marked in cov:seen:DAY (its day),
-- kept SEEN_DAYS: a drain trims what it applied within seconds, so a mark
-- that old is never needed, and nothing grows with the campaign.  A person
-- counts once per dose however many tickets they had: HSETNX of dN on their
-- record decides; a record without pkey counts once per ticket.  A line that is not a dose record is skipped
-- (and trimmed with the others): it can never block the outbox.
local N, DUE = P .. 'cov:n', P .. 'cov:due2'
local SEEN_DAYS = 8
-- cov:due2n counts cov:due2's members by "AREA|DUEDAY", so that a read of
-- coverage takes a field an area and due day, never a member a person.
local DUEN = P .. 'cov:due2n'

local function due_count(member, day, by)
	local field = string.match(member, '^(.*)|%x+$') .. '|' .. day   -- PKEY is hex
	if redis.call('HINCRBY', DUEN, field, by) <= 0 then redis.call('HDEL', DUEN, field) end
end

-- Ends a person's wait for dose 2 (member "AREA|PKEY"), with its count.
local function due_end(member)
	local day = redis.call('ZSCORE', DUE, member)
	if day then
		redis.call('ZREM', DUE, member)
		due_count(member, day, -1)
	end
end

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
				local member = area .. '|' .. e.pkey
				if redis.call('ZADD', DUE, day_num(due), member) == 1 then
					due_count(member, day_num(due), 1)
				end
			end
		elseif e.dose == 2 then
			if e.elderly == 1 then count(area, 'e2') end
			local first = redis.call('HGET', pk, 'area')
			if first then due_end(first .. '|' .. e.pkey) end
		end
	end
	redis.call('EXPIRE', pk, ctx.retention)
end

local applied, replayed = 0, 0
for _, e in ipairs(records) do
	local id = e.t .. '|' .. e.ev
	local area = e.area ~= '' and e.area or '-'
	-- where this line is marked as applied: its person's record, or the day's
	local mark, field = P .. 'cov:seen:' .. e.day, id
	if e.pkey ~= '' then mark, field = P .. 'cov:p:' .. e.pkey, 't:' .. id end
	if redis.call('HGET', mark, field) then
		replayed = replayed + 1
		-- a line still on an outbox keeps its mark as long as it is there
		if e.pkey == '' then redis.call('EXPIRE', mark, SEEN_DAYS * 86400) end
	else
		if e.pkey ~= '' then
			person_dose(e, area)
		else
			count(area, 'd' .. e.dose)
			if e.elderly == 1 and e.dose <= 2 then count(area, 'e' .. e.dose) end
		end
		redis.call('HSET', mark, field, 1)
		if e.pkey == '' then redis.call('EXPIRE', mark, SEEN_DAYS * 86400) end
		applied = applied + 1
	end
end
if applied > 0 then
	-- a wait older than a person's record is kept is no one's any more
	-- (a few at a time: each apply takes its share)
	local old = redis.call('ZRANGEBYSCORE', DUE, '-inf',
		'(' .. (day_num(TODAY) - math.floor(ctx.retention / 86400)), 'LIMIT', 0, 100)
	for _, member in ipairs(old) do due_end(member) end
end
return json({ applied = applied, replayed = replayed, bad = bad })
