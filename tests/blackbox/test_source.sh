#!/usr/bin/env bash
# Black-box tests of how `runtime --event` reads the object (runtime/source.c):
# the presigned URL goes out byte for byte, only the headers S3 may see are
# replayed, a source answer other than 200 is never taken for the object,
# file:// URLs are parsed as RFC 8089 says, secrets stay out of what is
# printed, and a source that trickles cannot keep the runtime forever. The
# object server listens on 127.0.0.1 and logs every request it gets.
source "$(dirname "$0")/lib.sh"
POL="$T/pol.cfg"
cat >"$POL" <<'CFG'
access_points = (
  { name = "pre"; prefixes = [ "store_events/" ]; format = "auto";
    chain = ( { plugin = "drop_fields"; paths = [ "p" ]; } ); }
);
CFG
mkdir -p "$T/bucket/store_events" "$T/bucket/other"
# three records of 18 bytes each: bytes 0-35 are the first two
printf '{"n": 1, "p": 10}\n{"n": 2, "p": 20}\n{"n": 3, "p": 30}\n' >"$T/bucket/store_events/k.json"
WANT=$'{"n": 1}\n{"n": 2}\n{"n": 3}'
printf '{"secret": "other"}\n' >"$T/bucket/other/x.json"
LOG="$T/requests.log"
start_object_server "$T/bucket" --log "$LOG" || { not_ok "object server" "did not start"; finish; exit 1; }
BASE="http://127.0.0.1:$OBJ_PORT"

event() { # URL [extra make-event args...] -> $T/ev.json
	local url=$1; shift
	"$RT" --make-event --access-point pre --url "$url" "$@" -o "$T/ev.json"
}
serve() { run timeout 60 "$RT" --event "$T/ev.json" --policy "$POL" --plugins "$PLUGINS" "$@"; }
# last_request FIELD: the request target, or one header (lower-case name)
# of the last request the object server got ("-" when absent)
last_request() {
	"$PY" - "$LOG" "$1" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
e = json.loads(lines[-1]) if lines else {}
f = sys.argv[2]
print(e.get("target", "-") if f == "target" else e.get("headers", {}).get(f, "-"))
PY
}

# ---- the presigned URL is sent byte for byte: no dot segments removed ----
event "$BASE/store_events/../other/x.json?X-Amz-Signature=S"
serve
expect_eq "dot segments: the path as signed reaches the source" "$(last_request target)" \
	"/store_events/../other/x.json?X-Amz-Signature=S"
if [[ $OUT == *secret* ]]; then not_ok "dot segments: no object outside the prefixes" "$OUT"
else ok "dot segments: no object outside the prefixes"; fi
expect_eq "dot segments: S3's answer for the literal key (404), exit 6" "$RC" 6

# ---- never Range, partNumber or Authorization, even when signed ----
# (a URL that signed one of them cannot be used without it: the server,
# like S3, refuses it, so the caller gets an error, never a part as 200)
event "$BASE/store_events/k.json?X-Amz-SignedHeaders=host%3Brange&X-Amz-Signature=S" --range bytes=0-35
serve
expect_eq "signed range: not replayed" "$(last_request range)" "-"
expect_eq "signed range: S3's refusal, exit 6, nothing on stdout" "$RC:$OUT" "6:"
expect_contains "signed range: S3's 403 forwarded" "$ERR" "status: 403 SignatureDoesNotMatch"
event "$BASE/store_events/k.json?X-Amz-SignedHeaders=host%3Bauthorization%3Bpartnumber%3Bif-match&X-Amz-Signature=S" \
	--header "Authorization: AWS4-HMAC-SHA256 Credential=SECRETCRED" --header "partNumber: 2" \
	--header "If-Match: *"
serve
expect_eq "signed authorization: not replayed" "$(last_request authorization)" "-"
expect_eq "signed partNumber: not replayed" "$(last_request partnumber)" "-"
expect_eq "signed If-Match * still replayed" "$(last_request if-match)" '*'
expect_eq "signed authorization and partNumber: S3's refusal, exit 6" "$RC:$OUT" "6:"
event "$BASE/store_events/k.json?X-Amz-SignedHeaders=host%3Bif-match&X-Amz-Signature=S" --range bytes=0-35 \
	--header "If-Match: *"
