#!/usr/bin/env bash
# The test runners themselves (tools/run-checks.sh, tools/run-blackbox.sh,
# tests/fuzz/run.sh, tools/pool.sh), on stand-in suites and scripts: a failure, a crash, a
# missing summary or a hang is never summed up as a pass, whatever the
# order in which jobs end; results come in the order given; a bad job
# count is refused in one line. `make test` passing means nothing if these
# do not hold.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$HERE/../.." && pwd)
# the runners' own settings come from each call, not from the outer run
unset VALGRIND CHECK_JOBS BLACKBOX_JOBS BLACKBOX_TIMEOUT FUZZ_JOBS FUZZ_FLAGS

# A stand-in Check suite: sleeps S (so that jobs end out of order), prints
# what a suite prints, exits with RC. usage: suite NAME S SUMMARY RC
suite() {
	printf '#!/bin/sh\nsleep %s\necho "Running suite(s): %s"\n%s\nexit %s\n' \
		"$2" "$1" "${3:+echo \"$3\"}" "$4" >"$T/$1"
	chmod +x "$T/$1"
}
suite pass_a 0.4 "100%: Checks: 3, Failures: 0, Errors: 0" 0
suite pass_b 0 "100%: Checks: 2, Failures: 0, Errors: 0" 0
suite fails 0.2 "66%: Checks: 3, Failures: 1, Errors: 0" 1
suite crashes 0 "" 139
suite lies 0 "100%: Checks: 1, Failures: 0, Errors: 0" 1

for jobs in 1 3; do
	run env CHECK_JOBS=$jobs "$ROOT/tools/run-checks.sh" "$BUILD" "$T/pass_a" "$T/pass_b"
	expect_eq "run-checks, $jobs jobs: all pass: exit 0" "$RC" 0
	expect_contains "run-checks, $jobs jobs: the sum" "$OUT" "check: 5 passed, 0 failed"
	run env CHECK_JOBS=$jobs "$ROOT/tools/run-checks.sh" "$BUILD" "$T/pass_a" "$T/fails" \
		"$T/crashes" "$T/lies" "$T/pass_b"
	expect_eq "run-checks, $jobs jobs: a failure, a crash, a non-zero exit: exit 1" "$RC" 1
	# the crash has no summary and counts as one failure; `lies` says all
	# passed but exits 1: its exit status fails the run, its count stands
	expect_contains "run-checks, $jobs jobs: the sum" "$OUT" "check: 8 passed, 2 failed"
	expect_eq "run-checks, $jobs jobs: the suites in the order given" \
		"$(grep -oE '^(pass_a|pass_b|fails|crashes|lies) ' <<<"$OUT" | tr -d ' ' | tr '\n' ' ')" \
		"pass_a fails crashes lies pass_b "
	expect_contains "run-checks, $jobs jobs: a suite with no summary says its exit" "$OUT" \
		"no summary (exit 139)"
done
# an exit status alone fails the run, whatever the summary says
run env CHECK_JOBS=2 "$ROOT/tools/run-checks.sh" "$BUILD" "$T/pass_b" "$T/lies"
expect_eq "run-checks: a suite that says it passed but exits 1 fails the run" "$RC" 1
for bad in 0 abc -1 " 2" 10000; do
	run env CHECK_JOBS="$bad" "$ROOT/tools/run-checks.sh" "$BUILD" "$T/pass_b"
	expect_eq "run-checks: CHECK_JOBS='$bad' refused, exit 2" "$RC:$OUT" "2:"
	expect_eq "run-checks: CHECK_JOBS='$bad': one line naming it" "$ERR" \
		"run-checks.sh: CHECK_JOBS must be a number from 1 to 9999, not '$bad'"
done

# --help prints the usage and runs nothing; a build directory that is not
# one (a mistyped option) runs nothing either
for r in run-checks.sh run-blackbox.sh lint.sh; do
	run "$ROOT/tools/$r" --help
	expect_eq "$r --help: exit 0" "$RC" 0
	expect_contains "$r --help: the usage line" "$OUT" "usage: tools/$r"
	run "$ROOT/tools/$r" --bogus
	expect_eq "$r --bogus: exit 2, one line" "$RC:$(wc -l <<<"$ERR")" "2:1"
done

