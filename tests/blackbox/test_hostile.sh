#!/usr/bin/env bash
# Hostile input, each case with its documented answer (README, "What bad
# input gets"): nothing a policy removed may reach the output, nothing that
# is not JSON may pass, and no input may crash or hang the runtime.
source "$(dirname "$0")/lib.sh"
cat >"$T/p.cfg" <<'CFG'
access_points = (
  { name = "h"; format = "ndjson";
    chain = ( { plugin = "drop_fields"; paths = [ "price", "discount", "**.password" ]; } ); },
  { name = "small"; format = "ndjson"; max_record_bytes = 64;
    chain = ( { plugin = "drop_fields"; paths = [ "price" ]; } ); },
  { name = "keys"; format = "ndjson"; max_key_bytes = 4096;
    chain = ( { plugin = "drop_fields"; paths = [ "price" ]; } ); }
);
CFG
H=("$RT" --policy "$T/p.cfg" --plugins "$PLUGINS" --access-point h)

passes() { # NAME INPUT WANT-OUTPUT
	printf '%s' "$2" >"$T/in"
	run "${H[@]}" "$T/in"
	expect_eq "$1" "$RC:$OUT" "0:$3"
}
refused() { # NAME INPUT-FILE WANT-IN-STDERR [ACCESS-POINT]
	run timeout 300 "$RT" --policy "$T/p.cfg" --plugins "$PLUGINS" --access-point "${4:-h}" "$2"
	expect_eq "$1: exit 7, no output" "$RC:$OUT" "7:"
	expect_contains "$1: says why" "$ERR" "$3"
}

# ---- keys: escapes, duplicates, depth ----
passes "keys hidden by escapes are dropped" '{"pr\u0069ce":1,"\u0070rice":2,"disc\u006funt":3,"ok":4}' '{"ok":4}'
passes "every duplicate is dropped" '{"price":1,"a":1,"price":2,"price":3}' '{"a":1}'
passes "a key that only contains the name is kept" '{"price2":1,"xprice":2,"price\u0000":3}' \
	'{"price2":1,"xprice":2,"price\u0000":3}'
passes "a dropped name nested where the policy does not look is kept" '{"item":{"price":1}}' '{"item":{"price":1}}'
passes "**.password reaches every depth, arrays included" \
	'{"password":1,"a":{"password":2,"b":[{"password":3,"c":4}]}}' '{"a":{"b":[{"c":4}]}}'

# ---- strings and numbers ----
printf '{"price":1,"a":"\xc3\x28"}\n' >"$T/u8"
refused "invalid UTF-8" "$T/u8" "invalid UTF-8"
printf '{"a":"\\ud800"}\n' >"$T/sur"
refused "lone high surrogate" "$T/sur" "lone high surrogate"
printf '{"\\udc00x":1}\n' >"$T/surk"
refused "lone low surrogate in a key" "$T/surk" "lone low surrogate"
passes "a surrogate pair is fine" '{"a":"\ud83d\ude00","price":1}' '{"a":"\ud83d\ude00"}'
printf '{"a":"x\x01y"}\n' >"$T/ctl"
refused "raw control character" "$T/ctl" "control character"
printf '{"a":1,"b":"\x00"}\n' >"$T/nul"
refused "NUL byte" "$T/nul" "NUL byte"
passes "an escaped NUL is valid JSON" '{"a":"\u0000","price":1}' '{"a":"\u0000"}'
for lit in NaN Infinity -Infinity; do
	printf '{"a":%s}\n' "$lit" >"$T/lit"
	refused "$lit" "$T/lit" "invalid JSON"
done
digits=$("$PY" -c 'print("9"*10000)')
passes "a number of 10,000 digits is copied as it is" "{\"n\":$digits,\"price\":1}" "{\"n\":$digits}"

# ---- structure ----
printf '\xef\xbb\xbf{"a":1}\n' >"$T/bom"
run "${H[@]}" "$T/bom"
expect_eq "a leading byte-order mark is skipped" "$RC:$OUT" '0:{"a":1}'
printf '{"a":1}\n\xef\xbb\xbf{"a":2}\n' >"$T/bom2"
refused "a byte-order mark later is not JSON" "$T/bom2" "invalid JSON"
printf '{"a":"unterminated' >"$T/str"
refused "an object ending inside a string" "$T/str" "truncated"
"$PY" -c 'import sys; sys.stdout.write("["*1000000 + "]"*1000000 + "\n")' >"$T/deep"
# refused at depth max_depth + 1, not after reading all of it: `timeout`
# in refused() is the hang bound, no speed is asserted
refused "nesting 1,000,000 deep" "$T/deep" "nesting deeper than max_depth (512) (byte 512 of the record)"
printf '[{"a":1},]' >"$T/arr"
run "$RT" --policy "$T/p.cfg" --plugins "$PLUGINS" --access-point h "$T/arr"
expect_eq "ndjson policy on an array with a trailing comma: refused" "$RC:$OUT" "7:"
printf '{"a":1,"price":2}\r\n{"b":2}\n{"c":3,"price":4}\r\n' >"$T/crlf"
run "${H[@]}" "$T/crlf"
expect_eq "mixed line endings kept as they are" "$OUT" "$(printf '{"a":1}\r\n{"b":2}\n{"c":3}\r\n')"
printf '{"a":1,"price":2}\n{"b":2}\n' | gzip -c >"$T/gz"
refused "a gzip-compressed object is not JSON, and the error says what it is" "$T/gz" \
	"record 1 (line 1): invalid JSON: unexpected byte 0x1f (byte 0 of the record); the object starts as gzip data does"

