#!/usr/bin/env bash
# Where the drop path's time goes: perf (cpu-clock samples, self time, user
# and kernel) and callgrind (instructions, self and inclusive) of filter mode
# with `lambda-consumer` over a small NDJSON object of store events.
# The three-step chain of tools/bench/chain.cfg gets a callgrind profile
# too, over an eighth of the data, when its plugins are built, on one
# thread (with two, the digest memo's hits depend on which worker gets
# which batch, and the count moves by a few per cent from run to run).
# usage: tools/bench/profile.sh BUILD      (PSIZE=32M, SEED=42)
# Writes BUILD/bench/profile/{perf.txt,callgrind.txt,callgrind-chain.txt};
# tools/bench/PROFILE.md is the reading of one run.
set -eu
case ${1:-} in -h | --help) # the comment above, as help
	sed -n '2,/^set -/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
esac
build=${1:?usage: tools/bench/profile.sh BUILD}
cd "$(dirname "$0")/../.."
size=${PSIZE:-32M}
seed=${SEED:-42}
dir=$build/bench/profile
mkdir -p "$dir"
in=$dir/in.ndjson
"$build/bin/producer" --ndjson "$in" --size "$size" --seed "$seed" --quiet >/dev/null
run=("$build/bin/runtime" --policy policies/store-events.cfg --plugins "$build/plugins"
	--access-point lambda-consumer "$in" -o "$dir/out.ndjson")

if command -v perf >/dev/null && perf record -e cpu-clock -o /dev/null true 2>/dev/null; then
	perf record -q -e cpu-clock -F 20000 --call-graph dwarf -o "$dir/perf.data" "${run[@]}" 2>/dev/null
	{
		echo "# perf record -e cpu-clock -F 20000 --call-graph dwarf: ${run[*]}"
		echo "## self time"
		perf report -i "$dir/perf.data" --no-children --sort symbol --stdio -g none 2>/dev/null |
			grep -E '^ +[0-9]' | head -n 40
		echo "## with callees (children)"
		perf report -i "$dir/perf.data" --children --sort symbol --stdio -g none 2>/dev/null |
			grep -E '^ +[0-9]' | head -n 40
	} > "$dir/perf.txt"
	echo "perf: $dir/perf.txt"
else
	echo "perf: not usable here (perf record -e cpu-clock fails); skipped"
fi

if command -v valgrind >/dev/null; then
	valgrind -q --tool=callgrind --callgrind-out-file="$dir/callgrind.out" "${run[@]}"
	{
		echo "# valgrind --tool=callgrind: ${run[*]}"
		echo "## self (exclusive) instructions"
		callgrind_annotate "$dir/callgrind.out" 2>/dev/null | sed -n '1,60p'
		echo "## inclusive instructions"
		callgrind_annotate --inclusive=yes "$dir/callgrind.out" 2>/dev/null | sed -n '1,60p'
	} > "$dir/callgrind.txt"
	echo "callgrind: $dir/callgrind.txt"
else
	echo "callgrind: valgrind not installed; skipped"
	exit 0
fi

for p in drop_fields mask_fields enrich; do
	if [ ! -f "$build/plugins/$p.so" ]; then
		echo "callgrind of the chain: $build/plugins/$p.so missing; skipped"
		exit 0
	fi
done
head -c $(( $(wc -c < "$in") / 8 )) "$in" | head -n -1 > "$dir/in-chain.ndjson"
chain=("$build/bin/runtime" --policy tools/bench/chain.cfg --plugins "$build/plugins"
	--access-point bench-chain "$dir/in-chain.ndjson" -o "$dir/out-chain.ndjson")
INFLIGHT_THREADS=1 INFLIGHT_BENCH_HMAC_KEY=bench-secret-key valgrind -q --tool=callgrind \
	--callgrind-out-file="$dir/callgrind-chain.out" "${chain[@]}"
{
	echo "# INFLIGHT_THREADS=1 INFLIGHT_BENCH_HMAC_KEY=... valgrind --tool=callgrind: ${chain[*]}"
	echo "# input: $(wc -c < "$dir/in-chain.ndjson") bytes, $(wc -l < "$dir/in-chain.ndjson") records"
	echo "## self (exclusive) instructions"
	callgrind_annotate "$dir/callgrind-chain.out" 2>/dev/null | sed -n '1,60p'
	echo "## inclusive instructions"
	callgrind_annotate --inclusive=yes "$dir/callgrind-chain.out" 2>/dev/null | sed -n '1,80p'
} > "$dir/callgrind-chain.txt"
echo "callgrind of the chain: $dir/callgrind-chain.txt"
