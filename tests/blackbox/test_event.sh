#!/usr/bin/env bash
# Black-box tests of `runtime --event` and `runtime --make-event`: the
# object is served over http by a real server on 127.0.0.1, read with
# libcurl, and the S3 answers (errors, signed headers, broken streams)
# reach the caller faithfully.
source "$(dirname "$0")/lib.sh"
POL=policies/store-events.cfg
KEY="store_events/sales_event/dt=2026_11_28/1795867200000001.json"
mkdir -p "$T/bucket/$(dirname "$KEY")"
printf '{"request_id": "5b3e", "cust_id": 321, "price": 42.5, "discount": 3.5, "qty": 2}' >"$T/bucket/$KEY"
start_object_server "$T/bucket" || { not_ok "object server" "did not start"; finish; exit 1; }
BASE="http://127.0.0.1:$OBJ_PORT"

event() { # URL [extra make-event args...] -> $T/ev.json
	local url=$1; shift
	"$RT" --make-event --access-point lambda-consumer --url "$url" --key "$KEY" "$@" -o "$T/ev.json"
}
serve() { run "$RT" --event "$T/ev.json" --policy "$POL" --plugins "$PLUGINS" "$@"; }

# ---- the redacted object over http ----
event "$BASE/$KEY?X-Amz-Signature=SECRETSIG&X-Amz-Security-Token=SECRETTOKEN"
serve
expect_eq "GET over http: redacted body" "$OUT" '{"request_id": "5b3e", "cust_id": 321, "qty": 2}'
expect_eq "GET over http: exit 0" "$RC" 0
expect_contains "status 200 reported" "$ERR" "status: 200"
expect_contains "Content-Type forwarded" "$ERR" "header: Content-Type: application/json"
expect_contains "x-amz-meta forwarded" "$ERR" "header: x-amz-meta-store: test"
if [[ $ERR == *ETag* || $ERR == *Content-Length* ]]; then
	not_ok "ETag and Content-Length not forwarded" "$ERR"
else ok "ETag and Content-Length not forwarded"; fi

# ---- the event file itself ----
"$PY" - "$T/ev.json" <<'PY' && ok "make-event writes an AWS-shaped GET event" || not_ok "make-event shape" "see above"
import json, sys
e = json.load(open(sys.argv[1]))
g = e["getObjectContext"]
assert g["inputS3Url"].startswith("http://127.0.0.1:"), g
assert g["outputRoute"] and g["outputToken"]
assert e["configuration"]["accessPointArn"].endswith(":accesspoint/lambda-consumer")
assert e["userRequest"]["url"].endswith("/store_events/sales_event/dt=2026_11_28/1795867200000001.json")
assert e["protocolVersion"] == "1.00" and e["xAmzRequestId"]
PY