serve
expect_eq "unsigned range: not sent" "$(last_request range)" "-"
expect_eq "unsigned range: the transformed object, exit 0" "$RC:$OUT" "0:$WANT"
expect_contains "unsigned range: applied to the transformed object" "$ERR" "Content-Range: bytes 0-26/27"
# an If-* header the URL signed goes out once: sent again as a conditional
# header, S3 signs both values joined with "," and refuses the request
event "$BASE/store_events/k.json?X-Amz-SignedHeaders=host%3Bif-none-match&X-Amz-Signature=S" \
	--header "if-NONE-match: *"
serve
expect_eq "signed If-None-Match: sent once" "$(last_request if-none-match)" '*'
expect_contains "signed If-None-Match: the source's 304, not a 403" "$ERR" $'status: 304\n'

# ---- an entity tag in If-Match or If-None-Match is answered for the view,
# which has none, and never sent: the source would compare it with the
# stored bytes' ETag (for one PUT their MD5), and its 412 or 304 would
# confirm a guess at what the view leaves out ----
n0=$(wc -l <"$LOG")
event "$BASE/store_events/k.json" --key store_events/k.json --header 'If-Match: "0123456789abcdef"'
serve -o "$T/out.json"
expect_eq "If-Match with a tag, even the stored one: 412, exit 6, nothing read" \
	"$RC:$(grep '^status: ' <<<"$ERR"):$(($(wc -l <"$LOG") - n0))" \
	"6:status: 412 PreconditionFailed: If-Match names an entity tag; the transformed view has none:0"
expect_absent "If-Match with a tag: no output file" "$T/out.json"
event "$BASE/store_events/k.json" --key store_events/k.json --header 'If-None-Match: "0123456789abcdef"' \
	--header 'If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT'
serve
expect_eq "If-None-Match with the stored tag: the view, 200, neither it nor If-Modified-Since sent" \
	"$RC:$(last_request if-none-match):$(last_request if-modified-since):$OUT" "0:-:-:$WANT"
event "$BASE/store_events/k.json?X-Amz-SignedHeaders=host%3Bif-none-match&X-Amz-Signature=S" \
	--header 'If-None-Match: "0123456789abcdef"'
serve
expect_eq "a signed If-None-Match with a tag: not sent, S3's 403 whatever the tag" \
	"$RC:$(last_request if-none-match):$(grep -c 'status: 403 SignatureDoesNotMatch' <<<"$ERR")" "6:-:1"

# ---- a source status other than 200 is a source error: fail closed ----
event "$BASE/_206/store_events/k.json" --key store_events/k.json
serve -o "$T/out.json"
expect_eq "source answered 206: exit 6" "$RC" 6
expect_absent "source answered 206: no output file" "$T/out.json"
expect_contains "source answered 206: said so" "$ERR" "source answered 206"
expect_contains "source answered 206: 503 SourceUnavailable" "$ERR" "status: 503 SourceUnavailable"
event "$BASE/_206/store_events/k.json" --key store_events/k.json
serve
expect_eq "source answered 206, stdout: nothing of the partial body" "$RC:$OUT" "6:"
event "$BASE/_204/store_events/k.json" --key store_events/k.json
serve -o "$T/out.json"
expect_eq "source answered 204: exit 6" "$RC" 6
expect_absent "source answered 204: no (empty) output file" "$T/out.json"
expect_contains "source answered 204: said so, no S3 code made up for it" "$ERR" \
	"source answered 204, not 200: not taken for the whole object"

# ---- a caller's header value holding CR/LF or another control byte is
# never replayed: it would add header lines to the request ----
event "$BASE/store_events/k.json?X-Amz-SignedHeaders=host%3Bx-amz-meta-a&X-Amz-Signature=S" \
	--key store_events/k.json --header $'If-Modified-Since: Sat\r\nX-Injected: evil' \
	--header $'x-amz-meta-a: a\nRange: bytes=0-1' --header $'If-Unmodified-Since: Sat\x01'
