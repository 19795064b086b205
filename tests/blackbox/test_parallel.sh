#!/usr/bin/env bash
# ndjson and arrays run on several threads: the output and every error
# message must be exactly those of a run on one thread, whatever the batch
# boundaries.
source "$(dirname "$0")/lib.sh"
POL=policies/store-events.cfg
F=("$RT" --policy "$POL" --plugins "$PLUGINS" --access-point lambda-consumer)

# 3 MB of events with blank lines, CRLF lines and no final newline, so
# batch cuts fall everywhere
"$PRODUCER" --ndjson "$T/ev.ndjson" --count 8000 --seed 21 --quiet >/dev/null 2>&1
"$PY" - "$T/ev.ndjson" "$T/mixed.ndjson" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
out = []
for i, l in enumerate(lines):
    out.append(l + ("\r\n" if i % 7 == 0 else "\n"))
    if i % 13 == 0:
        out.append("\n  \n")
open(sys.argv[2], "w").write("".join(out).rstrip("\n"))
PY
for n in 1 2 3 4; do
	INFLIGHT_THREADS=$n "${F[@]}" "$T/mixed.ndjson" >"$T/out.$n" 2>"$T/err.$n"
	echo $? >"$T/rc.$n"
done
expect_eq "one thread succeeds" "$(cat "$T/rc.1")" 0
# the one-thread output is itself right: each record its input line less
# price and discount, line endings and blank lines as they were
expect_eq "one thread: every line is its input less price and discount" "$("$PY" - \
	"$T/mixed.ndjson" "$T/out.1" <<'PY'
import json, sys
src = open(sys.argv[1], newline="").read().split("\n")
got = open(sys.argv[2], newline="").read().split("\n")
def want(line):
    cr = line.endswith("\r")
    body = line[:-1] if cr else line
    if not body.strip():
        return line
    d = json.loads(body)
    d.pop("price", None); d.pop("discount", None)
    return json.dumps(d) + ("\r" if cr else "")
print("ok" if got == [want(l) for l in src] else "differ")
PY
)" ok
for n in 2 3 4; do
	expect_files_eq "$n threads: the same bytes as one" "$T/out.$n" "$T/out.1"
done
expect_eq "the output keeps every line ending and blank line" \
	"$(grep -c $'\r$' "$T/out.1"):$(grep -c '^ *$' "$T/out.1")" \
	"$(grep -c $'\r$' "$T/mixed.ndjson"):$(grep -c '^ *$' "$T/mixed.ndjson")"

# a bad record deep in the object: the same message, record and line
"$PY" - "$T/mixed.ndjson" "$T/bad.ndjson" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
i = next(k for k in range(6001, len(lines)) if lines[k].startswith("{"))
lines[i] = lines[i][:40]
open(sys.argv[2], "w").write("\n".join(lines))
open(sys.argv[2] + ".line", "w").write(str(i + 1))
PY
for n in 1 2; do
	INFLIGHT_THREADS=$n "${F[@]}" "$T/bad.ndjson" >"$T/bout.$n" 2>"$T/berr.$n"
	echo $? >"$T/brc.$n"
done
expect_eq "a bad record fails both runs with exit 7" "$(cat "$T/brc.1"):$(cat "$T/brc.2")" "7:7"
expect_eq "the message names the same record and line" "$(cat "$T/berr.2")" "$(cat "$T/berr.1")"
expect_contains "the message names the line" "$(cat "$T/berr.1")" "(line $(cat "$T/bad.ndjson.line")):"

# the same in an object with no blank line, where batches count lines
# 16 bytes at a time
"$PY" - "$T/ev.ndjson" "$T/clean-bad.ndjson" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
lines[7001] = lines[7001][:50]
open(sys.argv[2], "w").write("\n".join(lines))
PY
for n in 1 2; do
	INFLIGHT_THREADS=$n "${F[@]}" "$T/clean-bad.ndjson" >/dev/null 2>"$T/cerr.$n"
done
expect_eq "no blank lines: the same message on 1 and 2 threads" "$(cat "$T/cerr.2")" "$(cat "$T/cerr.1")"
expect_contains "no blank lines: the message names record and line 7002" "$(cat "$T/cerr.2")" \
	"record 7002 (line 7002):"

