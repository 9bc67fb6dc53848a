#!/bin/sh
# make test: every unit test binary, black-box test and browser test, once
# for each build directory given (the plain build, then the sanitizer
# build), then a short run of every fuzzer, and one closing line
# "N passed, N failed" over everything.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
passed=0
failed=0
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

for build in "$@"; do
	echo "== unit tests ($build)"
	for t in "$build"/tests/test_*; do
		[ -x "$t" ] || continue
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
	done
	echo "== black-box tests ($build)"
	ANTRED="$top/$build/antred" ANTRE_CLI="$top/$build/antre" \
		python3 tests/blackbox/runner.py >"$log" 2>&1
	rc=$?
	cat "$log"
	count blackbox $rc
	echo "== browser tests ($build)"
	ANTRED="$top/$build/antred" node tests/browser/run.js >"$log" 2>&1
	rc=$?
	cat "$log"
	count browser $rc
done

# the fuzzers: a short run of each (FUZZ_SECONDS; 12 here, to keep the
# suite well under ten minutes; `make fuzz` alone runs 20)
FUZZ_SECONDS=${FUZZ_SECONDS:-12}
export FUZZ_SECONDS
echo "== fuzz ($FUZZ_SECONDS s a target)"
make -s fuzz >"$log" 2>&1
rc=$?
cat "$log"
count fuzz $rc

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