# ---- Range and partNumber: transformed whole, then sliced, as in Lambda ----
BODY='{"request_id": "5b3e", "cust_id": 321, "qty": 2}'
L=${#BODY}
query() { # QUERY: appends ?QUERY to userRequest.url of $T/ev.json
	"$PY" - "$T/ev.json" "$1" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
e["userRequest"]["url"] += "?" + sys.argv[2]
json.dump(e, open(sys.argv[1], "w"))
PY
}
event "$BASE/$KEY" --range bytes=0-9
serve
expect_eq "Range bytes=0-9: the first 10 transformed bytes" "$RC:$OUT" "0:${BODY:0:10}"
expect_contains "Range: status 206" "$ERR" "status: 206"
expect_contains "Range: Content-Range over the transformed length" "$ERR" \
	"header: Content-Range: bytes 0-9/$L"
event "$BASE/$KEY" --header "rAnGe: bytes=-5"
serve -o "$T/tail.json"
expect_eq "Range header in any case, bytes=-5: the last 5 bytes to -o" \
	"$RC:$(cat "$T/tail.json")" "0:${BODY: -5}"
expect_contains "bytes=-5: Content-Range" "$ERR" "header: Content-Range: bytes $((L - 5))-$((L - 1))/$L"
event "$BASE/$KEY" --range "bytes=10-"
serve
expect_eq "Range bytes=10-: to the end" "$OUT" "${BODY:10}"
event "$BASE/$KEY" --range "bytes=$L-"
serve -o "$T/none.json"
expect_eq "Range past the end: exit 5, nothing written" "$RC:$OUT" "5:"
expect_contains "Range past the end: 416 InvalidRange" "$ERR" "status: 416 InvalidRange"
expect_contains "Range past the end: the length named" "$ERR" "not satisfiable for the transformed object of $L bytes"
expect_absent "Range past the end: no output file" "$T/none.json"
event "$BASE/$KEY" --range "bytes=-0"
serve
expect_contains "bytes=-0: 416 InvalidRange" "$ERR" "status: 416 InvalidRange"
event "$BASE/$KEY" --header "Range: bytes=5-2"
serve
expect_eq "malformed Range (a > b) ignored: the whole object" "$RC:$OUT" "0:$BODY"
expect_contains "malformed Range: status 200" "$ERR" "status: 200"
event "$BASE/$KEY" --header "Range: items=0-1"
serve
expect_eq "Range in another unit ignored" "$RC:$OUT" "0:$BODY"
event "$BASE/$KEY"
query "Range=bytes%3D2-4"
serve
expect_eq "Range as a query parameter" "$RC:$OUT" "0:${BODY:2:3}"
event "$BASE/$KEY" --part-number 1
"$PY" -c 'import json, sys; u = json.load(open(sys.argv[1]))["userRequest"]["url"]
assert u.endswith("?partNumber=1"), u' "$T/ev.json" &&
	ok "make-event --part-number: ?partNumber= in userRequest.url" ||
	not_ok "make-event --part-number" "$(cat "$T/ev.json")"
serve
expect_eq "partNumber=1: the whole (one-part) object" "$RC:$OUT" "0:$BODY"
expect_contains "partNumber=1: 206 with Content-Range" "$ERR" "header: Content-Range: bytes 0-$((L - 1))/$L"
expect_contains "partNumber=1: the part count" "$ERR" "header: x-amz-mp-parts-count: 1"
event "$BASE/$KEY" --part-number 2
serve
expect_eq "partNumber past the last part: exit 5, no body" "$RC:$OUT" "5:"
expect_contains "partNumber past the last part: 416 InvalidPartNumber" "$ERR" "status: 416 InvalidPartNumber"
event "$BASE/$KEY"
query "partNumber=x"
serve
expect_contains "partNumber not a number: 400 InvalidArgument" "$ERR" "status: 400 InvalidArgument"
event "$BASE/store_events/missing.json" --range bytes=0-1 --part-number 1
serve
expect_eq "Range and partNumber: exit 5, before the object is read" "$RC" 5
expect_contains "Range and partNumber: 400 InvalidRequest" "$ERR" "status: 400 InvalidRequest"
: >"$T/bucket/store_events/empty.json"
"$RT" --make-event --access-point lambda-consumer --url "$BASE/store_events/empty.json" \
	--key store_events/empty.json --range bytes=0-0 -o "$T/ev.json"
serve
expect_contains "any Range of an empty object: 416" "$ERR" "status: 416 InvalidRange"

# an object over the 8 MiB kept in memory is sliced from the spool file
"$PY" -c 'import sys
for i in range(150000): sys.stdout.write("{\"request_id\": \"r%d\", \"price\": %d, \"pad\": \"%s\"}\n" % (i, i, "x" * 40))' \
	>"$T/bucket/store_events/big.ndjson"
"$RT" --make-event --access-point lambda-consumer --file "$T/bucket/store_events/big.ndjson" \
	--key store_events/big.ndjson -o "$T/ev.json"
serve -o "$T/big.whole"
"$RT" --make-event --access-point lambda-consumer --file "$T/bucket/store_events/big.ndjson" \
	--key store_events/big.ndjson --range "bytes=8388000-8390000" -o "$T/ev.json"
serve -o "$T/big.part"
expect_eq "a Range of an object spooled to a file: exit 0" "$RC" 0
expect_contains "a Range of an object spooled to a file: 206 with its Content-Range" "$ERR" \
	"status: 206"
expect_contains "... the Content-Range over the transformed length" "$ERR" \
	"header: Content-Range: bytes 8388000-8390000/$(stat -c %s "$T/big.whole")"
tail -c +8388001 "$T/big.whole" | head -c 2001 >"$T/big.want"
expect_files_eq "a Range of an object spooled to a file: its bytes" "$T/big.part" "$T/big.want"
rm -f "$T"/big.* "$T/bucket/store_events/big.ndjson"

# ---- S3 errors are forwarded with their code, never as a 500 ----
event "$BASE/store_events/missing.json"
serve -o "$T/out.json"
expect_eq "404: exit 6" "$RC" 6
expect_contains "404 NoSuchKey forwarded" "$ERR" "status: 404 NoSuchKey: The specified key does not exist."
expect_absent "404: no output file" "$T/out.json"
event "$BASE/_403/$KEY"
serve
expect_contains "403 AccessDenied forwarded" "$ERR" "status: 403 AccessDenied: Access Denied"
event "$BASE/_500/$KEY"
serve
expect_contains "500 without XML gets a code from its status" "$ERR" "status: 500 InternalError"

# ---- secrets never printed ----
event "$BASE/store_events/missing.json?X-Amz-Signature=SECRETSIG&X-Amz-Security-Token=SECRETTOKEN"
serve
if [[ $ERR == *SECRET* ]]; then not_ok "presigned query redacted" "$ERR"; else ok "presigned query redacted"; fi
expect_contains "redacted URL shown" "$ERR" "missing.json?<redacted>"

# ---- the source breaks half-way: error, and no output presented ----
event "$BASE/_close/$KEY"
serve -o "$T/half.json"
expect_eq "broken source: exit 6" "$RC" 6
expect_absent "broken source: no output file" "$T/half.json"
# ... and broken at the end of a record: the records read are whole and
# valid, the object is not: still a source error, never a success
mkdir -p "$T/bucket/store_events/cut"
printf '{"a":1,"price":5}\n{"b":2,"price":7}\n' >"$T/bucket/store_events/cut/o.ndjson" # half: line 1
"$RT" --make-event --access-point lambda-consumer --url "$BASE/_close/store_events/cut/o.ndjson" \
	--key store_events/cut/o.ndjson \
	-o "$T/ev.json"
serve -o "$T/half.json"
expect_eq "source broken at a record's end: exit 6, no output file" \
	"$RC:$(test -e "$T/half.json" && echo written)" "6:"
expect_contains "  ... says the transfer was cut" "$ERR" "partial"

# ---- signed headers of the presigned URL are replayed ----
SIGNED="$BASE/$KEY?X-Amz-SignedHeaders=host%3Bx-amz-checksum-mode&X-Amz-Signature=S"
event "$SIGNED" --header "X-Amz-Checksum-Mode: ENABLED"
serve
expect_eq "signed header replayed: 200" "$RC:$OUT" '0:{"request_id": "5b3e", "cust_id": 321, "qty": 2}'
event "$SIGNED"
serve
expect_contains "signed header missing: S3's 403 forwarded" "$ERR" "status: 403 SignatureDoesNotMatch"

# ---- access point and key checks ----
"$RT" --make-event --access-point nobody --url "$BASE/$KEY" --key "$KEY" -o "$T/ev.json"
serve
expect_eq "event for an access point without policy: exit 4" "$RC" 4
expect_contains "refused with AccessDenied" "$ERR" "status: 403 AccessDenied"
"$RT" --make-event --access-point lambda-consumer --url "$BASE/$KEY" --key "private/x.json" -o "$T/ev.json"
serve
expect_eq "key outside the prefixes: exit 4" "$RC" 4
expect_contains "key outside the prefixes named" "$ERR" "key 'private/x.json' is outside the prefixes"
"$RT" --make-event --access-point elsewhere --payload '{"policy":"lambda-consumer"}' \
	--url "$BASE/$KEY" --key "$KEY" -o "$T/ev.json"
serve
expect_eq "payload names the policy" "$RC:$OUT" '0:{"request_id": "5b3e", "cust_id": 321, "qty": 2}'

# ---- file:// objects ----
"$RT" --make-event --access-point lambda-consumer --file "$T/bucket/$KEY" --key "$KEY" -o "$T/ev.json"
serve
expect_eq "file:// object" "$OUT" '{"request_id": "5b3e", "cust_id": 321, "qty": 2}'
# a file name holding a space, '%', '?' and '#' is percent-encoded in the URL
mkdir -p "$T/odd dir"
cp "$T/bucket/$KEY" "$T/odd dir/a%20b?c#d.json"
"$RT" --make-event --access-point lambda-consumer --file "$T/odd dir/a%20b?c#d.json" \
	--key "$KEY" -o "$T/ev.json"
expect_contains "make-event: the file URL is percent-encoded" "$(cat "$T/ev.json")" \
	'odd%20dir/a%2520b%3Fc%23d.json"'
serve
expect_eq "file:// object with an odd name" "$RC:$OUT" \
	'0:{"request_id": "5b3e", "cust_id": 321, "qty": 2}'
# a pipe has no end a time limit could bound: refused, not waited on
mkfifo "$T/fifo"
"$RT" --make-event --access-point lambda-consumer --url "file://$T/fifo" --key "$KEY" -o "$T/ev.json"
run timeout 20 "$RT" --event "$T/ev.json" --policy "$POL" --plugins "$PLUGINS"
expect_eq "file:// naming a FIFO: exit 6 at once, no output" "$RC:$OUT" "6:"
expect_contains "file:// naming a FIFO: says why" "$ERR" "not a regular file"
run "$RT" --make-event --access-point lambda-consumer --file "$T/odd dir/a%20b?c#d.json"
expect_eq "make-event: a key from --file holding '?': exit 2" "$RC" 2
expect_contains "make-event: ... names --key as the way out" "$ERR" "(name the key with --key)"
run "$RT" --make-event --access-point lambda-consumer --url "$BASE/k" --key 'k?x=1'
expect_eq "make-event: --key holding '?': exit 2, not cut" "$RC" 2
run "$RT" --make-event --access-point lambda-consumer --url "$BASE/k" --range bytes=0-1 \
	--header 'range: bytes=1-2'
expect_contains "make-event: --header range beside --range refused" "$RC:$ERR" \
	"2:runtime: --header range: the event already has it (from --range)"
# a header name no request could carry: refused, and never printed (it
# may be a credential pasted in the wrong place)
run "$RT" --make-event --access-point lambda-consumer --url "$BASE/k" \
	--header 'Authorization=AWS4 Credential=AKIDSECRET,Signature=abc: x'
expect_eq "make-event: a --header name with spaces and '=': exit 2, no event" "$RC:$OUT" "2:"
expect_contains "  ... says why" "$ERR" "is not an HTTP header name"
[[ $ERR == *AKIDSECRET* ]] && not_ok "  ... without echoing it" "$ERR" || ok "  ... without echoing it"
run "$RT" --make-event --access-point lambda-consumer --url "$BASE/k" --header $'X-A\x01b: v'
expect_eq "make-event: a control byte in a --header name: exit 2" "$RC:$OUT" "2:"
# event mode reads regular files only: a directory or FIFO is refused here
for f in "$T" "$T/fifo"; do
	run "$RT" --make-event --access-point lambda-consumer --file "$f"
	expect_eq "make-event --file ${f#"$T"}: not a regular file, exit 2" "$RC:$ERR" \
		"2:runtime: --file $f: not a regular file"
done
# what would make an event that tests nothing: refused, exit 2
for bad in "--url $BASE" "--url $BASE/" "--url ${BASE#http://}/k" "--file /" \
	"--url $BASE/k --range 0-5" "--url $BASE/k --range bytes=abc" \
	"--url $BASE/k --range bytes=5-1" "--url $BASE/k --range bytes=0-1,2-3" \
	"--url $BASE/k --part-number -1" \
	"--url $BASE/k --part-number 1x" "--url $BASE/k --part-number 12345678901"; do
	# shellcheck disable=SC2086 # the words are the arguments
	run "$RT" --make-event --access-point lambda-consumer $bad
	expect_eq "make-event $bad: exit 2, no event" "$RC:$OUT" "2:"
	case $bad in
	*--range*) want="wants one bytes=A-B (A <= B), bytes=A- or bytes=-N" ;;
	*--part-number*) want="wants a whole number of at most 10 digits" ;;
	*/k) want="not an http://, https:// or file:// URL" ;;
	*) want="the object would have an empty key (name it with --key)" ;;
	esac
	expect_contains "  ... says why" "$ERR" "$want"