# a line over max_record_bytes and over a batch, after 5000 lines: the
# batches before it are finished first, so the message names its line
cat >"$T/small.cfg" <<'CFG'
access_points = ( { name = "s"; format = "ndjson"; max_record_bytes = 300000;
  chain = ( { plugin = "drop_fields"; paths = [ "price" ]; } ); } );
CFG
{ head -n 5000 "$T/ev.ndjson"; "$PY" -c 'print("{\"a\":\"" + "x" * 400000 + "\"}")'
  head -n 10 "$T/ev.ndjson"; } >"$T/long.ndjson"
# fails_alike WHAT CFG AP FILE NEEDLE: FILE fails, exit 7, on one thread
# and two with the same message, which holds NEEDLE
fails_alike() {
	local n
	for n in 1 2; do
		INFLIGHT_THREADS=$n "$RT" --policy "$2" --plugins "$PLUGINS" --access-point "$3" \
			"$4" >/dev/null 2>"$T/fa.$n"
		expect_eq "$1, $n thread(s): exit 7" "$?" 7
	done
	expect_eq "$1: the same message on 1 and 2 threads" "$(cat "$T/fa.2")" "$(cat "$T/fa.1")"
	expect_contains "$1: named" "$(cat "$T/fa.1")" "$5"
}
fails_alike "a line over max_record_bytes" "$T/small.cfg" s "$T/long.ndjson" \
	"record larger than max_record_bytes (300000) at line 5001,"

# a last line of exactly max_record_bytes, then a CR and no LF: the CR is
# the line's ending, not one byte too many, on any number of threads
"$PY" - "$T/cr.ndjson" <<'PY'
import sys
line = '{"a":"' + "x" * (300000 - 8) + '"}'
open(sys.argv[1], "w", newline="").write('{"b":1}\n' + line + "\r")
PY
for n in 1 2; do
	INFLIGHT_THREADS=$n "$RT" --policy "$T/small.cfg" --plugins "$PLUGINS" --access-point s \
		"$T/cr.ndjson" -o "$T/cr.$n" 2>&1
	expect_eq "a last line of max_record_bytes and a CR, $n thread(s): exit 0" "$?" 0
done
for n in 1 2; do
	expect_files_eq "a last line of max_record_bytes and a CR, $n thread(s): the input as it was" \
		"$T/cr.$n" "$T/cr.ndjson"
done

# array elements of exactly max_record_bytes, 1.5 MB of them, so batch cuts
# fall between elements: every element fits, on any number of threads;
# one byte more in one of them deep in the array is refused alike
cat >"$T/exact.cfg" <<'CFG'
access_points = ( { name = "a"; format = "array"; max_record_bytes = 1000;
  chain = ( { plugin = "drop_fields"; paths = [ "price" ]; } ); } );
CFG
"$PY" - "$T/exact" <<'PY'
import sys
def el(i, n):
    head = '{"i":%d,"price":1,"s":"' % i
    return head + "x" * (n - len(head) - 2) + '"}'
els = [el(i, 1000) for i in range(1500)]
open(sys.argv[1] + ".json", "w").write("[" + ",".join(els) + "]")
els[1400] = el(1400, 1001)
open(sys.argv[1] + "-over.json", "w").write("[" + ",".join(els) + "]")
PY
for n in 1 2; do
	INFLIGHT_THREADS=$n "$RT" --policy "$T/exact.cfg" --plugins "$PLUGINS" --access-point a \
		"$T/exact.json" >"$T/exact.$n" 2>&1
	expect_eq "elements of exactly max_record_bytes, $n thread(s): exit 0" "$?" 0
done
expect_files_eq "elements of exactly max_record_bytes: 2 threads as 1" "$T/exact.2" "$T/exact.1"
expect_eq "elements of exactly max_record_bytes: all 1500 written" \
	"$(grep -o '"i":' "$T/exact.1" | wc -l)" 1500
fails_alike "an element one byte over max_record_bytes" "$T/exact.cfg" a "$T/exact-over.json" \
	"record larger than max_record_bytes (1000)"

