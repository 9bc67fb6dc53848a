#!/bin/sh
# make test: every unit test binary, black-box test and browser test, once
# for each build directory given (the plain build and the sanitizer build,
# side by side unless TEST_JOBS=1), then a short run of every fuzzer, and one closing line
# "N passed, N failed" over everything.  Each layer must pass at least its
# floor in tests/floors (a missing unit binary or fuzzer, a module that no
# longer loads, or a filter such as BB_ONLY left set cannot pass as green).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
passed=0
failed=0
# cmocka's summary lines are read below: its other formats (TAP, subunit,
# XML) would count every passing test as none
CMOCKA_MESSAGE_OUTPUT=STDOUT
export CMOCKA_MESSAGE_OUTPUT
unset CMOCKA_XML_FILE

# The least a layer must pass (tests/floors): fewer fails the run.
floor() {
	sed -n "s/^$1[[:space:]]\{1,\}\([0-9]\{1,\}\).*/\1/p" tests/floors
}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# browser tests need playwright-core: (re)installed when the lock changed
if ! cmp -s tests/browser/package-lock.json tests/browser/node_modules/.antre-lock 2>/dev/null; then
	echo "== npm ci --prefix tests/browser"
	npm ci --prefix tests/browser --no-audit --no-fund >"$log" 2>&1 &&
		cp tests/browser/package-lock.json tests/browser/node_modules/.antre-lock ||
		cat "$log"
fi

# Adds the counts from a runner's closing line "WHO: N passed, N failed"
# in $log; a runner that failed without one counts as one failure.
count() {
	p=$(sed -n "s/^$1: \([0-9]*\) passed, \([0-9]*\) failed\$/\1/p" "$log")
	f=$(sed -n "s/^$1: \([0-9]*\) passed, \([0-9]*\) failed\$/\2/p" "$log")
	p=${p:-0}
	f=${f:-1}
	[ "$2" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	passed=$((passed + p))
	failed=$((failed + f))
}

# the code's shape (tools/check_shape.py, issue 11): no include or call
# cycle, no edge up the layers, files and functions within bounds; the
# check itself is checked first on small trees with one breach each
echo "== shape ($1)"
python3 tests/shape/test_check_shape.py "$1" >"$log" 2>&1
rc=$?
cat "$log"
count shape $rc
least=$(floor shape)
shape_passed=$(sed -n 's/^shape: \([0-9]*\) passed.*/\1/p' "$log")
if [ "${shape_passed:-0}" -lt "${least:-1}" ]; then
	echo "   FAIL only ${shape_passed:-0} shape checks passed, tests/floors wants ${least:-a floor}"
	failed=$((failed + 1))
fi

# One build's unit, black-box and browser tests; its closing line
# "build: N passed, N failed" sums them.  Each build runs in its own
# subshell with its own log, so that TEST_JOBS=2 (the default) runs the
# plain and the sanitizer build side by side: most of a black-box or
# browser test is waiting on a server, and the two builds share nothing
# (every test starts its own Redis and antred on free ports).
run_build() {
	build=$1
	passed=0
	failed=0
	log=$(mktemp)
	echo "== unit tests ($build)"
	unit_passed=0
	# every test source has its binary: a missing one is a failure
	for src in tests/unit/test_*.c; do
		t="$build/tests/$(basename "$src" .c)"
		if [ ! -x "$t" ]; then
			echo "   $(basename "$t"): missing ($t was not built): 1 failed"
			failed=$((failed + 1))
			continue
		fi
		"$t" >"$log" 2>&1
		rc=$?
		p=$(sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
		f=$(sed -n 's/.*\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
		p=${p:-0}
		f=${f:-0}
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1   # crashed or sanitizer abort: count it
		fi
		if grep -q -e 'runtime error:' -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' "$log"; then
			f=$((f + 1))
			echo "   sanitizer report in $(basename "$t")"
		fi
		[ "$f" -ne 0 ] && cat "$log"
		echo "   $(basename "$t"): $p passed, $f failed"
		passed=$((passed + p))
		failed=$((failed + f))
		unit_passed=$((unit_passed + p))
	done
	least=$(floor unit)
	if [ "$unit_passed" -lt "${least:-1}" ]; then
		echo "   FAIL only $unit_passed unit tests passed, tests/floors wants ${least:-a floor}"
		failed=$((failed + 1))
	fi
	echo "== black-box tests ($build)"
	t0=$(date +%s)
	ANTRED="$top/$build/antred" ANTRE_CLI="$top/$build/antre" \
		python3 tests/blackbox/runner.py >"$log" 2>&1
	rc=$?
	cat "$log"
	count blackbox $rc
	echo "   ($(($(date +%s) - t0)) s)"
	echo "== browser tests ($build)"
	t0=$(date +%s)
	ANTRED="$top/$build/antred" node tests/browser/run.js >"$log" 2>&1
	rc=$?
	cat "$log"
	count browser $rc
	echo "   ($(($(date +%s) - t0)) s)"
	rm -f "$log"
	echo "build: $passed passed, $failed failed"
}

TEST_JOBS=${TEST_JOBS:-2}
outs=
for build in "$@"; do
	out=$(mktemp)
	outs="$outs $out"
	if [ "$TEST_JOBS" -ge 2 ]; then
		( run_build "$build" >"$out" 2>&1 ) &
	else
		( run_build "$build" >"$out" 2>&1 )
		cat "$out"
	fi
done
wait
for out in $outs; do
	[ "$TEST_JOBS" -ge 2 ] && cat "$out"
	cp "$out" "$log"
	rm -f "$out"
	count build 0
done

# the fuzzers: a short run of each (FUZZ_SECONDS; 12 here, to keep the
# suite well under ten minutes; `make fuzz` alone runs 20)
FUZZ_SECONDS=${FUZZ_SECONDS:-12}
export FUZZ_SECONDS
echo "== fuzz ($FUZZ_SECONDS s a target)"
t0=$(date +%s)
make -s -j"$(nproc 2>/dev/null || echo 1)" fuzz >"$log" 2>&1
rc=$?
cat "$log"
count fuzz $rc
echo "   ($(($(date +%s) - t0)) s)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
