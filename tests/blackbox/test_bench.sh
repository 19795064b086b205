#!/usr/bin/env bash
# `make bench` on a small object: it prints every row of issue 6's table
# and its output check passes; and that check does catch a tool whose
# output is wrong (a runtime that changes one value of one record).
# Nothing here asserts a speed: the machines are shared.
# usage: tests/blackbox/test_bench.sh BUILD
# shellcheck source=tests/blackbox/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$HERE/../.." || exit 1

if [ "$HEAVY" = 0 ]; then # the bench measures the plain build only
	skip "bench: the bench measures the plain build only"
	finish
	exit
fi

# one round of everything, small
small=(SIZE=1M ROUNDS=1 BIG=1 BIG_SIZE=4M DOCS=20 STARTUP_RUNS=3)

# bench BUILD LOG: runs tools/bench/run.sh, bounded
bench() {
	env "${small[@]}" timeout 300 tools/bench/run.sh "$1" >"$2" 2>&1
}

# copy_build DIR: the binaries and plugins of BUILD in DIR, so that the
# bench's directory (DIR/bench) is not BUILD's, whose results.md a real
# `make bench` wrote
copy_build() {
	mkdir -p "$1/bin"
	cp "$BUILD/bin/runtime" "$BUILD/bin/producer" "$1/bin/"
	cp -r "$BUILD/plugins" "$1/plugins"
}

copy_build "$T/good"
bench "$T/good" "$T/bench.log" && rc=0 || rc=$?
log=$(cat "$T/bench.log")
expect_eq "bench: exits 0" "$rc" 0
for row in "Drop price, discount: NDJSON" "inflight, one thread" \
	"Python reference" "cat in > out" "3-step chain" "as one JSON array" \
	"Single-document objects" "runtime --event" "Start-up: exec to exit" \
	"Peak memory" "inflight / cat =" "inflight / python =" \
	"3-step chain / cat =" "start-up with 50 access points =" \
	"peak RSS over"; do
	expect_contains "bench: prints the row '$row'" "$log" "$row"
done
# jq and the two hand-written programs have rows whenever they can run
command -v jq >/dev/null && expect_contains "bench: jq row" "$log" "jq -c"
[ -x "$T/good/bench/ref/ref_jsmn" ] &&
	expect_contains "bench: jsmn row" "$log" "hand-written jsmn loop"
[ -x "$T/good/bench/ref/ref_simdjson" ] &&
	expect_contains "bench: simdjson row" "$log" "hand-written simdjson"
# the validation reference, with the count of records it checked against the input's
[ -x "$T/good/bench/ref/ref_validate" ] &&
	expect_contains "bench: validation reference row" "$log" "reference, not a filter"
expect_contains "bench: every drop row gives its CPU time" "$log" \
	"| inflight (filter mode, \`lambda-consumer\`) |"
drop_rows=$(sed -n '/^| Drop price/,/^| Same records/p' <<<"$log")
expect_eq "bench: CPU times in the drop, chain and array rows" \
	"$(grep -c 'user + [0-9.]* system s |' <<<"$drop_rows")" \
	"$(grep -c 'MB/s |' <<<"$drop_rows")"
expect_contains "bench: the budget of 0.8 x cat" "$log" "Budget: at 0.8 × cat the drop may take"
expect_contains "bench: the budget of the chain" "$log" "Budget: at 0.5 × cat the 3-step chain may take"
expect_eq "bench: the table is written" "$(grep -c '^| ' "$T/good/bench/results.md")" \
	"$(grep -c '^| ' <<<"$log")"

# a build whose runtime changes one value of the third record of its output
fake=$T/fake
copy_build "$fake"
real=$(cd "$BUILD" && pwd)/bin/runtime
cat >"$fake/bin/runtime" <<EOF
#!/bin/sh
out=
prev=
for a in "\$@"; do [ "\$prev" = -o ] && out=\$a; prev=\$a; done
"$real" "\$@" || exit \$?
[ -n "\$out" ] && sed -i '3s/"qty": [0-9]*/"qty": -1/' "\$out"
exit 0
EOF
chmod +x "$fake/bin/runtime"
bench "$fake" "$T/bad.log" && rc=0 || rc=$?
bad=$(cat "$T/bad.log")
expect_eq "bench: a wrong output fails the run" "$rc" 1
expect_contains "bench: the failure names the tool and the record" "$bad" \
	"inflight: record 3 differs from the expected record"
finish
