#!/bin/sh
# make bench, in five parts, each measured against references in the same
# run on this machine:
#
# 1. ticket issuance over HTTP, with Redis durability (AOF, appendfsync
#    always, on disk), against a bare libevent server that does no work,
#    with the same load (wrk, 50 connections).  Prints both, the ratio and
#    antred's p99, and where the cores went: the CPU each process (wrk,
#    the server; antred, Redis and its AOF rewrites) spent per request,
#    and the rates those costs allow on this machine's cores.
# 2. live displays: BENCH_SSE_N (10,000) Server-Sent Events subscribers on
#    one antred, run with each `workers` of BENCH_SSE_WORKERS ("1 2"; the
#    memory is the parent's and the workers' together), then
#    BENCH_SSE_CALLS (20) calls, one every BENCH_SSE_INTERVAL (300) ms;
#    per call, the time until every subscriber has it, and the daemon's
#    memory per idle subscriber.  The same against
#    nginx with the nchan module (one EventSource location,
#    BENCH_NCHAN_WORKERS (2) workers), when Debian's nginx and
#    libnginx-mod-nchan are installed, and against a bare epoll loop that
#    only send()s (this machine's floor for one thread, and for two).  The load client
#    is tests/bench/sse_load.c (BENCH_SSE_THREADS threads, 1).
# 3. phones: BENCH_PHONES_N (10,000) people on their own ticket streams
#    (signed, one ticket each, issued through the API) on one antred
#    (`workers` BENCH_PHONES_WORKERS, 2: memory and CPU summed), then
#    BENCH_PHONES_CALLS (50) calls, one every BENCH_PHONES_INTERVAL (200) ms;
#    the time from a call to the called phone (p50, p99), antred's memory
#    per phone stream, and antred's and Redis's CPU seconds per second per
#    1,000 watched tickets while the calls go on.  The load client is
#    tests/bench/phone_load.c.
# 4. strangers: a desk's issue latency (p50/p99, one keep-alive
#    connection from 127.0.0.2) before and while one client address
#    (127.0.0.1) sends BENCH_STRANGER_N (16,000) stream requests, antred
#    with its default limits, or BENCH_STRANGER_STREAMS as
#    max-streams-per-address (tests/bench/strangers.py).
# 5. cost: what one issue costs Redis in machine instructions (valgrind's
#    callgrind), alone in its call and ten in one call (issues that come
#    together go together: daemon/queue_batch.c), a figure the machine's
#    noise does not move (tests/bench/redis_cost.sh); and what one issue
#    costs antred's own process, the same way (tests/bench/antred_cost.sh).
# BENCH_PARTS: any of "issue", "cost", "sse", "phones", "strangers" (all
# by default).
# Loopback only; every run is bounded by its duration.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build="$top/build"
dur="${BENCH_SECONDS:-10}"
conns="${BENCH_CONNECTIONS:-50}"
parts="${BENCH_PARTS:-issue cost sse phones strangers}"   # any of them
tmp=$(mktemp -d /var/tmp/antre-bench.XXXXXX)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
# Stops the processes started here that are named, and forgets them.
stop() {
	for p in "$@"; do kill "$p" 2>/dev/null || true; done
	for p in "$@"; do wait "$p" 2>/dev/null || true; done
	keep=
	for p in $pids; do
		case " $* " in *" $p "*) ;; *) keep="$keep $p" ;; esac
	done
	pids=$keep
}

# Every live-display subscriber is a descriptor, in the servers and in the
# load client: the soft limit goes up to the hard one for all of them.
nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] && nofile=1048576
ulimit -Sn "$nofile" 2>/dev/null || ulimit -n "$nofile" 2>/dev/null || true
nofile=$(ulimit -Sn)

. "$top/tests/bench/lib.sh"
wait_port() {
	i=0
	until curl -s -o /dev/null "http://127.0.0.1:$1/"; do
		i=$((i + 1)); [ $i -lt 100 ] || { echo "bench: nothing on port $1" >&2; exit 1; }
		sleep 0.05
	done
}

case " $parts " in *" issue "*)
rport=$(port); hport=$(port); aport=$(port)
[ -n "${BENCH_RPORT_FILE:-}" ] && echo "$rport" > "$BENCH_RPORT_FILE"
redis-server "$top/tools/redis.conf" --port "$rport" --dir "$tmp" --daemonize no \
	--logfile "$tmp/redis.log" &
