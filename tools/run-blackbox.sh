#!/usr/bin/env bash
# Runs the black-box test scripts given, or every one in tests/blackbox
# (each drives the real binaries and ends with "N passed, M failed[, K
# skipped]"), and sums them up. BLACKBOX_JOBS scripts (default: the number
# of CPUs) run at once: each has its own temp dir and its servers on ports
# the kernel picks. A script with the line "# runner: long" among its
# first five starts first, so that the longest never starts last and
# leaves the other CPUs idle at the end; the others follow in the order
# given, and results print in that start order. A script that runs past
# BLACKBOX_TIMEOUT seconds (default 1800) is killed and counted as
# failed: a hang never stalls the suite.
# usage: tools/run-blackbox.sh BUILD_DIR [SCRIPT...]
set -u
case ${1:-} in -h | --help) # the comment above, as help
	sed -n '2,/^set -/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
esac
if [ ! -d "${1:-build}" ]; then
	echo "run-blackbox.sh: no build directory ${1:-build} (usage: tools/run-blackbox.sh BUILD_DIR [SCRIPT...])" >&2
	exit 2
fi
build=${1:-build}
limit=${BLACKBOX_TIMEOUT:-1800}
# shellcheck source=tools/pool.sh
. "$(dirname "$0")/pool.sh"
jobs_max=$(pool_jobs BLACKBOX_JOBS "${BLACKBOX_JOBS:-$(nproc)}") || exit 2
if [ $# -gt 1 ]; then given=("${@:2}"); else given=(tests/blackbox/test_*.sh); fi
long=() rest=()
for t in "${given[@]}"; do
	if [ ! -f "$t" ]; then
		echo "run-blackbox.sh: no test script $t" >&2
		exit 2
	fi
	if head -n 5 "$t" | grep -qx '# runner: long'; then long+=("$t"); else rest+=("$t"); fi
done
scripts=("${long[@]}" "${rest[@]}")
passed=0 failed=0 skipped=0 bad=()

run_one() { # i: output to $POOL_DIR/i.out, exit status to i.rc
	local t=${scripts[$1]} rc
	timeout -k 10 "$limit" bash "$t" "$build" >"$POOL_DIR/$1.out" 2>&1; rc=$?
	[ "$rc" -eq 124 ] && echo "FAIL - $t: killed after $limit s" >>"$POOL_DIR/$1.out"
	echo "$rc" >"$POOL_DIR/$1.rc"
}

report() { # i: prints script i's failures and summary and adds them up
	local t=${scripts[$1]} out rc last
	out=$(cat "$POOL_DIR/$1.out"); rc=$(cat "$POOL_DIR/$1.rc")
	echo "== $t"
	printf '%s\n' "$out" | grep -E '^(FAIL|not ok)' | head -n 40
	last=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
	echo "   ${last:-no summary (exit $rc)} ($(pool_secs "$1") s)"
	if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)? ]]; then
		passed=$((passed + BASH_REMATCH[1])); failed=$((failed + BASH_REMATCH[2]))
		skipped=$((skipped + ${BASH_REMATCH[4]:-0}))
	else
		failed=$((failed + 1))
	fi
	if [ "$rc" -ne 0 ] || [ -z "$last" ]; then
		bad+=("$t")
		[ -z "$last" ] && printf '%s\n' "$out" | tail -n 30
	fi
}

pool_run "$jobs_max" run_one report "${#scripts[@]}"
echo "blackbox: $passed passed, $failed failed, $skipped skipped"
[ ${#bad[@]} -eq 0 ]
