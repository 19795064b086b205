#!/usr/bin/env bash
# Runs every black-box test script in tests/blackbox (each drives the real
# binaries and ends with "N passed, M failed") and sums them up.
# usage: tools/run-blackbox.sh BUILD_DIR
set -u
build=${1:-build}
passed=0 failed=0 bad=()
for t in tests/blackbox/test_*.sh; do
	echo "== $t"
	out=$(bash "$t" "$build" 2>&1); rc=$?
	printf '%s\n' "$out" | grep -E '^(FAIL|not ok)' | head -n 40
	last=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
	echo "   ${last:-no summary (exit $rc)}"
	if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		passed=$((passed + BASH_REMATCH[1])); failed=$((failed + BASH_REMATCH[2]))
	else
		failed=$((failed + 1))
	fi
	if [ "$rc" -ne 0 ] || [ -z "$last" ]; then
		bad+=("$t")
		[ -z "$last" ] && printf '%s\n' "$out" | tail -n 30
	fi
done
echo "blackbox: $passed passed, $failed failed"
[ ${#bad[@]} -eq 0 ]