done
run "$RT" --make-event --access-point lambda-consumer --url "$BASE/k" --header 'If-Match: a' \
	--header 'if-match: b'
expect_contains "make-event: a header given twice refused" "$RC:$ERR" \
	"2:runtime: --header if-match given twice"

# ---- every failure says the status the caller would get; record errors
# name the object ----
printf '{"a": 1, "price": 2}\n{"a": \n' >"$T/bucket/store_events/bad.ndjson"
"$RT" --make-event --access-point lambda-consumer --url "$BASE/store_events/bad.ndjson" \
	--key store_events/bad.ndjson -o "$T/ev.json"
serve
expect_eq "bad record: exit 7" "$RC" 7
expect_contains "bad record: the object's key named" "$ERR" \
	"runtime: store_events/bad.ndjson: record 2 (line 2): invalid JSON"
expect_contains "bad record: status line" "$ERR" "status: 500 InvalidObjectFormat"
# the whole object bound for a file is written straight into it: a bad
# record leaves the file that was there, and no temporary file
printf 'before\n' >"$T/bad.out"
serve -o "$T/bad.out"
expect_eq "bad record, -o FILE: exit 7, the old file kept" "$RC:$(cat "$T/bad.out")" "7:before"
expect_eq "bad record, -o FILE: no temporary file left" "$(find "$T" -maxdepth 1 -name '.bad.out.tmp-*')" ""
printf '{"a": 1, "price": 2}\n{"b": 2}\n' >"$T/bucket/store_events/bad.ndjson"
serve -o "$T/bad.out"
expect_eq "good object, -o FILE: exit 0, the new body" "$RC:$(cat "$T/bad.out")" \
	"0:$(printf '{"a": 1}\n{"b": 2}')"
