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