# run-blackbox.sh runs tests/blackbox/test_*.sh below the working directory
mkdir -p "$T/bb/tests/blackbox" "$T/bb/build"
script() { # NAME BODY
	printf '#!/usr/bin/env bash\n%s\n' "$2" >"$T/bb/tests/blackbox/test_$1.sh"
}
script a_pass 'sleep 0.4; echo "ok - x"; echo "2 passed, 0 failed"'
script b_fail 'echo "FAIL - y: wrong"; echo "1 passed, 1 failed, 1 skipped"; exit 1'
script c_silent 'exit 0'
script d_pass 'echo "3 passed, 0 failed, 2 skipped"'
for jobs in 1 4; do
	run env BLACKBOX_JOBS=$jobs bash -c 'cd "$1" && "$2" build' _ "$T/bb" "$ROOT/tools/run-blackbox.sh"
	expect_eq "run-blackbox, $jobs jobs: a failure and a script with no summary: exit 1" "$RC" 1
	expect_contains "run-blackbox, $jobs jobs: the sum" "$OUT" \
		"blackbox: 6 passed, 2 failed, 3 skipped"
	expect_contains "run-blackbox, $jobs jobs: the failure is shown" "$OUT" "FAIL - y: wrong"
	expect_eq "run-blackbox, $jobs jobs: the scripts in order" \
		"$(grep -oE '^== tests/blackbox/test_[a-z_]+' <<<"$OUT" | sed 's/.*test_//' | tr '\n' ' ')" \
		"a_pass b_fail c_silent d_pass "
done
# a script marked long starts (and prints) first; a list runs only those
script e_long '# runner: long
echo "1 passed, 0 failed"'
run env BLACKBOX_JOBS=1 bash -c 'cd "$1" && "$2" build' _ "$T/bb" "$ROOT/tools/run-blackbox.sh"
expect_eq "run-blackbox: the script marked long first, the rest in order" \
	"$(grep -oE '^== tests/blackbox/test_[a-z_]+' <<<"$OUT" | sed 's/.*test_//' | tr '\n' ' ')" \
	"e_long a_pass b_fail c_silent d_pass "
run env BLACKBOX_JOBS=2 bash -c 'cd "$1" && "$2" build tests/blackbox/test_d_pass.sh \
	tests/blackbox/test_a_pass.sh tests/blackbox/test_e_long.sh' _ "$T/bb" "$ROOT/tools/run-blackbox.sh"
expect_eq "run-blackbox: scripts given: only those, long first, then as given" \
	"$RC:$(grep -oE '^== tests/blackbox/test_[a-z_]+' <<<"$OUT" | sed 's/.*test_//' | tr '\n' ' ')" \
	"0:e_long d_pass a_pass "
expect_contains "run-blackbox: scripts given: their sum" "$OUT" "blackbox: 6 passed, 0 failed, 2 skipped"
run env bash -c 'cd "$1" && "$2" build tests/blackbox/test_a_pass.sh tests/blackbox/test_nope.sh' \
	_ "$T/bb" "$ROOT/tools/run-blackbox.sh"
expect_eq "run-blackbox: a script given that does not exist: one line naming it, exit 2" "$RC:$ERR" \
	"2:run-blackbox.sh: no test script tests/blackbox/test_nope.sh"
rm "$T/bb/tests/blackbox/"test_*.sh
script a_pass 'echo "2 passed, 0 failed"'
script b_lies 'echo "1 passed, 0 failed"; exit 3'
run env BLACKBOX_JOBS=2 bash -c 'cd "$1" && "$2" build' _ "$T/bb" "$ROOT/tools/run-blackbox.sh"
expect_eq "run-blackbox: a script that says it passed but exits 3 fails the run" "$RC" 1
# a hang is killed at BLACKBOX_TIMEOUT and counted as failed
rm "$T/bb/tests/blackbox/"test_*.sh
script hang 'sleep 60; echo "1 passed, 0 failed"'
script e_pass 'echo "1 passed, 0 failed"'
start=$SECONDS
run env BLACKBOX_TIMEOUT=1 bash -c 'cd "$1" && "$2" build' _ "$T/bb" "$ROOT/tools/run-blackbox.sh"
expect_eq "run-blackbox: a hang past BLACKBOX_TIMEOUT fails the run" "$RC" 1
expect_contains "run-blackbox: the hang is named" "$OUT" \
	"FAIL - tests/blackbox/test_hang.sh: killed after 1 s"