expect_contains "good object, -o FILE: status 200" "$ERR" "status: 200"
printf '{"a": 1, "price": 2}\n{"a": \n' >"$T/bucket/store_events/bad.ndjson"
cat >"$T/strict.cfg" <<'CFG'
access_points = ( { name = "lambda-consumer"; error_status = 409;
  chain = ( { plugin = "drop_fields"; paths = [ "price" ]; } ); } );
CFG
run "$RT" --event "$T/ev.json" --policy "$T/strict.cfg" --plugins "$PLUGINS"
expect_contains "bad record: the access point's error_status, as in Lambda" "$ERR" \
	"status: 409 InvalidObjectFormat"
run "$RT" --event "$T/ev.json" --policy "$T/no-such-policy.cfg" --plugins "$PLUGINS"
expect_eq "policy load failure: exit 3" "$RC" 3
expect_contains "policy load failure: status line" "$ERR" "status: 500 PolicyUnavailable"
expect_contains "policy load failure: the problem" "$ERR" "no-such-policy.cfg"
printf '{"getObjectContext": ' >"$T/ev.json"
serve
expect_contains "truncated event: status line" "$ERR" "status: 500 InvalidEvent"
run "$RT" --event "$T/none.json" --policy "$POL" --plugins "$PLUGINS"
expect_contains "missing event file: status line" "$ERR" "status: 500 InvalidEvent"
# an event that cannot be read says why, and stdin ("-") is named stdin
run "$RT" --event "$T" --policy "$POL" --plugins "$PLUGINS"
expect_eq "event that is a directory: exit 5, the reason" "$RC:$(printf '%s\n' "$ERR" | tail -n 1)" \
	"5:runtime: $T: read failed: Is a directory"