serve
expect_eq "CR/LF in an If-* value: no header injected" "$(last_request x-injected)" "-"
expect_eq "CR/LF in an If-* value: the header not sent" "$(last_request if-modified-since)" "-"
expect_eq "LF in a signed header's value: not sent, no Range injected" \
	"$(last_request x-amz-meta-a):$(last_request range)" "-:-"
expect_eq "a control byte in an If-* value: not sent" "$(last_request if-unmodified-since)" "-"
expect_contains "a signed header not sent: S3 refuses the signature, as it would" "$RC:$ERR" \
	"6:status: 403 SignatureDoesNotMatch"

# ---- a 200 must say where its body ends ----
# unframed WHAT PATH [WHY]: a 200 from PATH whose body's end is unknown
# fails, exit 6, no output file, 503 SourceUnavailable, saying why
unframed() {
	event "$BASE/$2" --key "${2#_*/}"
	serve -o "$T/out.json"
	expect_eq "$1: exit 6, no output file" "$RC:$([ -e "$T/out.json" ] && echo file)" "6:"
	expect_contains "$1: said why" "$ERR" \
		"source answered 200 ${3:-without one Content-Length or chunked framing}: "
	expect_contains "$1: 503 SourceUnavailable" "$ERR" "status: 503 SourceUnavailable"
	rm -f "$T/out.json"
}
unframed "200 without Content-Length, cut" _noclen/store_events/k.json
# two Content-Length values: libcurl would take the last and cut the body
unframed "200 with two Content-Length values" _twoclen/store_events/k.json
# both: libcurl would read the chunks, half of what the length says
unframed "200 with Content-Length and chunked framing" _clchunk/store_events/k.json \
	"with both Content-Length and chunked framing"
event "$BASE/_chunked/store_events/k.json" --key store_events/k.json
serve
expect_eq "200 in chunked framing: the whole object" "$RC:$OUT" "0:$WANT"
expect_contains "200 in chunked framing: its headers forwarded" "$ERR" "header: Content-Type:"
expect_eq "200 in chunked framing: a trailer after the body is not forwarded as a header" \
	"$(grep -ci 'x-amz-meta-late' <<<"$ERR")" 0
# an empty object says where its body ends too: Content-Length: 0
: >"$T/bucket/store_events/empty.json"
event "$BASE/store_events/empty.json" --key store_events/empty.json
serve -o "$T/empty.out"
expect_eq "an empty object (Content-Length: 0): served, an empty output file" \
	"$RC:$(wc -c <"$T/empty.out" 2>/dev/null)" "0:0"
# ... and a 200 without it, closed before its first byte, is no empty object
unframed "200 without Content-Length, closed before any byte" _noclen/store_events/empty.json

# ---- the status line says what the Lambda GET would answer ----
event "$BASE/store_events/k.json" --key store_events/k.json --header 'If-None-Match: *'
serve -o "$T/out.json"
expect_eq "source answered 304: If-None-Match replayed" "$(last_request if-none-match)" '*'
expect_contains "source answered 304: status 304, no error code" "$ERR" $'status: 304\n'
expect_eq "source answered 304: exit 6 (no body)" "$RC" 6
expect_absent "source answered 304: no output file" "$T/out.json"
event "$BASE/_badcode/store_events/k.json" --key store_events/k.json
serve
expect_contains "source's <Code> that is no S3 code: the status's own code in its place" "$RC:$ERR" \
	"6:status: 403 AccessDenied: Denied"
event "$BASE/_301/store_events/k.json" --key store_events/k.json
serve
expect_contains "source answered 301: 500 as Lambda forwards it (no 3xx but 304 can be), with the source's code" \
	"$ERR" "status: 500 PermanentRedirect: Use the other endpoint."
expect_eq "source answered 301: exit 6" "$RC" 6

