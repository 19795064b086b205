#!/usr/bin/env bash
# Runs every Check suite given, in fork mode so a crash is blamed on its
# test, and ends with the plain "N passed, M failed" line. CHECK_JOBS
# suites (default: the number of CPUs) run at once; results are printed
# in the order given. With VALGRIND=1 each suite runs under valgrind
# memcheck (no fork, so every test's memory is checked), and any error or
# definite leak fails it.
# usage: tools/run-checks.sh BUILD_DIR CHECK_BINARY...
set -u
case ${1:-} in -h | --help) # the comment above, as help
	sed -n '2,/^set -/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
esac
if [ $# -lt 1 ] || [ ! -d "$1" ]; then
	echo "run-checks.sh: no build directory ${1:-given} (usage: tools/run-checks.sh BUILD_DIR CHECK_BINARY...)" >&2
	exit 2
fi
build=$1; shift
INFLIGHT_TEST_SRC=$(pwd)
# Check's per-test timeouts (4 s unless a suite sets its own) catch a
# hang, not slowness: on a shared machine under ASan a busy test can take
# longer, so they are stretched tenfold unless the caller says otherwise.
: "${CK_TIMEOUT_MULTIPLIER:=10}"
export CK_FORK=yes INFLIGHT_TEST_BUILD="$build" INFLIGHT_TEST_SRC CK_TIMEOUT_MULTIPLIER
# shellcheck source=tools/pool.sh
. "$(dirname "$0")/pool.sh"
jobs_max=$(pool_jobs CHECK_JOBS "${CHECK_JOBS:-$(nproc)}") || exit 2
suites=("$@")
passed=0 failed=0 bad=()
vg=()
if [ "${VALGRIND:-}" = 1 ]; then
	CK_FORK=no
	export INFLIGHT_TEST_VALGRIND=1
	vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
		--show-leak-kinds=definite --track-fds=no)
fi

run_one() { # i: output to $POOL_DIR/i.out, exit status to i.rc
	"${vg[@]}" "${suites[$1]}" >"$POOL_DIR/$1.out" 2>&1
	echo $? >"$POOL_DIR/$1.rc"
}

report() { # i: prints suite i's summary (and output when it failed)
	local t=${suites[$1]} out rc line n total f e
	out=$(cat "$POOL_DIR/$1.out"); rc=$(cat "$POOL_DIR/$1.rc")
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: ' | tail -n 1)
	printf '%-40s %s (%s s)\n' "$(basename "$t")" "${line:-no summary (exit $rc)}" "$(pool_secs "$1")"
	n=$(sed -nE 's/.*Checks: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+).*/\1 \2 \3/p' <<<"$line")
	if [ -n "$n" ]; then
		read -r total f e <<<"$n"
		passed=$((passed + total - f - e)); failed=$((failed + f + e))
	else
		failed=$((failed + 1))
	fi
	if [ "$rc" -ne 0 ] || [ -z "$n" ]; then
		bad+=("$t")
		printf '%s\n' "$out" | grep -vE '^(Running suite|[0-9]+%: Checks)' | head -n 40
	fi
}

pool_run "$jobs_max" run_one report "${#suites[@]}"
echo "check: $passed passed, $failed failed"
[ ${#bad[@]} -eq 0 ]