run "$RT" --event - --policy "$POL" --plugins "$PLUGINS" <"$T"
expect_eq "event on stdin that cannot be read: named stdin" "$RC:$(printf '%s\n' "$ERR" | tail -n 1)" \
	"5:runtime: stdin: read failed: Is a directory"

# ---- where the transformed object cannot go: exit 9 and the reason,
# never a short body with exit 0 ----
event "$BASE/$KEY"
"$RT" --event "$T/ev.json" --policy "$POL" --plugins "$PLUGINS" >/dev/full 2>"$T/stderr" &&
	RC=0 || RC=$?
expect_eq "stdout on /dev/full: exit 9" "$RC" 9
expect_contains "stdout on /dev/full: said" "$(cat "$T/stderr")" "stdout: write failed: No space left on device"
# past 8 MiB the object waits in a spool file; one that cannot grow (a
# file size limit here, a full disk in Lambda) fails the GET
"$PY" -c '
import sys
line = "{\"request_id\": \"%06d\", \"price\": 1.5, \"pad\": \"" + "x" * 80 + "\"}\n"
sys.stdout.write("".join(line % i for i in range(100000)))' >"$T/bucket/store_events/big.ndjson"
"$RT" --make-event --access-point lambda-consumer --url "$BASE/store_events/big.ndjson" \
	--key store_events/big.ndjson -o "$T/ev.json"
