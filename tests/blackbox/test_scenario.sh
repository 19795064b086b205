#!/usr/bin/env bash
# The store-events scenario end to end, as the seed runs it: the producer
# writes events into a local bucket, each object is served through an S3
# Object Lambda GET event by the runtime, and what comes out is the input
# minus price and discount, every other byte the same.
source "$(dirname "$0")/lib.sh"
POL=policies/store-events.cfg

"$PRODUCER" --count 40 --seed 11 --dir "$T/bucket" --quiet >"$T/summary.json"
n=0 bad=0
while IFS= read -r key; do
	n=$((n + 1))
	"$RT" --make-event --access-point lambda-consumer --file "$T/bucket/$key" --key "$key" -o "$T/ev.json"
	if ! "$RT" --event "$T/ev.json" --policy "$POL" --plugins "$PLUGINS" -o "$T/out.json" 2>"$T/err"; then
		bad=$((bad + 1)); echo "runtime failed on $key: $(cat "$T/err")"; continue
	fi
	# the expected bytes: the producer's json.dumps layout without the two keys
	"$PY" - "$T/bucket/$key" "$T/out.json" <<'PY' || bad=$((bad + 1))
import json, sys
src = open(sys.argv[1]).read()
d = json.loads(src)
assert "price" in d and "discount" in d
d.pop("price"); d.pop("discount")
want = json.dumps(d)
got = open(sys.argv[2]).read()
if got != want:
    print("mismatch:\n got  %s\n want %s" % (got, want)); sys.exit(1)
PY
done < <(cd "$T/bucket" && find store_events -name '*.json' | sort)
expect_eq "all 40 objects served" "$n" 40
expect_eq "every object is the input minus price and discount, byte for byte" "$bad" 0

# the same events as one NDJSON object through filter mode
"$PRODUCER" --ndjson "$T/events.ndjson" --count 5000 --seed 11 --quiet >/dev/null 2>&1
"$RT" --policy "$POL" --plugins "$PLUGINS" --access-point lambda-consumer "$T/events.ndjson" >"$T/events.out"
expect_eq "NDJSON: exit 0" "$?" 0
expect_eq "NDJSON output parses, no price or discount anywhere" \
	"$("$PY" "$HERE/jsoncheck.py" ndjson "$T/events.out" price discount)" "ok 5000"
# each line is its input line without the two members, byte for byte
expect_eq "NDJSON: every record is its input minus price and discount" "$("$PY" - \
	"$T/events.ndjson" "$T/events.out" <<'PY'
import json, sys
src = open(sys.argv[1]).read().splitlines()
got = open(sys.argv[2]).read().splitlines()
want = []
for line in src:
    d = json.loads(line)
    d.pop("price", None); d.pop("discount", None)
    want.append(json.dumps(d))
bad = [i for i, (g, w) in enumerate(zip(got, want)) if g != w]
print("ok" if len(got) == len(want) and not bad else
      "%d lines, want %d; first difference at line %s" % (len(got), len(want), bad[:1]))
PY
)" ok
"$PY" - "$T/events.ndjson" "$T/events.ndjson.array" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
open(sys.argv[2], "w").write("[\n" + ",\n".join(lines) + "\n]\n")
PY
"$RT" --policy "$POL" --plugins "$PLUGINS" --access-point lambda-consumer "$T/events.ndjson.array" >"$T/array.out"
expect_eq "array: exit 0" "$?" 0
expect_eq "array output parses, no price or discount anywhere" \
	"$("$PY" "$HERE/jsoncheck.py" array "$T/array.out" price discount)" "ok 5000"
# the same records as the NDJSON output, in the same order
expect_eq "array: the same records as NDJSON" "$("$PY" - "$T/events.out" "$T/array.out" <<'PY'
import json, sys
nd = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
arr = json.load(open(sys.argv[2]))
print("ok" if nd == arr else "differ")
PY
)" ok

# memory is bounded by the largest record, not by the object
if [ "$HEAVY" = 0 ]; then
	skip "peak memory: not measured under sanitizers and valgrind"
else
	"$PRODUCER" --ndjson - --size 300M --seed 5 --quiet 2>/dev/null |
		/usr/bin/time -f %M -o "$T/rss" "$RT" --policy "$POL" --plugins "$PLUGINS" \
			--access-point lambda-consumer >/dev/null
	rss=$(cat "$T/rss")
	if [ "$rss" -lt 32768 ]; then ok "300 MB streamed in $rss KiB peak RSS (< 32 MiB)"
	else not_ok "peak RSS under 32 MiB" "$rss KiB"; fi
fi

finish