expect_contains "run-blackbox: the rest still counted" "$OUT" "blackbox: 1 passed, 1 failed"
expect_eq "run-blackbox: the hang did not stall the run" "$(( SECONDS - start < 30 ))" 1
run env BLACKBOX_JOBS=x bash -c 'cd "$1" && "$2" build' _ "$T/bb" "$ROOT/tools/run-blackbox.sh"
expect_eq "run-blackbox: BLACKBOX_JOBS='x' refused in one line, exit 2" "$RC:$ERR" \
	"2:run-blackbox.sh: BLACKBOX_JOBS must be a number from 1 to 9999, not 'x'"
# tests/fuzz/run.sh on stand-in targets (real targets' names, for their
# corpora): what each is given, its result in order, a crash's input named
mkdir -p "$T/fz/bin"
fuzzer() { # TARGET BODY
	printf '#!/bin/sh\n%s\n' "$2" >"$T/fz/bin/fuzz_$1"
	chmod +x "$T/fz/bin/fuzz_$1"
}
fuzzer range 'sleep 0.3; echo "args: $*"; echo "#42	DONE   cov: 1"'
fuzzer cut 'echo "==1==ERROR: AddressSanitizer: heap-buffer-overflow"
echo "Test unit written to '"$T"'/fz/artifacts/cut/crash-abc"; exit 1'
fuzzer cond 'echo "args: $*"; echo "#7	DONE   cov: 2"'
for jobs in 1 3; do
	run env FUZZ_JOBS=$jobs FUZZ_FLAGS="-max_len=99 -x=1" "$ROOT/tests/fuzz/run.sh" "$T/fz" 5 range cut cond
	expect_eq "fuzz run.sh, $jobs jobs: a crash fails the run" "$RC" 1
	expect_eq "fuzz run.sh, $jobs jobs: the targets in the order given" \
		"$(grep -oE '^== fuzz_[a-z]+' <<<"$OUT" | tr '\n' ' ')" "== fuzz_range == fuzz_cut == fuzz_cond "
	expect_contains "fuzz run.sh, $jobs jobs: the sum" "$OUT" "fuzz: 2 passed, 1 failed"
	expect_contains "fuzz run.sh, $jobs jobs: a pass shows its last line" "$OUT" "#42	DONE   cov: 1"
	expect_contains "fuzz run.sh, $jobs jobs: the crash's input and how to keep it" "$OUT" \
		"FAIL - fuzz_cut: see $T/fz/fuzz_cut.log; the input is $T/fz/artifacts/cut/crash-abc"
	expect_contains "fuzz run.sh, $jobs jobs: the sanitizer's line" "$OUT" "ERROR: AddressSanitizer"
done
expect_contains "fuzz run.sh: a target gets the time, the flags, its corpus copy and regressions" \
	"$(cat "$T/fz/fuzz_range.log")" "args: -max_total_time=5 -timeout=10 -print_final_stats=1 \
-artifact_prefix=$T/fz/artifacts/range/ -max_len=99 -x=1 $T/fz/corpus/range tests/fuzz/regressions/range"
expect_contains "fuzz run.sh: a target with a dictionary gets it" \
	"$(cat "$T/fz/fuzz_cond.log")" "-x=1 -dict=tests/fuzz/cond.dict $T/fz/corpus/cond tests/fuzz/regressions/cond"
expect_eq "fuzz run.sh: the seed corpus copied, not fuzzed in the tree" \
	"$(ls "$T/fz/corpus/range" | wc -l)" "$(ls "$ROOT/tests/fuzz/corpus/range" | wc -l)"
run "$ROOT/tests/fuzz/run.sh" "$T/fz" 5 range nope
expect_eq "fuzz run.sh: an unknown target refused in one line, exit 2" "$RC:$ERR" \
	"2:run.sh: no fuzz target nope (no $T/fz/bin/fuzz_nope or tests/fuzz/corpus/nope)"
for bad in 0 x ""; do
	run "$ROOT/tests/fuzz/run.sh" "$T/fz" "$bad" range
	expect_eq "fuzz run.sh: SECONDS '$bad' refused with its usage, exit 2" "$RC:$ERR" \
		"2:usage: tests/fuzz/run.sh FUZZ_DIR SECONDS TARGET... (SECONDS from 1 to 999999)"
done
finish
