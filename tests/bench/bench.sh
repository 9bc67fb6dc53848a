#!/bin/sh
# make bench: ticket issuance over HTTP, with Redis durability (AOF,
# appendfsync always, on disk), against a bare libevent server that does no
# work, both measured here in the same run with the same load (wrk, 50
# connections).  Prints both, the ratio and antred's p99.
# Loopback only; every run is bounded by its duration.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build="$top/build"
dur="${BENCH_SECONDS:-10}"
conns="${BENCH_CONNECTIONS:-50}"
tmp=$(mktemp -d /var/tmp/antre-bench.XXXXXX)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
	i=0
	until curl -s -o /dev/null "http://127.0.0.1:$1/"; do
		i=$((i + 1)); [ $i -lt 100 ] || { echo "bench: nothing on port $1" >&2; exit 1; }
		sleep 0.05
	done
}

rport=$(port); hport=$(port); aport=$(port)
[ -n "${BENCH_RPORT_FILE:-}" ] && echo "$rport" > "$BENCH_RPORT_FILE"
redis-server "$top/tools/redis.conf" --port "$rport" --dir "$tmp" --daemonize no \
	--logfile "$tmp/redis.log" &
pids="$pids $!"
mkdir "$tmp/events"
cp "$top/tools/demo/events/demo.json" "$tmp/events/"
token="desk-bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
cat > "$tmp/antred.conf" <<CONF
listen 127.0.0.1:$aport
redis redis://127.0.0.1:$rport/0
secret-file $tmp/secret
events-dir $tmp/events
log-level warn
token desk $token
CONF
"$build/antred" -c "$tmp/antred.conf" 2>"$tmp/antred.log" &
pids="$pids $!"
"$build/tests/bench-hello" "$hport" &
pids="$pids $!"
wait_port "$aport"
wait_port "$hport"
until curl -sf "http://127.0.0.1:$aport/healthz" >/dev/null; do sleep 0.05; done

# Returns "requests_per_second p99_ms" from wrk's report.
measure() {
	ANTRE_TOKEN="$token" wrk -t2 -c"$conns" -d"${dur}s" --latency \
		-s "$top/tests/bench/issue.lua" "$1" > "$tmp/wrk.out"
	non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$tmp/wrk.out")
	if [ -n "$non2xx" ]; then
		echo "bench: $non2xx requests failed against $1" >&2
		cat "$tmp/wrk.out" >&2
		exit 1
	fi
	awk '
	/Requests\/sec:/ { rps = $2 }
	$1 == "99%" {
		v = $2; unit = v; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
		ms = (unit == "us") ? v / 1000 : (unit == "s") ? v * 1000 : v
		p99 = ms
	}
	END { printf "%.0f %.2f\n", rps, p99 }' "$tmp/wrk.out"
}

echo "ticket issuance, $conns connections, ${dur} s each, wrk -t2, this machine ($(nproc) cores)"
set -- $(measure "http://127.0.0.1:$hport/")
hello_rps=$1; hello_p99=$2
echo "  bare libevent server: $hello_rps req/s, p99 $hello_p99 ms"
set -- $(measure "http://127.0.0.1:$aport/v1/events/demo/tickets")
antre_rps=$1; antre_p99=$2
issued=$(redis-cli -p "$rport" --raw eval "local n=0 for _,k in ipairs(redis.call('KEYS', KEYS[1])) do n=n+redis.call('HLEN',k) end return n" 1 'antre:{demo}:codes:*')
echo "  antred issue (AOF, appendfsync always): $antre_rps req/s, p99 $antre_p99 ms ($issued tickets in Redis)"
awk -v a="$antre_rps" -v h="$hello_rps" -v p="$antre_p99" 'BEGIN {
	printf "  ratio antred/bare: %.2f (target >= 0.50); p99 %.2f ms (target < 5 ms)\n", a / h, p }'