run bash -c 'trap "" XFSZ; ulimit -f 9216; exec "$@"' spool-limit \
	"$RT" --event "$T/ev.json" --policy "$POL" --plugins "$PLUGINS"
expect_eq "spool file that cannot grow: exit 9, nothing on stdout" "$RC:${#OUT}" "9:0"
expect_contains "spool file that cannot grow: said" "$ERR" \
	"spool file write failed (is the temporary directory full?): File too large"
run "$RT" --event "$T/ev.json" --policy "$POL" --plugins "$PLUGINS"
expect_eq "the same object without the limit: exit 0, every record" \
	"$RC:$(printf '%s\n' "$OUT" | wc -l)" "0:100000"
# written straight into an output file that cannot grow: no file at all
run bash -c 'trap "" XFSZ; ulimit -f 4096; exec "$@"' out-limit \
	"$RT" --event "$T/ev.json" --policy "$POL" --plugins "$PLUGINS" -o "$T/big.out"
expect_eq "-o FILE that cannot grow: exit 9, no file" \
	"$RC:$(find "$T" -maxdepth 1 -name '*big.out*' | wc -l)" "9:0"
expect_contains "-o FILE that cannot grow: said" "$ERR" "big.out: write failed: File too large"
rm -f "$T/bucket/store_events/big.ndjson"

# ---- bad events: exit 5, the field named ----
printf '{"getObjectContext": {"outputRoute": "r", "outputToken": "t"}}' >"$T/ev.json"
serve
expect_eq "event without inputS3Url: exit 5" "$RC" 5
expect_contains "event without inputS3Url: field named" "$ERR" "inputS3Url is missing"
printf '{"getObjectContext": ' >"$T/ev.json"
serve
expect_eq "truncated event: exit 5" "$RC" 5
printf '{"userRequest": {}}' >"$T/ev.json"
serve
expect_contains "event with no context" "$ERR" "getObjectContext is missing"
run "$RT" --event "$T/none.json" --policy "$POL" --plugins "$PLUGINS"
expect_eq "missing event file: exit 5" "$RC" 5

finish