# records larger than a batch (over 1 MiB: run alone, on the main thread)
# among small ones, one of them bad: the same output and message on 1 to
# 4 threads, ndjson and arrays; and memory that of one thread, not a ring
# of such batches (it was 10 times the record on two threads)
"$PY" - "$T/big" <<'PY'
import json, sys
recs = []
for i in range(40):
    big = i % 6 == 2
    recs.append({"i": i, "price": i, "s": ("x" if big else "y") * (1500000 if big else 300 * i)})
lines = [json.dumps(r) for r in recs]
open(sys.argv[1] + ".ndjson", "w").write("\n".join(lines) + "\n")
open(sys.argv[1] + ".json", "w").write("[" + ",\n".join(lines) + "]\n")
lines[32] = lines[32][:-1]  # a big one, cut
open(sys.argv[1] + "-bad.ndjson", "w").write("\n".join(lines) + "\n")
PY
# (a failed run's -o is never written, so the outputs compare too)
for f in big.ndjson big.json big-bad.ndjson; do
	for n in 1 2 4; do
		INFLIGHT_THREADS=$n "${F[@]}" "$T/$f" -o "$T/$f.$n" 2>"$T/$f.err.$n"
		echo $? >>"$T/$f.err.$n"
	done
	for n in 2 4; do
		expect_eq "$f: $n threads as 1: output, message, status" \
			"$(cmp -s "$T/$f.1" "$T/$f.$n" 2>/dev/null || [ ! -e "$T/$f.1" ] &&
			   cat "$T/$f.err.$n")" "$(cat "$T/$f.err.1")"
	done
done
expect_absent "a bad record over a batch: no output file" "$T/big-bad.ndjson.2"
expect_eq "records over a batch: the one-thread run succeeds" "$(cat "$T/big.ndjson.err.1")" 0
expect_contains "a bad record over a batch: named" "$(cat "$T/big-bad.ndjson.err.2")" "record 33 (line 33)"
if [ "$HEAVY" = 0 ]; then
	skip "peak memory over records of 8 MB: not measured under sanitizers and valgrind"
else
	"$PY" -c 'import sys; sys.stdout.write(("{\"a\":\"" + "x" * 8000000 + "\",\"price\":1}\n") * 8)' >"$T/huge.ndjson"
	INFLIGHT_THREADS=4 /usr/bin/time -f %M -o "$T/huge.rss" "${F[@]}" "$T/huge.ndjson" -o "$T/huge.out"
	rss=$(tail -n 1 "$T/huge.rss")
	if [ "$rss" -lt 40000 ]; then ok "records of 8 MB on 4 threads: $rss KiB peak RSS (< 5 times one)"
	else not_ok "records of 8 MB on 4 threads: peak RSS under 40000 KiB" "$rss KiB"; fi
	rm -f "$T/huge.ndjson" "$T/huge.out"
	# a dense first record (10 MB, 5 million numbers): telling ndjson from
	# a document read it with its tokens, ten times its size
	"$PY" -c 'print("{\"price\":1,\"a\":[" + ",".join(["1"] * 5000000) + "]}")' >"$T/dense.ndjson"
	for n in 1 4; do
		INFLIGHT_THREADS=$n /usr/bin/time -f %M -o "$T/dense.rss" "${F[@]}" "$T/dense.ndjson" -o "$T/dense.out"
		rss=$(tail -n 1 "$T/dense.rss")
		if [ "$rss" -lt 40000 ]; then ok "a dense first record of 10 MB, $n thread(s): $rss KiB peak RSS"
		else not_ok "a dense first record of 10 MB, $n thread(s): peak RSS under 40000 KiB" "$rss KiB"; fi
	done
	rm -f "$T/dense.ndjson" "$T/dense.out"
fi

# drop_record: the same records skipped and kept
cat >"$T/lenient.cfg" <<'CFG'
access_points = ( { name = "l"; format = "ndjson"; on_error = "drop_record";
  chain = ( { plugin = "drop_fields"; paths = [ "price", "discount" ]; } ); } );