# ---- file:// URLs (RFC 8089): query and fragment are no part of the path ----
mkdir -p "$T/x"
cp "$T/bucket/store_events/k.json" "$T/x/good.ndjson"
cp "$T/bucket/store_events/k.json" "$T/x/a b.ndjson"
K=(--key store_events/k.json)
event "file://$T/x/good.ndjson?X-Amz-Signature=SECRETSIG" "${K[@]}"
serve
expect_eq "file:// with a query: the file is read" "$RC:$OUT" "0:$WANT"
event "file://$T/x/missing.ndjson?X-Amz-Signature=SECRETSIG" "${K[@]}"
serve
expect_eq "file:// missing: exit 6" "$RC" 6
if [[ $ERR == *SECRET* ]]; then not_ok "file:// missing: query never printed" "$ERR"
else ok "file:// missing: query never printed"; fi
expect_contains "file:// missing: redacted URL named" "$ERR" "missing.ndjson?<redacted>: cannot open"
event "file://$T/x/good.ndjson#part" "${K[@]}"
serve
expect_eq "file:// with a fragment: the file is read" "$RC:$OUT" "0:$WANT"
event "file://$T/x/missing.ndjson#SECRETFRAG" "${K[@]}"
serve
expect_eq "file:// missing, with a fragment: never printed" "$RC:${ERR//SECRET/}" "6:$ERR"
event "file://$T/x/a%20b.ndjson" "${K[@]}"
serve
expect_eq "file:// percent-decoded (%20)" "$RC:$OUT" "0:$WANT"
event "file://localhost$T/x/good.ndjson" "${K[@]}"
serve
expect_eq "file://localhost/abs/path" "$RC:$OUT" "0:$WANT"
# refused with one clear line, exit 6
for bad in "file://otherhost$T/x/good.ndjson|host" "file://good.ndjson|absolute" \
	"file://$T/x/good%2.ndjson|percent" "file://$T/x/good.ndjson%00.txt|percent"; do
	url=${bad%|*} why=${bad##*|}
	event "$url" "${K[@]}"
	serve
	expect_eq "refused: $url: exit 6, nothing read" "$RC:$OUT" "6:"
	expect_eq "refused: $url: one error line" "$(grep -c '^runtime: ' <<<"$ERR")" 1
	expect_contains "refused: $url: says why" "$(grep '^runtime: ' <<<"$ERR")" "$why"
done

# ---- the source's S3 <Message> is left out when it may quote the
# request's credentials, in any of the ways it may quote them ----
LEFT_OUT="(left out: it may quote the request's credentials)"
event "$BASE/_leak/store_events/k.json?X-Amz-Credential=SECRETCRED%2F20261128&X-Amz-Signature=SECRETSIG&X-Amz-Security-Token=SECRETTOK" "${K[@]}"
serve
expect_eq "S3 message quoting the query: exit 6, the message left out" "$RC:$(grep '^status: ' <<<"$ERR")" \
	"6:status: 403 AccessDenied: $LEFT_OUT"
if [[ $ERR == *SECRET* ]]; then not_ok "S3 message quoting the query: secrets never printed" "$ERR"
else ok "S3 message quoting the query: secrets never printed"; fi
forms=$("$PY" -c 'import sys; sys.path.insert(0, sys.argv[1]); import object_server as o; print(len(o.LEAK_FORMS))' \
	"$HERE/../servers")
for ((i = 0; i < forms; i++)); do
	event "$BASE/_leakform/$i/store_events/k.json?X-Amz-Signature=SECRETSIG$i" "${K[@]}"
	serve
	if ((i + 1 < forms)); then
		expect_eq "S3 message quoting the signature, form $i: left out" \
			"$RC:$(grep '^status: ' <<<"$ERR")" "6:status: 403 AccessDenied: $LEFT_OUT"
	else
		expect_eq "S3 message quoting no credential (form $i): kept" "$RC:$(grep '^status: ' <<<"$ERR")" \
			"6:status: 403 AccessDenied: The request signature we calculated does not match the signature you provided."
	fi
	if [[ $ERR == *SECRET* ]]; then not_ok "S3 message, form $i: the signature never printed" "$ERR"
	else ok "S3 message, form $i: the signature never printed"; fi
done

# ... and one whose references do not decode is left out whole
event "$BASE/_badref/store_events/k.json" "${K[@]}"
serve
expect_eq "S3 message with an unknown reference: exit 6, left out" "$RC:$(grep '^status: ' <<<"$ERR")" \
	"6:status: 403 AccessDenied: (not decodable)"

# ---- the source is not trusted: a terminal escape, BEL or bare CR in a
# header value or an S3 <Message> is printed \xNN, never as it came (a CR
# there could forge a status line) ----
printf '{"n": 1, "p": 10}\n' >"$T/bucket/store_events/ctlmsg.json"
event "$BASE/_ctl/store_events/k.json" "${K[@]}"
serve -o "$T/ctl.out"
expect_contains "a source header value with control bytes: printed \\xNN, on one line" "$ERR" \
	$'\n''header: x-amz-meta-ctl: a\x1b[2Jb\x0dstatus: 200'$'\n'
expect_eq "a source header value with control bytes: the object served" "$RC" 0
event "$BASE/_ctl/store_events/ctlmsg.json" --key store_events/ctlmsg.json
serve
expect_contains "an S3 <Message> with control bytes: the status line prints them \\xNN" "$RC:$ERR" \
	'6:status: 403 AccessDenied: Denied\x1b[2J\x07 here'$'\n'
case $ERR in *$'\e'* | *$'\a'* | *$'\r'*) not_ok "no raw control byte of the source on stderr" "$(printf %q "$ERR")" ;;
*) ok "no raw control byte of the source on stderr" ;; esac

