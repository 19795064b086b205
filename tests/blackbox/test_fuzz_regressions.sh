#!/usr/bin/env bash
# Replays the fuzz corpus and every kept crash (tests/fuzz/corpus/<t>/ and
# tests/fuzz/regressions/<t>/) through each fuzz target, built without
# libFuzzer by $(CC) with the build's own CFLAGS (so under ASan and UBSan
# in `make asan`): every invariant the targets assert is checked on every
# `make test`. One test per input file.
# usage: tests/blackbox/test_fuzz_regressions.sh BUILD_DIR
#   INFLIGHT_FUZZ_NO_BUILD=1  the replay binaries are already built
source "$(dirname "$0")/lib.sh"
FUZZ=tests/fuzz
TARGETS=(chain path cond policy event range json list steps cut)
export LSAN_OPTIONS="suppressions=$PWD/$FUZZ/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

if [ "${INFLIGHT_FUZZ_NO_BUILD:-}" != 1 ]; then
	if make --no-print-directory -f Makefile -f "$FUZZ/fuzz.mk" BUILD="$BUILD" \
		SAN="${INFLIGHT_SAN:-}" fuzz-replay-bins >"$T/build.log" 2>&1; then
		ok "replay binaries build"
	else
		not_ok "replay binaries build" "$(tail -n 20 "$T/build.log")"
		finish
		exit 1
	fi
fi

wrap=()
if [ "${INFLIGHT_VALGRIND:-}" = 1 ]; then
	wrap=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
		--show-leak-kinds=definite --suppressions="$FUZZ/valgrind.supp")
fi

for t in "${TARGETS[@]}"; do
	bin="$BUILD/fuzz/replay/fuzz_$t"
	files=()
	for d in "$FUZZ/corpus/$t" "$FUZZ/regressions/$t"; do
		[ -d "$d" ] || continue
		for f in "$d"/*; do
			[ -f "$f" ] && files+=("$f")
		done
	done
	if [ ! -x "$bin" ]; then
		not_ok "fuzz_$t" "no replay binary $bin"
		continue
	fi
	if [ ${#files[@]} -eq 0 ]; then
		not_ok "fuzz_$t" "no corpus in $FUZZ/corpus/$t"
		continue
	fi
	"${wrap[@]}" "$bin" "${files[@]}" >"$T/$t.out" 2>"$T/$t.err"
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"FAIL - "*)
			why=$(grep -E 'fuzz invariant broken|ERROR|runtime error|SUMMARY' "$T/$t.err" | head -n 3)
			not_ok "${line#FAIL - }" "${why:-see the replay output}"
			;;
		esac
	done <"$T/$t.out"
	n=$(grep -cE '^(ok|FAIL) - ' "$T/$t.out")
	[ "$n" -eq ${#files[@]} ] || not_ok "fuzz_$t" "replayed $n of ${#files[@]} inputs: $(tail -n 5 "$T/$t.err")"
done
finish