CFG
# (a bad line that leaves nothing open: a cut one fails the object, as
# the last check of this block shows)
sed "$(cat "$T/bad.ndjson.line")s/.*/{\"bad\": }/" "$T/bad.ndjson" >"$T/bad-closed.ndjson"
for n in 1 2; do
	INFLIGHT_THREADS=$n "$RT" --policy "$T/lenient.cfg" --plugins "$PLUGINS" --access-point l \
		"$T/bad-closed.ndjson" >"$T/lout.$n" 2>"$T/lwarn.$n"
done
expect_files_eq "drop_record: the same output on 1 and 2 threads" "$T/lout.2" "$T/lout.1"
expect_files_eq "drop_record: the same skip count on 1 and 2 threads" "$T/lwarn.2" "$T/lwarn.1"
expect_contains "drop_record: the skips are counted" "$(cat "$T/lwarn.2")" "1 record skipped under"
fails_alike "drop_record: a cut line deep in the object" "$T/lenient.cfg" l "$T/bad.ndjson" \
	"(line $(cat "$T/bad.ndjson.line")) leaves an object or array open"

# auto framing with a byte-order mark takes the parallel path too
printf '\xef\xbb\xbf' | cat - "$T/ev.ndjson" >"$T/bom.ndjson"
INFLIGHT_THREADS=1 "${F[@]}" "$T/bom.ndjson" >"$T/bom.1"
INFLIGHT_THREADS=2 "${F[@]}" "$T/bom.ndjson" >"$T/bom.2"
expect_files_eq "a byte-order mark is skipped on both paths" "$T/bom.2" "$T/bom.1"

# a chain with a lookup table and a removal: the table is loaded once and
# read by every worker (make tsan runs this under ThreadSanitizer)
for n in 1 4; do
	INFLIGHT_THREADS=$n "$RT" --policy policies/store-ops.cfg --plugins "$PLUGINS" \
		--access-point store-ops "$T/mixed.ndjson" >"$T/ops.$n" 2>"$T/opserr.$n"
	echo $? >"$T/opsrc.$n"
done
expect_eq "store-ops (enrich lookup, drop) on 1 and 4 threads: both succeed, nothing on stderr" \
	"$(cat "$T/opsrc.1" "$T/opsrc.4" "$T/opserr.1" "$T/opserr.4" | tr '\n' ' ')" "0 0 "
expect_files_eq "store-ops: the same bytes on 4 threads as on one" "$T/ops.4" "$T/ops.1"
expect_eq "store-ops: every record got a store_city" \
	"$(grep -c '"store_city"' "$T/ops.1")" "$(grep -c '^ *{' "$T/mixed.ndjson")"

# ---- a JSON array runs on several threads too ----
# the events as one array, laid out three ways (one per line, all on one
# line, pretty-printed), and a view that keeps only inventory events: the
# first kept element is far in, so the comma before it must go
"$PY" - "$T/ev.ndjson" "$T" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
d = sys.argv[2]
open(d + "/lines.json", "w").write("[\n" + ",\n".join(json.dumps(r) for r in recs) + "\n]\n")
open(d + "/flat.json", "w").write("[" + ",".join(json.dumps(r) for r in recs) + "]")
open(d + "/pretty.json", "w").write(json.dumps(recs, indent=2))
# no inventory event before the middle
late = [r for r in recs if r.get("evnt_type") != "inventory_event"][:4000] + recs[4000:]
open(d + "/late.json", "w").write(" [ " + " ,\n ".join(json.dumps(r) for r in late) + " ] \n")
# none in the 2500 events (about 900 KB, whole batches) after the first
# 1000: the batch after that gap must still put a comma before its first
other = [r for r in recs if r.get("evnt_type") != "inventory_event"]
gap = recs[:1000] + other[:2500] + recs[1000:]
open(d + "/gap.json", "w").write("[" + ",".join(json.dumps(r) for r in gap) + "]")
open(d + "/gap.want", "w").write(str(sum(r.get("evnt_type") == "inventory_event" for r in gap)))
PY
for a in lines flat pretty; do
	for n in 1 2 3; do
		INFLIGHT_THREADS=$n "${F[@]}" "$T/$a.json" >"$T/$a.out.$n" 2>"$T/$a.err.$n"
		echo $? >>"$T/$a.err.$n"
	done
	expect_eq "array ($a): one thread succeeds" "$(cat "$T/$a.err.1")" 0
	for n in 2 3; do
		expect_files_eq "array ($a), $n threads: the same bytes as one" "$T/$a.out.$n" "$T/$a.out.1"
	done