redis=$!
pids="$pids $redis"
mkdir "$tmp/events"
cp "$top/tools/demo/events/demo.json" "$tmp/events/"
token=$(token desk)
antred_conf "$tmp" "$aport" "$rport" "token desk $token"
"$build/antred" -c "$tmp/antred.conf" 2>"$tmp/antred.log" &
antred=$!
pids="$pids $antred"
"$build/tests/bench-hello" "$hport" &
hello=$!
pids="$pids $hello"
wait_port "$aport"
wait_port "$hport"
until curl -sf "http://127.0.0.1:$aport/healthz" >/dev/null; do sleep 0.05; done

# A process's CPU time in clock ticks, "its own,its reaped children's"
# (Redis's children are its AOF rewrites): ticks PID
ticks() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 "," $14 + $15 }' "/proc/$1/stat"
}
hz=$(getconf CLK_TCK)
# Microseconds of CPU a request from tick counts: per_req TICKS REQUESTS
per_req() { awk -v t="$1" -v n="$2" -v hz="$hz" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }'; }

# Runs a command and writes its CPU seconds (user and system, its
# children's too) to the file $1: cpu_of FILE COMMAND...
cpu_of() {
	python3 - "$@" <<'PY'
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, ru = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write("%.3f\n" % (ru.ru_utime + ru.ru_stime))
sys.exit(os.waitstatus_to_exitcode(status))
PY
}

# Prints "requests_per_second p99_ms mean_ms wrk_us server_us,children_us
# ..." from wrk's report, and the CPU microseconds per request of wrk and
# of each server process named (PID...), and of its children, over the
# run: measure URL PID...
measure() {
	url=$1; shift
	b=
	for p in "$@"; do b="$b $(ticks "$p")"; done
	ANTRE_TOKEN="$token" cpu_of "$tmp/wrk.cpu" wrk -t2 -c"$conns" -d"${dur}s" --latency \
		-s "$top/tests/bench/issue.lua" "$url" > "$tmp/wrk.out"
	e=
	for p in "$@"; do e="$e $(ticks "$p")"; done
	non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$tmp/wrk.out")
	if [ -n "$non2xx" ]; then
		echo "bench: $non2xx requests failed against $url" >&2
		cat "$tmp/wrk.out" >&2
		exit 1
	fi
	awk '
	function ms(v,   unit) {       # "812.5us", "2.1ms", "1.2s"
		unit = v; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
		return (unit == "us") ? v / 1000 : (unit == "s") ? v * 1000 : v
	}
	/Requests\/sec:/ { rps = $2 }
	$1 == "99%" { p99 = ms($2) }
	$1 == "Latency" && $2 ~ /^[0-9]/ { mean = ms($2) }
	/^ *[0-9]+ requests in / { n = $1 }
	END { printf "%.0f %.2f %.2f %.1f", rps, p99, mean, cpu * 1e6 / n }' \
		cpu="$(cat "$tmp/wrk.cpu")" "$tmp/wrk.out"
	n=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$tmp/wrk.out")
	set -- $b
	for t in $e; do
		printf ' %s,%s' "$(per_req $((${t%,*} - ${1%,*})) "$n")" \
			"$(per_req $((${t#*,} - ${1#*,})) "$n")"
		shift
	done
	echo
}

