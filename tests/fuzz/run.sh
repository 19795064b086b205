#!/usr/bin/env bash
# Runs libFuzzer targets built by `make fuzz-bins` for SECONDS each,
# FUZZ_JOBS at once (default: the number of CPUs), and prints each
# target's result in the order given. A target fuzzes a copy of its seed
# corpus in FUZZ_DIR/corpus/<t>/ (new inputs go there, never into the
# tree) and replays tests/fuzz/regressions/<t>/; a crash is kept in
# FUZZ_DIR/artifacts/<t>/ and fails the run with where its input is and
# how to keep it as a regression test. Temporary files (fuzz_policy's) go
# to FUZZ_DIR/tmp/<t>: libFuzzer ends a timed run without atexit
# handlers. FUZZ_FLAGS adds libFuzzer options.
# usage: tests/fuzz/run.sh FUZZ_DIR SECONDS TARGET...
set -u
cd "$(dirname "$0")/../.." || exit 2
if [ $# -lt 3 ] || ! [[ $2 =~ ^[1-9][0-9]{0,5}$ ]]; then
	echo "usage: tests/fuzz/run.sh FUZZ_DIR SECONDS TARGET... (SECONDS from 1 to 999999)" >&2
	exit 2
fi
dir=$(cd "$1" && pwd) || exit 2
secs=$2
shift 2
targets=("$@")
# shellcheck source=tools/pool.sh
. tools/pool.sh
jobs_max=$(pool_jobs FUZZ_JOBS "${FUZZ_JOBS:-$(nproc)}") || exit 2
for t in "${targets[@]}"; do
	if [ ! -x "$dir/bin/fuzz_$t" ] || [ ! -d "tests/fuzz/corpus/$t" ]; then
		echo "run.sh: no fuzz target $t (no $dir/bin/fuzz_$t or tests/fuzz/corpus/$t)" >&2
		exit 2
	fi
done
failed=0

run_one() { # i: fuzzes target i; its log is FUZZ_DIR/fuzz_<t>.log
	local t=${targets[$1]} corpus art tmp args=() flags=()
	corpus=$dir/corpus/$t art=$dir/artifacts/$t tmp=$dir/tmp/$t
	if ! { mkdir -p "$corpus" "$art" "$tmp" && cp tests/fuzz/corpus/"$t"/* "$corpus/"; } \
		>"$dir/fuzz_$t.log" 2>&1; then
		echo "ERROR: the corpus of $t could not be copied to $corpus" >>"$dir/fuzz_$t.log"
		echo 2 >"$POOL_DIR/$1.rc"
		return
	fi
	args=("$corpus")
	[ -d "tests/fuzz/regressions/$t" ] && args+=("tests/fuzz/regressions/$t")
	[ -f "tests/fuzz/$t.dict" ] && args=("-dict=tests/fuzz/$t.dict" "${args[@]}")
	read -ra flags <<<"${FUZZ_FLAGS:-}"
	UBSAN_OPTIONS=print_stacktrace=1 TMPDIR=$tmp \
		LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp \
		"$dir/bin/fuzz_$t" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$art/" "${flags[@]}" "${args[@]}" >"$dir/fuzz_$t.log" 2>&1
	echo $? >"$POOL_DIR/$1.rc"
}

report() { # i: prints target i's result
	local t=${targets[$1]} log=$dir/fuzz_${targets[$1]}.log rc unit
	rc=$(cat "$POOL_DIR/$1.rc" 2>/dev/null || echo 1)
	echo "== fuzz_$t: $secs s (log: $log)"
	if [ "$rc" -eq 0 ]; then
		grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1
		return
	fi
	failed=$((failed + 1))
	grep -E 'fuzz invariant broken|ERROR|runtime error|SUMMARY' "$log" | head -n 10
	unit=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)
	echo "FAIL - fuzz_$t: see $log; the input is ${unit:-in $dir/artifacts/$t/}"
	echo "       fix the bug, then keep the input as a regression test:"
	echo "       cp ${unit:-$dir/artifacts/$t/<file>} tests/fuzz/regressions/$t/<what-it-broke>"
}

pool_run "$jobs_max" run_one report "${#targets[@]}"
echo "fuzz: $((${#targets[@]} - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