done
expect_eq "array: the output is the input's records less price and discount" "$("$PY" - \
	"$T/ev.ndjson" "$T/pretty.out.2" <<'PY'
import json, sys
want = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
for r in want:
    r.pop("price", None); r.pop("discount", None)
print("ok" if json.load(open(sys.argv[2])) == want else "differ")
PY
)" ok
for n in 1 2 3; do
	INFLIGHT_THREADS=$n "$RT" --policy policies/inventory.cfg --plugins "$PLUGINS" \
		--access-point inventory "$T/late.json" >"$T/late.out.$n" 2>/dev/null
	echo $? >"$T/late.rc.$n"
done
expect_eq "array, inventory view: every run succeeds" "$(cat "$T"/late.rc.* | tr '\n' ' ')" "0 0 0 "
for n in 2 3; do
	expect_files_eq "array, inventory view, $n threads: the same bytes as one" \
		"$T/late.out.$n" "$T/late.out.1"
done
expect_eq "array, inventory view: valid JSON, inventory events only, none before the middle" \
	"$("$PY" -c '
import json, sys
got = json.load(open(sys.argv[1]))
print(len(got) > 100 and all(r["evnt_type"] == "inventory_event" for r in got))' \
	"$T/late.out.2")" True
for n in 1 2 3; do
	INFLIGHT_THREADS=$n "$RT" --policy policies/inventory.cfg --plugins "$PLUGINS" \
		--access-point inventory "$T/gap.json" >"$T/gap.out.$n" 2>&1
	expect_eq "array, inventory view, whole batches with none kept, $n thread(s): exit 0" "$?" 0
done
for n in 2 3; do
	expect_files_eq "array, inventory view, whole batches with none kept, $n threads as one" \
		"$T/gap.out.$n" "$T/gap.out.1"
done
expect_eq "array, inventory view, whole batches with none kept: valid JSON, every inventory event" \
	"$("$PY" -c '
import json, sys
print(len(json.load(open(sys.argv[1]))))' "$T/gap.out.2" 2>&1)" "$(cat "$T/gap.want")"

# a bad element and a broken separator deep in the array: the same
# message on one and two threads
"$PY" - "$T/lines.json" "$T" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
bad = list(lines); bad[6001] = '{"request_id": "x", "price": },'
open(sys.argv[2] + "/abad.json", "w").write("\n".join(bad))
sep = list(lines); sep[6001] = sep[6001] + ","
open(sys.argv[2] + "/asep.json", "w").write("\n".join(sep))
PY
for a in abad asep; do
	for n in 1 2; do
		INFLIGHT_THREADS=$n "${F[@]}" "$T/$a.json" >/dev/null 2>"$T/$a.err.$n"
		echo $? >>"$T/$a.err.$n"
	done
	expect_eq "array ($a): the same message and exit on 1 and 2 threads" \
		"$(cat "$T/$a.err.2")" "$(cat "$T/$a.err.1")"
	expect_contains "array ($a): exit 7 and the line named" "$(cat "$T/$a.err.1" | tr '\n' ' ')" \
		"line 6002"
done

# a missing ',' deep in the array is a broken array, not a record to
# skip: under drop_record too, on one thread and two
"$PY" - "$T/lines.json" "$T/amiss.json" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
assert lines[6001].endswith(",")
lines[6001] = lines[6001][:-1]
open(sys.argv[2], "w").write("\n".join(lines))
PY
cat >"$T/alenient.cfg" <<'CFG'
access_points = ( { name = "a"; format = "array"; on_error = "drop_record";
  chain = ( { plugin = "drop_fields"; paths = [ "price", "discount" ]; } ); } );