echo "ticket issuance, $conns connections, ${dur} s each, wrk -t2, this machine ($(nproc) cores)"
set -- $(measure "http://127.0.0.1:$hport/" "$hello")
hello_rps=$1; hello_p99=$2; hello_mean=$3; hello_wrk=$4; hello_cpu=${5%,*}
echo "  bare libevent server: $hello_rps req/s, p99 $hello_p99 ms (mean $hello_mean ms)"
set -- $(measure "http://127.0.0.1:$aport/v1/events/demo/tickets" "$antred" "$redis")
antre_rps=$1; antre_p99=$2; antre_mean=$3; antre_wrk=$4; antre_cpu=${5%,*}
redis_cpu=${6%,*}; rewrite_cpu=${6#*,}
issued=$(redis-cli -p "$rport" --raw eval "local n=0 for _,k in ipairs(redis.call('KEYS', KEYS[1])) do n=n+redis.call('HLEN',k) end return n" 1 'antre:{demo}:codes:*')
echo "  antred issue (AOF, appendfsync always): $antre_rps req/s, p99 $antre_p99 ms (mean $antre_mean ms; $issued tickets in Redis)"
# Redis rewrites its AOF when the file has doubled (past 64 MB): the run's
# tickets, a hundred days of a busy site's, make it rewrite in the run; each
# rewrite forks Redis and its child takes a core for a second, which is most
# of the p99.  Said, so that the p99 is read with it.
redis-cli -p "$rport" info persistence | tr -d '\r' | awk -F: '
	$1 == "aof_rewrites" { n = $2 } $1 == "aof_last_rewrite_time_sec" { s = $2 }
	END { printf "  (AOF rewrites by Redis in the run: %d, the last %d s long)\n", n, s }'
awk -v a="$antre_rps" -v h="$hello_rps" -v p="$antre_p99" 'BEGIN {
	printf "  ratio antred/bare: %.2f (target >= 0.50); p99 %.2f ms (target < 5 ms)\n", a / h, p }'
# Where the cores went: the CPU each process spent per request.  The bare
# server and antred are both libevent's HTTP server, one thread; antred
# has Redis (one thread, its AOF rewrites included) to wait for, and wrk
# shares the same cores.
echo "  CPU per request (us): bare server $hello_cpu, wrk $hello_wrk |" \
	"antred $antre_cpu, Redis $redis_cpu (and its AOF rewrites $rewrite_cpu), wrk $antre_wrk"
awk -v a="$antre_cpu" -v r="$redis_cpu" -v x="$rewrite_cpu" -v w="$antre_wrk" -v c="$(nproc)" \
	-v h="$hello_rps" 'BEGIN {
	printf "  so at most %.0f issues/s on these %d cores, and %.0f/s from Redis'"'"'s one thread\n",
		c * 1e6 / (a + r + x + w), c, 1e6 / r
	need = h / 2
	printf "  (ratio 0.50 is %.0f issues/s: antred and Redis in at most %.1f us an issue with this wrk, now %.1f)\n",
		need, c * 1e6 / need - w, a + r + x }'
stop $pids
;; esac

# ---- Redis's instructions per issue ----------------------------------------
case " $parts " in *" cost "*)
sh "$top/tests/bench/redis_cost.sh" "$build" "$top" "$tmp"
sh "$top/tests/bench/antred_cost.sh" "$build" "$top" "$tmp"
;; esac

# ---- live displays ---------------------------------------------------------
case " $parts " in *" sse "*)
sse_n="${BENCH_SSE_N:-10000}"
sse_calls="${BENCH_SSE_CALLS:-20}"
sse_interval="${BENCH_SSE_INTERVAL:-300}"
sse_threads="${BENCH_SSE_THREADS:-1}"
nchan_workers="${BENCH_NCHAN_WORKERS:-2}"
sse_workers="${BENCH_SSE_WORKERS:-1 2}"     # antred's `workers`, a run each
if [ "$nofile" -lt $((sse_n + 100)) ]; then
	echo "bench: $sse_n subscribers need $((sse_n + 100)) open files; the limit here is $nofile" >&2
	exit 1
fi

# One run of the load client against a server; its RESULT line is kept in
# $tmp/sse-LABEL.result, its report goes to the terminal.
sse_run() {
	label=$1; shift
	"$build/tests/bench-sse" -L "$label" -n "$sse_n" -k "$sse_calls" -i "$sse_interval" \
		-t "$sse_threads" -q "$@" > "$tmp/sse-$label.out" || {
		cat "$tmp/sse-$label.out"
		echo "bench: the live-display run against $label failed" >&2
		return 1
	}
	grep -v '^RESULT ' "$tmp/sse-$label.out" | sed 's/^/  /'
	grep '^RESULT ' "$tmp/sse-$label.out" > "$tmp/sse-$label.result"
}
# "PID,CHILD,CHILD..." once PID has N children: with_workers PID N NAME
with_workers() {
	i=0
	until [ "$(pgrep -P "$1" | wc -l)" -ge "$2" ]; do
		i=$((i + 1)); [ $i -lt 100 ] || { echo "bench: $3 started no workers" >&2; exit 1; }
		sleep 0.05
	done
	echo "$1,$(pgrep -P "$1" | paste -sd, -)"
}
# A field of a RESULT line: result LABEL KEY
result() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$tmp/sse-$1.result"; }

