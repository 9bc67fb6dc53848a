#!/bin/sh
# make run: a private, durable Redis under ./var (unless REDIS_URL is set),
# the demo event and tokens, and antred in the foreground on 127.0.0.1:8080.
# Ctrl-C stops both.  ANTRE_VAR puts the data elsewhere (tests).
set -eu
# Tokens, config, secret and Redis's AOF are for this user alone, whatever
# the caller's umask; Redis and antred inherit it and create their files so.
umask 077
top=$(cd "$(dirname "$0")/.." && pwd)
var="${ANTRE_VAR:-$top/var}"
build="${BUILD:-$top/build}"
listen="${LISTEN:-127.0.0.1:8080}"
redis_port="${REDIS_PORT:-6390}"
mkdir -p "$var/events" "$var/redis"
# a var/ made before the umask (tokens, secret, AOF): close it up too
chmod -R go-rwx "$var"

# Demo tokens are made once and kept, so bookmarks keep working; 16 random
# bytes each (128 bits), as antred requires.
# Tokens made by an older run.sh (96 bits) are made again.
if [ -f "$var/tokens" ] && awk '{ sub(/^[a-z]+-/, "", $2); if (length($2) < 32) bad = 1 }
    END { exit !bad }' "$var/tokens"; then
	echo "run: $var/tokens holds tokens under 128 bits; making new ones" >&2
	rm -f "$var/tokens"
fi
if [ ! -f "$var/tokens" ]; then
	for role in desk station organiser admin; do
		printf '%s %s-%s\n' "$role" "$role" "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
	done > "$var/tokens"
fi
cp "$top/tools/demo/events/demo.json" "$var/events/demo.json"

redis_pid=
cleanup() {
	trap - INT TERM EXIT
	if [ -n "$redis_pid" ]; then
		kill "$redis_pid" 2>/dev/null || true
		wait "$redis_pid" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${REDIS_URL:-}" ]; then
	if redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
		echo "run: something already answers on 127.0.0.1:$redis_port;" \
		     "stop it or set REDIS_PORT or REDIS_URL" >&2
		exit 1
	fi
	redis-server "$top/tools/redis.conf" --port "$redis_port" --dir "$var/redis" \
		--pidfile "$var/redis/redis.pid" --daemonize no \
		--logfile "$var/redis/redis.log" &
	redis_pid=$!
	i=0
	until redis-cli -p "$redis_port" ping >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 "$redis_pid" 2>/dev/null; then
			echo "run: redis-server did not start; see $var/redis/redis.log" >&2
			exit 1
		fi
		sleep 0.1
	done
	REDIS_URL="redis://127.0.0.1:$redis_port/0"
fi

{
	echo "# written by tools/run.sh for make run"
	echo "listen $listen"
	echo "redis $REDIS_URL"
	echo "secret-file $var/secret"
	echo "events-dir $var/events"
	echo "web-root $top/clients/web"
	echo "public-url ${PUBLIC_URL:-http://$listen}"
	sed 's/^/token /' "$var/tokens"
} > "$var/antred.conf"

cat <<MSG

  antre is starting on http://$listen  (Redis: $REDIS_URL, data in $var)

  waiting-room TV:  http://$listen/web/display.html?event=demo
  desk:             http://$listen/web/desk.html?event=demo        (desk token)
  station:          http://$listen/web/station.html?event=demo     (station token)
  organisers:       http://$listen/web/dashboard.html?event=demo   (organiser token)
  API:              http://$listen/v1/events/demo   (protocol/PROTOCOL.md)
  health:           http://$listen/healthz

  tokens (Authorization: Bearer ...), kept in $var/tokens:
$(sed 's/^/    /' "$var/tokens")

  try:  curl -H "Authorization: Bearer $(awk '$1=="desk"{print $2}' "$var/tokens")" \\
             -d '{"service":"dose1"}' http://$listen/v1/events/demo/tickets

  Ctrl-C stops antred and its Redis.

MSG
"$build/antred" -c "$var/antred.conf" &
antred_pid=$!
# Ctrl-C reaches antred from the terminal itself; a TERM to us is passed on.
trap ':' INT
trap 'kill -TERM $antred_pid 2>/dev/null || true' TERM
wait $antred_pid || true
wait $antred_pid 2>/dev/null || true