# ---- limits: exactly at the limit passes, one byte more is refused ----
rec='{"price":1,"a":"'$("$PY" -c 'print("x"*46)')'"}'
expect_eq "the record below is 64 bytes" "${#rec}" 64
printf '%s\n' "$rec" >"$T/at"
run "$RT" --policy "$T/p.cfg" --plugins "$PLUGINS" --access-point small "$T/at"
expect_eq "a record of exactly max_record_bytes passes" "$RC" 0
printf '%s \n' "$rec" >"$T/over"
refused "a record one byte over max_record_bytes" "$T/over" "max_record_bytes" small
key=$("$PY" -c 'print("k"*(1024*1024))')
printf '{"%s":1}\n' "$key" >"$T/bigkey"
refused "a key of 1 MB" "$T/bigkey" "max_key_bytes" keys
printf '{"%s":1,"price":2}\n' "${key:0:4096}" >"$T/okkey"
run "$RT" --policy "$T/p.cfg" --plugins "$PLUGINS" --access-point keys "$T/okkey"
expect_eq "a key of exactly max_key_bytes passes" "$RC:$OUT" "0:{\"${key:0:4096}\":1}"


# ---- whitespace is not held without bound (README: max_record_bytes) ----
cat >"$T/ws.cfg" <<'CFG'
access_points = (
  { name = "auto"; format = "auto"; max_record_bytes = 4096;
    chain = ( { plugin = "drop_fields"; paths = [ "price" ]; } ); },
  { name = "array"; format = "array"; max_record_bytes = 4096;
    chain = ( { plugin = "drop_fields"; paths = [ "price" ]; } ); }
);
CFG
# ws AP NAME INPUT-FILE WANT-RC: runs on 3 threads (auto hands the
# object over to one when the first max_record_bytes tell nothing),
# output to a file, peak RSS in $T/rss
ws() {
	INFLIGHT_THREADS=3 /usr/bin/time -f %M -o "$T/rss" timeout 300 "$RT" --policy "$T/ws.cfg" \
		--plugins "$PLUGINS" --access-point "$1" "$3" >"$T/ws.out" 2>"$T/ws.err"
	expect_eq "$2: exit $4" "$?" "$4"
	if [ "$HEAVY" = 1 ]; then
		rss=$(tail -n 1 "$T/rss")
		# 40 MB held would be over 40 MiB; streaming needs a few
		if [ "$rss" -lt 20480 ]; then ok "$2: $rss KiB peak RSS (< 20 MiB)"
		else not_ok "$2: peak RSS under 20 MiB" "$rss KiB"; fi
	fi
}
"$PY" -c 'import sys; sys.stdout.write("\n"*40000000 + "{\"a\":1,\"price\":2}\n")' >"$T/nl40"
ws auto "auto: 40 MB of blank lines, then ndjson" "$T/nl40" 0
expect_eq "auto: the blank lines are copied" "$(wc -c <"$T/ws.out")" 40000008
"$PY" -c 'import sys; sys.stdout.write(" "*40000000 + "[{\"a\":1,\"price\":2}]")' >"$T/sp40"
ws auto "auto: 40 MB of spaces, then an array" "$T/sp40" 0
expect_eq "auto: the spaces before '[' are copied" "$(wc -c <"$T/ws.out")" 40000009
ws array "array: 40 MB of spaces before '['" "$T/sp40" 0
expect_eq "array: the spaces before '[' are copied" "$(wc -c <"$T/ws.out")" 40000009
"$PY" -c 'import sys; sys.stdout.write("[{\"a\":1}," + " "*40000000 + "{\"a\":2}]")' >"$T/gap40"
ws array "array: 40 MB of spaces between elements" "$T/gap40" 7
expect_contains "array: whitespace between elements counts with the element" \
	"$(cat "$T/ws.err")" "whitespace in the array larger than max_record_bytes (4096) at line 1, byte 9"
"$PY" -c 'import sys; sys.stdout.write("\n"*40000000 + "{\n\"a\":1}\n")' >"$T/doc40"
ws auto "auto: 40 MB of blank lines, then a document" "$T/doc40" 7
expect_contains "auto: a document after them is too large" "$(cat "$T/ws.err")" \
	"document larger than max_record_bytes"

# ---- auto cannot tell the framing when the first line is bad ----
cat >"$T/drop.cfg" <<'CFG'
access_points = (
  { name = "d"; format = "auto"; on_error = "drop_record";
    chain = ( { plugin = "drop_fields"; paths = [ "price" ]; } ); }
);
CFG
printf '{"a":1,"price":\n{"b":2,"price":3}\n{"c":3}\n' >"$T/badfirst"
for n in 1 3; do
	INFLIGHT_THREADS=$n run "$RT" --policy "$T/drop.cfg" --plugins "$PLUGINS" --access-point d "$T/badfirst"
	expect_eq "auto, drop_record, bad first line ($n threads): exit 7, no output" "$RC:$OUT" "7:"
	expect_contains "auto, drop_record, bad first line ($n threads): says why" "$ERR" \
		"cannot tell the framing (format auto): line 1 is not a JSON value"
done

finish