echo "live displays: $sse_n SSE subscribers, $sse_calls calls one every $sse_interval ms, load client with $sse_threads thread(s), this machine ($(nproc) cores)"

# antred, on a Redis of its own, as in production (AOF, appendfsync always),
# with an event like the demo's whose first stage has a station for every
# call (64 at most), so that each call is one station operation: a call and
# its consequences (the ticket's change, a board), nothing else.  With more
# calls than stations the client skips each called ticket to free its
# station, which adds a change per call.
mkdir -p "$tmp/sse/events"
sse_stations=$((sse_calls < 64 ? sse_calls : 64))
sse_stage=$(python3 - "$top/tools/demo/events/demo.json" "$tmp/sse/events/bench.json" \
	"$sse_stations" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
e["id"], e["name"] = "bench", "antre bench"
e["stages"][0]["stations"] = int(sys.argv[3])
json.dump(e, open(sys.argv[2], "w"), indent=1)
print(e["stages"][0]["id"])
PY
)
# One antred run: a fresh Redis, `workers $1`, the calls; label antred-w$1.
sse_antred() {
srport=$(port); sport=$(port)
rm -rf "$tmp/sse/redis" && mkdir -p "$tmp/sse/redis"
redis-server "$top/tools/redis.conf" --port "$srport" --dir "$tmp/sse/redis" --daemonize no \
	--logfile "$tmp/sse/redis.log" &
sredis=$!
pids="$pids $sredis"
wait_redis "$srport" 5
desk=$(token desk)
station=$(token station)
antred_conf "$tmp/sse" "$sport" "$srport" "token desk $desk" "token station $station" \
	"max-connections $((sse_n + 1000))" "workers $1"
: > "$tmp/sse/antred.log"
"$build/antred" -c "$tmp/sse/antred.conf" 2>"$tmp/sse/antred.log" &
santred=$!
pids="$pids $santred"
wait_port "$sport"
until curl -sf "http://127.0.0.1:$sport/healthz" >/dev/null; do sleep 0.05; done
# with workers: the parent and every worker, for their memory
spids=$santred
if [ "$1" -gt 1 ]; then
	spids=$(with_workers "$santred" "$1" antred)
fi
sse_run "antred-w$1" -p "$sport" -u /v1/events/bench/stream -M antre -D "$desk" -S "$station" \
	-e bench -s "$sse_stage" -x "$sse_stations" -m 'event: call\n' -K '"code":"' -r "$spids"
if [ -s "$tmp/sse/antred.log" ]; then
	echo "  antred's log:"; sed 's/^/    /' "$tmp/sse/antred.log" | tail -5
fi
stop "$santred" "$sredis"
}
for w in $sse_workers; do
	sse_antred "$w"
done

# nginx with nchan, as Debian packages them
nchan_mod=
for m in /usr/lib/nginx/modules/ngx_nchan_module.so /usr/share/nginx/modules/ngx_nchan_module.so; do
	[ -f "$m" ] && { nchan_mod=$m; break; }
done
have_nchan=
if command -v nginx >/dev/null 2>&1 && [ -n "$nchan_mod" ]; then
	have_nchan=1
	nport=$(port)
	ndir="$tmp/nginx"
	mkdir -p "$ndir"
	# as root the workers need a user; Debian has no group "nobody"
	user=
	[ "$(id -u)" = 0 ] && user="user nobody nogroup;"
	sed -e "s|@DIR@|$ndir|g" -e "s|@PORT@|$nport|g" -e "s|@WORKERS@|$nchan_workers|g" \
		-e "s|@MODULE@|$nchan_mod|g" -e "s|@NOFILE@|$nofile|g" \
		-e "s|@CONNECTIONS@|$((sse_n + 1000))|g" -e "s|@USER@|$user|g" \
		"$top/tests/bench/nchan.conf.in" > "$ndir/nginx.conf"
	nginx -p "$ndir" -c "$ndir/nginx.conf" -e "$ndir/error.log" &
	nginx=$!
	pids="$pids $nginx"
	wait_port "$nport"
	# the master and its workers, for their memory
	npids=$(with_workers "$nginx" "$nchan_workers" nginx)
	sse_run nchan -p "$nport" -u /sub -M nchan -P /pub -m 'data: seq=' -K '' -r "$npids"
	grep -v '\[notice\]' "$ndir/error.log" | tail -5 | sed 's/^/  nginx: /'
	stop "$nginx"
