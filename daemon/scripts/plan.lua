--! no-writes
-- plan: what the earlier days of the event measured, for the planner
-- (GET /v1/events/{ev}/plan; route_plan.c).  Over the up to 7 days before
-- today whose statistics hash is still there (kept 8 days): each stage's
-- service times summed and counted over its stations (ss|, sn|), the first
-- stage's arrivals by event-local hour (a|STAGE|MIN, as stats.lua's prev),
-- and its calls (the wait histogram wh|STAGE|B counts each call once) and
-- no-shows (n|STATION).
-- ARGV: ctx, the most stations a stage may have (the numbers read).
local most = tonumber(ARGV[2])
local nst, first = #ctx.stages, ctx.stages[1].id
local buckets = #ctx.wait + 1
local out = { days = 0, prev = array(), serv_ms = array(), serv_n = array(),
	calls = 0, no_show = 0 }
for h = 1, 24 do out.prev[h] = 0 end
for i = 1, nst do out.serv_ms[i], out.serv_n[i] = 0, 0 end
local arrivals, service, first_calls = {}, {}, {}
for m = 0, 1439 do arrivals[m + 1] = 'a|' .. first .. '|' .. m end
for i, s in ipairs(ctx.stages) do
	for n = 1, most do
		service[#service + 1] = 'ss|' .. s.id .. '-' .. n
		service[#service + 1] = 'sn|' .. s.id .. '-' .. n
	end
end
for n = 1, most do first_calls[n] = 'n|' .. first .. '-' .. n end
for b = 1, buckets do first_calls[most + b] = 'wh|' .. first .. '|' .. b end
local function num(v) return tonumber(v or '0') or 0 end
-- Bounded: 7 days of three HMGETs of at most 1,440, 2 x 8 x most and
-- most + 14 fields.
for k = 1, 7 do
	local key = P .. 'stats:' .. day_of(NOW - k * 86400000)
	if redis.call('EXISTS', key) == 1 then
		out.days = out.days + 1
		local v = redis.call('HMGET', key, unpack(arrivals))
		for m = 1, 1440 do
			local h = math.floor((m - 1) / 60) + 1
			out.prev[h] = out.prev[h] + num(v[m])
		end
		v = redis.call('HMGET', key, unpack(service))
		for i = 1, nst do
			for n = 1, most do
				local j = ((i - 1) * most + n - 1) * 2
				out.serv_ms[i] = out.serv_ms[i] + num(v[j + 1])
				out.serv_n[i] = out.serv_n[i] + num(v[j + 2])
			end
		end
		v = redis.call('HMGET', key, unpack(first_calls))
		for n = 1, most do out.no_show = out.no_show + num(v[n]) end
		for b = 1, buckets do out.calls = out.calls + num(v[most + b]) end
	end
end
return json(out)
