#!/bin/sh
# make coverage: runs the unit and black-box tests (COV_BROWSER=1: the
# browser tests too) on the coverage build BUILD (default build/cov, made
# by `make coverage-build`), then reports line coverage of daemon/ and
# protocol/ (gcovr, from the .gcda files the processes write when they exit
# normally) and of the Lua scripts (the "antre-cov" lines the instrumented
# scripts write into the Redis log).  Reports go to BUILD/coverage/.
#
# The tests start redis-server from PATH; a wrapper first in PATH sends each
# server's log to BUILD/coverage/redis/ (the tests delete their own temp
# dirs), adding a later --logfile, which redis-server takes over the first.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${1:-build/cov}
out="$build/coverage"
real_redis=$(command -v redis-server) || { echo "coverage: no redis-server" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out/redis" "$out/bin"
find "$build" -name '*.gcda' -delete
cat >"$out/bin/redis-server" <<EOF
#!/bin/sh
exec "$real_redis" "\$@" --logfile "$top/$out/redis/redis-\$\$.log"
EOF
chmod +x "$out/bin/redis-server"

failed=0
log="$out/tests.log"
: >"$log"
echo "== unit tests ($build)"
for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	if ! "$t" >>"$log" 2>&1; then
		echo "   $(basename "$t") FAILED (see $log)"
		failed=1
	fi
done
echo "== black-box tests ($build)"
PATH="$top/$out/bin:$PATH" ANTRED="$top/$build/antred" ANTRE_CLI="$top/$build/antre" \
	python3 tests/blackbox/runner.py >>"$log" 2>&1 || failed=1
grep '^blackbox:' "$log" | sed 's/^/   /'
if [ -n "${COV_BROWSER:-}" ]; then
	echo "== browser tests ($build)"
	PATH="$top/$out/bin:$PATH" ANTRED="$top/$build/antred" node tests/browser/run.js \
		>>"$log" 2>&1 || failed=1
	grep '^browser:' "$log" | sed 's/^/   /'
fi
[ "$failed" -eq 0 ] || echo "coverage: some tests failed (see $log); figures below still count what ran"

echo "== C line coverage (daemon/, protocol/)"
gcovr --root "$top" --filter 'daemon/' --filter 'protocol/' \
	--txt "$out/c-coverage.txt" --html-details "$out/c-coverage.html" \
	--print-summary "$build" >"$out/gcovr.log" 2>&1 ||
	{ cat "$out/gcovr.log"; exit 1; }
c_pct=$(sed -n 's/^lines: \([0-9.]*%\) (\(.*\))$/\1 (\2)/p' "$out/gcovr.log")
cat "$out/c-coverage.txt"

echo "== Lua line coverage (daemon/scripts/)"
# shellcheck disable=SC2046
python3 tools/coverage_lua.py report "$out" "$out"/redis/*.log -- \
	daemon/scripts/_*.lua $(ls daemon/scripts/*.lua | grep -v '/_') || exit 1
lua_pct=$(sed -n 's/^TOTAL *\([0-9]*\) *\([0-9]*\) *\([0-9.]*%\)$/\3 (\2 of \1 lines)/p' \
	"$out/lua-coverage.txt")

echo
echo "C lines (daemon/, protocol/): ${c_pct:-?}"
echo "Lua lines (daemon/scripts/):  ${lua_pct:-?}"
echo "details: $out/c-coverage.html, $out/lua-uncovered.txt"
exit "$failed"