else
	echo "  nginx with nchan is not installed (Debian: apt-get install nginx libnginx-mod-nchan): antred alone"
fi

# this machine's floor for one thread, and for two (as antred's two
# workers): a bare epoll loop, one send() per subscriber per call, no HTTP
# library (labels bare and bare-t2)
for ft in 1 2; do
fport=$(port)
"$build/tests/bench-sse" -F -t "$ft" -p "$fport" &
floor=$!
pids="$pids $floor"
i=0
until curl -s -o /dev/null -X POST --data '' "http://127.0.0.1:$fport/pub"; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "bench: nothing on port $fport" >&2; exit 1; }
	sleep 0.05
done
label=bare
[ "$ft" = 1 ] || label=bare-t$ft
sse_run "$label" -p "$fport" -u /sub -M nchan -P /pub -m 'data: seq=' -K '' -r "$floor"
stop "$floor"
done

echo
{
	printf "%s subscribers:" "$sse_n"
	sep=
	for w in $sse_workers; do
		printf "%s antred (workers %s) all reached in median %s ms (worst %s ms, publisher's reply %s ms), %s KiB/subscriber" \
			"$sep" "$w" "$(result "antred-w$w" median_all_ms)" "$(result "antred-w$w" worst_all_ms)" \
			"$(result "antred-w$w" median_reply_ms)" "$(result "antred-w$w" kib_per_sub)"
		sep=";"
	done
	if [ -n "$have_nchan" ]; then
		printf "; nginx+nchan (%s worker%s) median %s ms (worst %s ms), %s KiB/subscriber" \
			"$nchan_workers" "$([ "$nchan_workers" = 1 ] || echo s)" "$(result nchan median_all_ms)" "$(result nchan worst_all_ms)" \
			"$(result nchan kib_per_sub)"
	fi
	printf "; bare epoll fan-out (1 thread) median %s ms, (2 threads) median %s ms" \
		"$(result bare median_all_ms)" "$(result bare-t2 median_all_ms)"
	echo
}
last=antred-w$(echo $sse_workers | awk '{ print $NF }')
awk -v m="$(result "$last" median_all_ms)" -v w="$(result "$last" worst_all_ms)" \
    -v k="$(result "$last" kib_per_sub)" -v n="$sse_n" -v l="$last" 'BEGIN {
	printf "  targets (10,000 on one daemon, %s): every subscriber within 60 ms (median %s, worst %s), <= 6 KiB each (%s)\n", l, \
		(m <= 60 ? "met" : "NOT met"), (w <= 60 ? "met" : "NOT met"), (k <= 6 ? "met" : "NOT met")
	if (n != 10000) printf "  (measured with %d subscribers, not 10,000)\n", n }'
;; esac

# ---- phones ------------------------------------------------------------------
case " $parts " in *" phones "*)
ph_n="${BENCH_PHONES_N:-10000}"
ph_calls="${BENCH_PHONES_CALLS:-50}"
ph_interval="${BENCH_PHONES_INTERVAL:-200}"
if [ "$nofile" -lt $((ph_n + 100)) ]; then
	echo "bench: $ph_n phones need $((ph_n + 100)) open files; the limit here is $nofile" >&2
	exit 1
fi
echo
echo "phones: $ph_n ticket streams (one ticket each), $ph_calls calls one every $ph_interval ms, antred with workers ${BENCH_PHONES_WORKERS:-2}, this machine ($(nproc) cores)"
mkdir -p "$tmp/ph/events"
python3 - "$top/tools/demo/events/demo.json" "$tmp/ph/events/bench.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
e["id"], e["name"] = "bench", "antre bench"
e["stages"][0]["stations"] = 2
json.dump(e, open(sys.argv[2], "w"), indent=1)
PY
ph_stage=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["stages"][0]["id"])' "$tmp/ph/events/bench.json")
prport=$(port); pport=$(port)
redis-server "$top/tools/redis.conf" --port "$prport" --dir "$tmp/ph" --daemonize no \
	--logfile "$tmp/ph/redis.log" &
