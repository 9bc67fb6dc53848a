# lib.sh: what the bench's scripts share (sourced).

# A free loopback port.
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits until Redis answers on port $1, at most $2 seconds: wait_redis PORT SECONDS
wait_redis() {
	i=0
	until redis-cli -p "$1" ping >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -lt $(($2 * 20)) ] || { echo "bench: no Redis on port $1" >&2; exit 1; }
		sleep 0.05
	done
}

# A directory for antred's files, the demo event in its events/: demo_dir TOP DIR
demo_dir() {
	mkdir -p "$2/events"
	cp "$1/tools/demo/events/demo.json" "$2/events/"
}

# A random token of a role: token ROLE
token() { echo "$1-bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"; }

# antred's configuration for a bench run in DIR (its events/ and secret
# there), listening on PORT, on Redis at RPORT, quiet but for warnings; each
# further argument one more line: antred_conf DIR PORT RPORT [LINE...]
antred_conf() {
	d=$1; p=$2; r=$3
	shift 3
	{
		echo "listen 127.0.0.1:$p"
		echo "redis redis://127.0.0.1:$r/0"
		echo "secret-file $d/secret"
		echo "events-dir $d/events"
		echo "log-level warn"
		for line in "$@"; do echo "$line"; done
	} > "$d/antred.conf"
}
