#!/bin/sh
# make bench, part "cost": what one ticket issue costs Redis, in machine
# instructions counted by valgrind's callgrind: a figure that the noise of a
# shared machine does not move (its wall-clock figures move by a third
# from one minute to the next), to compare one change of the scripts with
# the next.  Redis runs as in production (tools/redis.conf: AOF,
# appendfsync always) under callgrind; antred loads its library there and
# issues one ticket (the library then keeps the event's context); antred
# stops, and BENCH_COST_N (2,000) issues are sent as antred sends them
# (FCALL of issue_batch with the context's reference, 50 calls in a
# pipeline): each alone in its call, as a quiet desk's, then ten in a call,
# as when desks issue together (daemon/queue_batch.c).  Everything Redis
# does for them is counted: reading and parsing the calls, the scripts,
# the AOF and its fsyncs, the replies.
#   redis_cost.sh BUILD_DIR TOP TMP
set -eu
build=$1; top=$2; tmp=$3
n="${BENCH_COST_N:-2000}"
. "$top/tests/bench/lib.sh"
rport=$(port); aport=$(port)
dir="$tmp/cost"
demo_dir "$top" "$dir"
valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.%p" \
	redis-server "$top/tools/redis.conf" --port "$rport" --dir "$dir" --daemonize no \
	--logfile "$dir/redis.log" >/dev/null 2>"$dir/valgrind.log" &
vpid=$!
apid=
mon=
finish() {
	[ -n "$apid" ] && kill "$apid" 2>/dev/null
	[ -n "$mon" ] && kill "$mon" 2>/dev/null
	redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || kill "$vpid" 2>/dev/null
	wait 2>/dev/null || true
}
trap finish EXIT
wait_redis "$rport" 30        # valgrind starts slowly
token=$(token desk)
antred_conf "$dir" "$aport" "$rport" "redis-timeout-ms 10000" "token desk $token"
# the calls antred sends, to copy the (function and context reference)
redis-cli -p "$rport" monitor > "$dir/monitor.txt" &
mon=$!
"$build/antred" -c "$dir/antred.conf" 2>"$dir/antred.log" &
apid=$!
i=0
until curl -sf "http://127.0.0.1:$aport/healthz" >/dev/null; do
	i=$((i + 1)); [ $i -lt 300 ] || { echo "bench: antred did not start on redis under valgrind" >&2; exit 1; }
	sleep 0.1
done
curl -sf -o /dev/null -X POST -H "Authorization: Bearer $token" -d '{"service":"dose1"}' \
	"http://127.0.0.1:$aport/v1/events/demo/tickets"
kill "$apid"; wait "$apid" 2>/dev/null || true; apid=
sleep 0.5
kill "$mon"; wait "$mon" 2>/dev/null || true; mon=
# "FCALL" "antre_V_issue_batch" "1" "antre:{demo}:" "#REF" "1" "8" "dose1" "A"
#   "regular" "2" "" "" "" "0" "0" ""
call=$(grep '"FCALL" "antre_[0-9a-f]*_issue_batch" .*"#[0-9a-f]\{16\}" "1" "8" ' "$dir/monitor.txt" |
	tail -1 | sed 's/^[^"]*//')
[ -n "$call" ] || { echo "bench: no issue call with a context reference seen" >&2; exit 1; }
eval "set -- $call"
# the instructions Redis runs for the calls: count N ARGS...
count() {
	k=$1; shift
	# a first round, then the counted one (the library's kept estimates warm)
	redis-benchmark -p "$rport" -c 1 -P 50 -n 50 -q "$@" >/dev/null
	callgrind_control -z "$vpid" >/dev/null 2>&1
	redis-benchmark -p "$rport" -c 1 -P 50 -n "$k" -q "$@" >/dev/null
	callgrind_control -d "$vpid" >/dev/null 2>&1
	dump=$(ls -t "$dir"/callgrind.*.* 2>/dev/null | head -1)
	[ -n "$dump" ] || { echo "bench: callgrind wrote no dump" >&2; exit 1; }
	callgrind_annotate "$dump" 2>/dev/null | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,
}
alone=$(count "$n" "$@")
# the same request ten times in one call: FCALL fn 1 prefix ref 10 8 (args 0 "")x10
head="'$1' '$2' '$3' '$4' '$5'"          # quoted: "#REF" is no comment
shift 7
item=
for a in "$@"; do item="$item '$a'"; done
ten=$(eval "count $((n / 10)) $head 10 8 $item $item $item $item $item $item $item $item $item $item")
issued=$(redis-cli -p "$rport" --raw eval "local n=0 for _,k in ipairs(redis.call('KEYS', KEYS[1])) do n=n+redis.call('HLEN',k) end return n" 1 'antre:{demo}:codes:*')
# every call issued its tickets (a refused one costs far less)
want=$((1 + 50 + n + 50 * 10 + n))
if [ "$issued" != "$want" ]; then
	echo "bench: $issued tickets issued, not $want: calls failed" >&2
	exit 1
fi
echo "Redis's cost of an issue (valgrind callgrind; AOF, appendfsync always; $n issues, 50 calls in a pipeline)"
awk -v a="$alone" -v t="$ten" -v n="$n" 'BEGIN {
	printf "  %.0f instructions per issue alone in its call, %.0f ten in a call\n", a / n, t / n }'
