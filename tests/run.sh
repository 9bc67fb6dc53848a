#!/bin/sh
# make test: every unit test binary and every black-box test, once for each
# build directory given (the plain build, then the sanitizer build), and one
# closing line "N passed, N failed" over everything.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

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
	p=$(sed -n 's/^blackbox: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$log")
	f=$(sed -n 's/^blackbox: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$log")
	p=${p:-0}
	f=${f:-1}
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	passed=$((passed + p))
	failed=$((failed + f))
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
