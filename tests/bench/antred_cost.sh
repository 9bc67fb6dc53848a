#!/bin/sh
# make bench, part "cost": what one ticket issue costs antred itself, in
# machine instructions of its own process (valgrind's callgrind; the
# kernel's part, the socket calls, is not counted): a figure the noise of a
# shared machine does not move, as redis_cost.sh's is for Redis.  antred
# runs under callgrind with the counting off; wrk (10 connections, as
# desks issue together) warms it for a second, then the counting is on for
# BENCH_COST_SECONDS (3) of issues; instructions over issues answered.
# Redis runs as in production (tools/redis.conf) outside valgrind.
#   antred_cost.sh BUILD_DIR TOP TMP
set -eu
build=$1; top=$2; tmp=$3
secs="${BENCH_COST_SECONDS:-3}"
. "$top/tests/bench/lib.sh"
rport=$(port); aport=$(port)
dir="$tmp/acost"
demo_dir "$top" "$dir"
redis-server "$top/tools/redis.conf" --port "$rport" --dir "$dir" --daemonize no \
	--logfile "$dir/redis.log" &
rpid=$!
apid=
finish() {
	[ -n "$apid" ] && kill "$apid" 2>/dev/null
	kill "$rpid" 2>/dev/null
	wait 2>/dev/null || true
}
trap finish EXIT
wait_redis "$rport" 5
token=$(token desk)
antred_conf "$dir" "$aport" "$rport" "token desk $token"
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$dir/callgrind.%p" \
	"$build/antred" -c "$dir/antred.conf" 2>"$dir/antred.log" &
apid=$!
i=0
until curl -sf "http://127.0.0.1:$aport/healthz" >/dev/null; do
	i=$((i + 1)); [ $i -lt 300 ] || { echo "bench: antred did not start under valgrind" >&2; exit 1; }
	sleep 0.1
done
issue() {
	ANTRE_TOKEN="$token" wrk -t1 -c10 -d"$1"s -s "$top/tests/bench/issue.lua" \
		"http://127.0.0.1:$aport/v1/events/demo/tickets" > "$dir/wrk.out"
	if grep -q 'Non-2xx' "$dir/wrk.out"; then
		echo "bench: issues failed against antred under valgrind" >&2
		cat "$dir/wrk.out" >&2
		exit 1
	fi
}
issue 1
callgrind_control -i on "$apid" >/dev/null 2>&1
issue "$secs"
callgrind_control -i off "$apid" >/dev/null 2>&1
callgrind_control -d "$apid" >/dev/null 2>&1
n=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$dir/wrk.out")
dump=$(ls -t "$dir"/callgrind.*.* 2>/dev/null | head -1)
[ -n "$dump" ] || { echo "bench: callgrind wrote no dump" >&2; exit 1; }
total=$(callgrind_annotate "$dump" 2>/dev/null | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
echo "antred's cost of an issue (valgrind callgrind, its own process; wrk -c10, $n issues)"
awk -v t="$total" -v n="$n" 'BEGIN { printf "  %.0f instructions per issue\n", t / n }'