# ---- event mode: a fetch has an overall limit (INFLIGHT_SOURCE_TIMEOUT) ----
# 400 bytes at 2 bytes a second: 200 s, cut by the server at 60 s
for i in $(seq 1 20); do printf '{"n": %d, "p": 10}\n' $((i + 100)); done >"$T/bucket/store_events/slow.json"
event "$BASE/_trickle/store_events/slow.json" --key store_events/slow.json
# the runtime gives up itself (exit 6, the limit named), before `timeout`
# would kill it (124) and long before the server's 200 s
run env INFLIGHT_SOURCE_TIMEOUT=2 timeout 30 "$RT" --event "$T/ev.json" --policy "$POL" --plugins "$PLUGINS" -o "$T/slow.out"
expect_eq "trickling source, INFLIGHT_SOURCE_TIMEOUT=2: exit 6" "$RC" 6
expect_contains "trickling source: the limit named" "$ERR" "not done within 2 s (INFLIGHT_SOURCE_TIMEOUT)"
expect_absent "trickling source: no output file" "$T/slow.out"
event "$BASE/store_events/k.json"
for bad in abc 0 -5 10x 1.5 99999999999999999999 86401; do
	run env INFLIGHT_SOURCE_TIMEOUT="$bad" timeout 60 "$RT" --event "$T/ev.json" --policy "$POL" --plugins "$PLUGINS"
	expect_eq "INFLIGHT_SOURCE_TIMEOUT=$bad: refused, exit 2, nothing read" "$RC:$OUT" "2:"
	expect_contains "INFLIGHT_SOURCE_TIMEOUT=$bad: named" "$ERR" "INFLIGHT_SOURCE_TIMEOUT"
done
run env INFLIGHT_SOURCE_TIMEOUT=30 timeout 60 "$RT" --event "$T/ev.json" --policy "$POL" --plugins "$PLUGINS"
expect_eq "INFLIGHT_SOURCE_TIMEOUT=30: the object" "$RC:$OUT" "0:$WANT"
# refused before anything is read, as README says: also for a file://
# object (never fetched over http) and a key the access point refuses
printf '{"n": 1}\n' >"$T/local.json"
"$RT" --make-event --access-point pre --file "$T/local.json" \
	--key store_events/local.json -o "$T/ev-file.json"
"$RT" --make-event --access-point pre --file "$T/local.json" \
	--key elsewhere/local.json -o "$T/ev-denied.json"
for ev in ev-file ev-denied; do
	run env INFLIGHT_SOURCE_TIMEOUT=1.5 "$RT" --event "$T/$ev.json" --policy "$POL" --plugins "$PLUGINS"
	expect_eq "INFLIGHT_SOURCE_TIMEOUT=1.5, $ev: exit 2, nothing written" "$RC:$OUT" "2:"
	expect_eq "INFLIGHT_SOURCE_TIMEOUT=1.5, $ev: one line naming it, no status" \
		"$ERR" "runtime: INFLIGHT_SOURCE_TIMEOUT='1.5' is not whole seconds from 1 to 86400"
done

finish
