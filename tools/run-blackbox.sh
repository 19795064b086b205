#!/usr/bin/env bash
# Runs every black-box test script in tests/blackbox (each drives the real
# binaries and ends with "N passed, M failed[, K skipped]") and sums them
# up. A script that runs past BLACKBOX_TIMEOUT seconds (default 1800) is
# killed and counted as failed: a hang never stalls the suite.
# usage: tools/run-blackbox.sh BUILD_DIR
set -u
build=${1:-build}
limit=${BLACKBOX_TIMEOUT:-1800}
passed=0 failed=0 skipped=0 bad=()
for t in tests/blackbox/test_*.sh; do
	echo "== $t"
	out=$(timeout -k 10 "$limit" bash "$t" "$build" 2>&1); rc=$?
	[ "$rc" -eq 124 ] && out+=$'\n'"FAIL - $t: killed after $limit s"
	printf '%s\n' "$out" | grep -E '^(FAIL|not ok)' | head -n 40
	last=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
	echo "   ${last:-no summary (exit $rc)}"
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
done
echo "blackbox: $passed passed, $failed failed, $skipped skipped"
[ ${#bad[@]} -eq 0 ]