CFG
# broken_array NAME WHAT MESSAGE: $T/NAME.json fails under drop_record on
# one thread and two, exit 7 and no output file, MESSAGE in its error
broken_array() {
	local n
	for n in 1 2; do
		run env INFLIGHT_THREADS=$n "$RT" --policy "$T/alenient.cfg" --plugins "$PLUGINS" \
			--access-point a "$T/$1.json" -o "$T/$1.out"
		expect_eq "array, $2, drop_record, $n thread(s): exit 7, no output file" \
			"$RC:$(test -e "$T/$1.out" && echo written)" "7:"
		expect_contains "array, $2, $n thread(s): the line named" "$ERR" "$3"
	done
}
broken_array amiss "missing ','" "missing ',' between array elements at line 6003,"

# a '}' closing a '[' in one element and a ']' closing a '{' in another:
# the cut counts brackets, so the elements between them run together, and
# skipping that as one bad record would drop them unnoticed (under
# drop_record too, on one thread and two)
"$PY" - "$T/lines.json" "$T/amixed.json" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
for at, bad in ((2001, '{"id": 1, "note": [},'), (4001, '{"id": 2, "x": ]},')):
    assert lines[at].endswith(",")
    lines[at] = bad
open(sys.argv[2], "w").write("\n".join(lines))
PY
broken_array amixed "mismatched brackets" "mismatched '}' at line 2002,"

# a stray quote that leaves every string beside punctuation: "x}, {" is
# then a value and ":1}, {" a key followed by ',', which the cut cannot
# tell from three elements run together
"$PY" - "$T/lines.json" "$T/aquote.json" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
for at, bad in ((3001, '{"a":"x},'), (3002, '{",":1},'), (3003, '{",":"},')):
    assert lines[at].endswith(",")
    lines[at] = bad
open(sys.argv[2], "w").write("\n".join(lines))
PY
broken_array aquote "a stray quote" "stray '\"' at line 3004,"

# a bracket whose count never closes again: the array ends inside that
# element, and the bracket, not the end, is named
"$PY" - "$T/lines.json" "$T/aopen.json" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
assert lines[2501].endswith(",")
lines[2501] = '{"id": 1, "note": [},'
open(sys.argv[2], "w").write("\n".join(lines))
PY
broken_array aopen "a bracket never closed" "mismatched '}' at line 2502,"

# on stdout, an object that fails before 256 KiB of output writes none of
# it, on any number of threads (a batch's output is held, as one thread
# holds it)
"$PY" -c 'import sys; sys.stdout.write("{\"a\":1}\n{\"x\":\"" + "A" * (1 << 20) + "\n")' \
	>"$T/late_bad.ndjson"
for n in 1 2; do
	run env INFLIGHT_THREADS=$n "${F[@]}" "$T/late_bad.ndjson"
	expect_eq "a bad record after a good one, $n thread(s), stdout: exit 7, nothing written" \
		"$RC:${#OUT}" "7:0"
done

# ---- INFLIGHT_THREADS that is not a worker count is refused, not guessed ----
for v in abc -5 4x 0 " 2" $'2\nruntime: ok'; do
	shown=${v//$'\n'/\\x0a} # as the error shows it, on one line
	run env INFLIGHT_THREADS="$v" "${F[@]}" "$T/bom.ndjson"
	expect_eq "INFLIGHT_THREADS='$shown': exit 2, no output" "$RC:$OUT" "2:"
	expect_contains "INFLIGHT_THREADS='$shown': the variable named" "$ERR" \
		"INFLIGHT_THREADS='$shown'"
	expect_eq "INFLIGHT_THREADS='$shown': one line" "$(printf '%s\n' "$ERR" | wc -l)" 1
done
run env INFLIGHT_THREADS=x "$RT" --plugins "$PLUGINS" --check-policy "$POL"
expect_eq "INFLIGHT_THREADS=x: --check-policy refuses it too" "$RC" 2
for v in 8 99999999999999999999 ""; do
	run env INFLIGHT_THREADS="$v" "${F[@]}" "$T/bom.ndjson"
	expect_eq "INFLIGHT_THREADS='$v' accepted (above 4: 4 used; empty: unset)" "$RC" 0
	expect_eq "INFLIGHT_THREADS='$v': the same output as one thread" "$OUT" "$(cat "$T/bom.1")"
done

finish