predis=$!
pids="$pids $predis"
wait_redis "$prport" 5
desk=$(token desk)
station=$(token station)
antred_conf "$tmp/ph" "$pport" "$prport" "token desk $desk" "token station $station" \
	"max-connections $((ph_n + 1000))" "workers ${BENCH_PHONES_WORKERS:-2}"
"$build/antred" -c "$tmp/ph/antred.conf" 2>"$tmp/ph/antred.log" &
pantred=$!
pids="$pids $pantred"
wait_port "$pport"
until curl -sf "http://127.0.0.1:$pport/healthz" >/dev/null; do sleep 0.05; done
"$build/tests/bench-phone" -p "$pport" -D "$desk" -S "$station" -e bench -s "$ph_stage" \
	-x 2 -n "$ph_n" -k "$ph_calls" -i "$ph_interval" -r "$pantred,$predis" \
	> "$tmp/ph/out" || {
	cat "$tmp/ph/out"
	echo "bench: the phone run failed" >&2
	tail -5 "$tmp/ph/antred.log" >&2
	exit 1
}
grep -v '^RESULT ' "$tmp/ph/out" | sed 's/^/  /'
if [ -s "$tmp/ph/antred.log" ]; then
	echo "  antred's log:"; sed 's/^/    /' "$tmp/ph/antred.log" | tail -5
fi
awk -v n="$ph_n" '/^RESULT / {
	for (i = 2; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] }
	printf "  target (10,000 phones on one daemon): the called phone within 250 ms p99: %s (p99 %s ms)\n", \
		(r["p99_ms"] <= 250 ? "met" : "NOT met"), r["p99_ms"]
	if (n != 10000) printf "  (measured with %d phones, not 10,000)\n", n }' "$tmp/ph/out"
stop "$pantred" "$predis"
;; esac

# ---- strangers: a flood from one address while a desk issues ---------------
case " $parts " in *" strangers "*)
stranger_n="${BENCH_STRANGER_N:-16000}"
if [ "$nofile" -lt $((stranger_n + 200)) ]; then
	echo "bench: the stranger's $stranger_n connections need $((stranger_n + 200)) open files; the limit here is $nofile" >&2
	exit 1
fi
mkdir -p "$tmp/strangers/events"
cp "$top/tools/demo/events/demo.json" "$tmp/strangers/events/"
xrport=$(port); xport=$(port)
redis-server "$top/tools/redis.conf" --port "$xrport" --dir "$tmp/strangers" --daemonize no \
	--logfile "$tmp/strangers/redis.log" &
xredis=$!
pids="$pids $xredis"
wait_redis "$xrport" 5
xdesk=$(token desk)
# the default limits (max-connections 16000, 4096 connections and 2048
# streams an address, 512 kept for token holders)
antred_conf "$tmp/strangers" "$xport" "$xrport" "token desk $xdesk"
[ -n "${BENCH_STRANGER_STREAMS:-}" ] &&
	echo "max-streams-per-address $BENCH_STRANGER_STREAMS" >> "$tmp/strangers/antred.conf"
"$build/antred" -c "$tmp/strangers/antred.conf" 2>"$tmp/strangers/antred.log" &
xantred=$!
pids="$pids $xantred"
wait_port "$xport"
until curl -sf "http://127.0.0.1:$xport/healthz" >/dev/null; do sleep 0.05; done
echo
echo "strangers: desk issues (AOF, appendfsync always), 20 a second, while one address sends $stranger_n stream requests (max-streams-per-address ${BENCH_STRANGER_STREAMS:-2048}), this machine ($(nproc) cores)"
python3 "$top/tests/bench/strangers.py" "$xport" "$xdesk" "$stranger_n" | grep -v '^RESULT '
if [ -s "$tmp/strangers/antred.log" ]; then
	echo "  antred's log:"; sed 's/^/    /' "$tmp/strangers/antred.log" | tail -5
fi
stop "$xantred" "$xredis"
;; esac
