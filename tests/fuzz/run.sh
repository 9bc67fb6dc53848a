#!/bin/sh
# make fuzz: runs every fuzzer built in build/fuzz (it builds nothing) for
# FUZZ_SECONDS each (default 20), starting from a copy of its seed corpus in
# tests/fuzz/corpus/NAME, so that the repository is never written to.  One
# line per target, "fuzz_X: N execs, N crashes", then "fuzz: N passed,
# N failed".  A target must execute (0 execs fails), every
# tests/fuzz/fuzz_*.c must have its binary, and at least the "fuzz" floor
# of tests/floors must pass.  A crashing (or leaking, or hanging) input is kept in
# build/fuzz-crashes/ with the report; rerun it with
#   build/fuzz/fuzz_X build/fuzz-crashes/fuzz_X-crash-...
# FUZZ_SEED=N makes a run repeatable (libFuzzer prints the seed it used).
# FUZZ_JOBS targets run at a time (default: one a core).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
secs=${FUZZ_SECONDS:-20}
bindir=build/fuzz
crashdir=build/fuzz-crashes
passed=0
failed=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The largest input worth trying: a little above the largest valid one.
max_len() {
	case $1 in
	fuzz_protocol) echo 16384 ;;  # a board full to every limit is ~15 KiB
	fuzz_event) echo 8192 ;;      # the largest valid event is ~3 KiB
	fuzz_config) echo 4096 ;;     # lines are at most 1 KiB
	fuzz_body) echo 4096 ;;
	fuzz_sign) echo 512 ;;        # event, id and ?sig= as a request has them
	fuzz_nik) echo 64 ;;          # 16 digits
	fuzz_areas) echo 8192 ;;      # 64 rows of ~100 bytes
	*) echo 4096 ;;
	esac
}

# Runs one target; its lines go to $work/NAME.out and "pass" or "fail" to
# $work/NAME.result (it runs in the background, beside another).
fuzz_one() {
	name=$1
	out="$work/$name.out"
	bin="$bindir/$name"
	: >"$out"
	if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
		echo "$name: missing ($bin was not built: run make fuzz)" >>"$out"
		echo fail >"$work/$name.result"
		return
	fi
	corpus="$work/$name"
	log="$work/$name.log"
	mkdir -p "$corpus" "$crashdir"
	if [ -d "tests/fuzz/corpus/${name#fuzz_}" ]; then
		cp "tests/fuzz/corpus/${name#fuzz_}"/* "$corpus"/ 2>/dev/null
	fi
	"$bin" -max_total_time="$secs" -max_len="$(max_len "$name")" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		${FUZZ_SEED:+-seed="$FUZZ_SEED"} \
		-artifact_prefix="$crashdir/$name-" "$corpus" >"$log" 2>&1
	rc=$?
	# executions: the final stats, or else libFuzzer's "Done N runs"
	execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
	[ -n "$execs" ] || execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
	execs=${execs:-0}
	crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ] && [ -z "$crash" ] && [ "$execs" -eq 0 ]; then
		# a fuzzer that ran nothing checked nothing
		{
			echo "$name: 0 execs, no input was run (exit $rc)"
			tail -n 5 "$log" | cut -c 1-200 | sed 's/^/   /'
		} >>"$out"
		echo fail >"$work/$name.result"
	elif [ "$rc" -eq 0 ] && [ -z "$crash" ]; then
		echo "$name: $execs execs, 0 crashes" >>"$out"
		echo pass >"$work/$name.result"
	else
		{
			echo "$name: ${execs:-0} execs, 1 crashes (exit $rc)"
			if [ -n "$crash" ] && [ -f "$crash" ]; then
				cp "$log" "$crash.log"
				echo "   input: $crash"
				echo "   report: $crash.log"
			fi
			# the report, without libFuzzer's progress, frames and dumps
			grep -a -v -e '^INFO:' -e '^#[0-9]' -e 'in fuzzer::' -e '^0x' \
				-e '^Base64:' -e '^stat::' -e '^MS:' -e '^artifact_prefix' \
				-e 'libc_start' -e ' in _start ' -e '^NOTE: libFuzzer' \
				-e 'Combine libFuzzer' -e '^Done ' -e '^ *$' "$log" |
				tail -n 30 | cut -c 1-200 | sed 's/^/   /'
		} >>"$out"
		echo fail >"$work/$name.result"
	fi
}

# every fuzzer source has its binary (a missing one fails); FUZZ_JOBS
# targets at a time (one a core: each fuzzer is one busy thread), their
# lines in the sources' order
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
set -- tests/fuzz/fuzz_*.c
while [ $# -gt 0 ]; do
	group=
	n=0
	while [ $# -gt 0 ] && [ "$n" -lt "$jobs" ]; do
		name=$(basename "$1" .c)
		shift
		fuzz_one "$name" &
		group="$group $name"
		n=$((n + 1))
	done
	wait
	for name in $group; do
		cat "$work/$name.out"
		if [ "$(cat "$work/$name.result" 2>/dev/null)" = pass ]; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
		fi
	done
done
least=$(sed -n 's/^fuzz[[:space:]]\{1,\}\([0-9]\{1,\}\).*/\1/p' tests/floors)
if [ "$passed" -lt "${least:-1}" ]; then
	echo "FAIL only $passed fuzzers ran clean, tests/floors wants ${least:-a floor}"
	failed=$((failed + 1))
fi

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
