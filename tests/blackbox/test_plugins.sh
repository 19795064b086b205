#!/usr/bin/env bash
# Black-box tests of the policy plugin suite through the real runtime:
# every mask_fields op, enrich, filter_records and every condition op on
# the three framings (ndjson, array, a pretty-printed document), `when`
# on each plugin, a chain of all five plugins, the shipped example
# policies and their self-tests, HMAC pseudonyms against Python's hmac
# and `openssl dgst`, and each refused policy with its file:line message.
source "$(dirname "$0")/lib.sh"
PL=(--plugins "$PLUGINS")

# pol NAME: writes stdin to $T/NAME.cfg.
pol() { cat >"$T/$1.cfg"; }

# ap_policy NAME STEPS: a policy NAME.cfg, access point NAME, format auto.
ap_policy() {
	printf 'access_points = ( { name = "%s"; chain = (\n%s\n); } );\n' "$1" "$2" >"$T/$1.cfg"
}

# frames NAME REC1 WANT1 REC2 WANT2: runs access point NAME (policy
# $T/NAME.cfg) over the two records as ndjson, as an array, and REC1 as a
# pretty document ("{" then a line break). An empty WANT: dropped.
frames() {
	local n=$1 r1=$2 w1=$3 r2=$4 w2=$5 want
	printf '%s\n%s\n' "$r1" "$r2" >"$T/in.ndjson"
	want=""
	[ -n "$w1" ] && want+="$w1"$'\n'
	[ -n "$w2" ] && want+="$w2"$'\n'
	run "$RT" --policy "$T/$n.cfg" "${PL[@]}" --access-point "$n" "$T/in.ndjson"
	expect_eq "$n: ndjson" "$RC:$OUT" "0:$(printf '%s' "$want")"
	printf '[%s,%s]' "$r1" "$r2" >"$T/in.json"
	want="$w1"
	[ -n "$w1" ] && [ -n "$w2" ] && want+=","
	want+="$w2"
	run "$RT" --policy "$T/$n.cfg" "${PL[@]}" --access-point "$n" "$T/in.json"
	expect_eq "$n: array" "$RC:$OUT" "0:[$want]"
	printf '{\n%s' "${r1#\{}" >"$T/in.doc"
	want=""
	[ -n "$w1" ] && want=$(printf '{\n%s' "${w1#\{}")
	run "$RT" --policy "$T/$n.cfg" "${PL[@]}" --access-point "$n" "$T/in.doc"
	expect_eq "$n: document" "$RC:$OUT" "0:$want"
}

# fails NAME REC WANT-IN-STDERR: the record fails the object (exit 8, no
# output) on each framing.
fails() {
	local n=$1
	printf '%s\n' "$2" >"$T/in.ndjson"
	printf '[%s]' "$2" >"$T/in.json"
	printf '{\n%s' "${2#\{}" >"$T/in.doc"
	for f in ndjson json doc; do
		run "$RT" --policy "$T/$n.cfg" "${PL[@]}" --access-point "$n" "$T/in.$f"
		expect_eq "$n: fails on .$f" "$RC:$OUT" "8:"
		expect_contains "$n: message on .$f" "$ERR" "$3"
	done
}

# refused NAME WANT...: --check-policy on $T/NAME.cfg exits 3 and stderr
# holds every WANT.
refused() {
	local n=$1 w
	shift
	run "$RT" "${PL[@]}" --check-policy "$T/$n.cfg"
	expect_eq "refused $n: exit 3" "$RC" 3
	for w in "$@"; do expect_contains "refused $n: message" "$ERR" "$w"; done
}

hmac_py() { "$PY" -c 'import hmac,hashlib,sys; print(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).hexdigest())' "$1" "$2"; }
sha_py() { "$PY" -c 'import hashlib,sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest())' "$1"; }

# ---- mask_fields: every op, on every JSON type ----
ap_policy redact '{ plugin = "mask_fields"; paths = [ "v", "o" ]; op = "redact"; }'
frames redact '{"v": "4111 1111", "o": {"a": [1]}, "k": 1}' '{"v": "****", "o": "****", "k": 1}' \
	'{"v": [true, null], "w": 2.5}' '{"v": "****", "w": 2.5}'
ap_policy nullop '{ plugin = "mask_fields"; paths = [ "v" ]; op = "null"; }'
frames nullop '{"v": {"x": 1}}' '{"v": null}' '{"v": "caf\u00e9"}' '{"v": null}'
ap_policy partial '{ plugin = "mask_fields"; paths = [ "v" ]; op = "partial"; keep_first = 1; keep_last = 2; char = "•"; }'
frames partial '{"v": "Jürgen Müller"}' '{"v": "J••••••••••er"}' \
	'{"v": 4111111111111111, "w": "\u00fc\u00fcxyz"}' '{"v": "4•••••••••••••11", "w": "\u00fc\u00fcxyz"}'
fails partial '{"v": true}' "op 'partial' cannot mask a boolean at member \"v\""
ap_policy charclass '{ plugin = "mask_fields"; paths = [ "v" ]; op = "char_class"; }'
frames charclass '{"v": "AB-12 \u00e9t\u00e9!"}' '{"v": "XX-nn xxx!"}' '{"v": 123.45}' '{"v": "nnn.nn"}'
fails charclass '{"v": {"a": 1}}' "op 'char_class' cannot mask an object"
ap_policy hash '{ plugin = "mask_fields"; paths = [ "v" ]; op = "hash"; salt = "pepper"; }'
frames hash '{"v": "caf\u00e9"}' "{\"v\": \"$(sha_py "peppercafé")\"}" \
	'{"v": 12.50}' "{\"v\": \"$(sha_py "pepper12.50")\"}"
fails hash '{"v": [1]}' "op 'hash' cannot mask an array"
export INFLIGHT_TEST_HMAC_KEY="bb-key-ü"
ap_policy hmac '{ plugin = "mask_fields"; paths = [ "v" ]; op = "hmac"; key_env = "INFLIGHT_TEST_HMAC_KEY"; prefix = "tok:"; }'
frames hmac '{"v": 512}' "{\"v\": \"tok:$(hmac_py "$INFLIGHT_TEST_HMAC_KEY" 512)\"}" \
	'{"v": "a\"b\u00e9"}' "{\"v\": \"tok:$(hmac_py "$INFLIGHT_TEST_HMAC_KEY" 'a"bé')\"}"
ap_policy round '{ plugin = "mask_fields"; paths = [ "v" ]; op = "round"; digits = 1; }'
frames round '{"v": 12.345, "w": 1.99}' '{"v": 12.3, "w": 1.99}' '{"v": -0.04}' '{"v": 0.0}'
ap_policy roundstep '{ plugin = "mask_fields"; paths = [ "v" ]; op = "round"; step = 5; }'
frames roundstep '{"v": 12}' '{"v": 10}' '{"v": 13.1}' '{"v": 15}'
fails round '{"v": "12.3"}' "op 'round' cannot mask a string at member \"v\": it rounds numbers"
ap_policy tdate '{ plugin = "mask_fields"; paths = [ "v" ]; op = "truncate_date"; unit = "day"; }'
frames tdate '{"v": "2026-11-28T20:15:03.123456"}' '{"v": "2026-11-28T00:00:00.000000"}' \
	'{"v": "2026-11-28T20:15:03+02:00"}' '{"v": "2026-11-28T00:00:00+02:00"}'
ap_policy tmonth '{ plugin = "mask_fields"; paths = [ "v" ]; op = "truncate_date"; unit = "month"; }'
frames tmonth '{"v": "2026-11-28"}' '{"v": "2026-11-01"}' '{"v": null}' '{"v": null}'
fails tdate '{"v": "28/11/2026"}' "not an ISO 8601 date or date-time"
fails tdate '{"v": 1764360903}' "op 'truncate_date' cannot mask a number"

# a policy of 2000 hashing access points serves one: the digests' memo
# (256 KiB a step and worker) is made when a step first digests, not for
# every access point at load (that took 1 GB here)
"$PY" - "$T/hash2000.cfg" <<'PYEOF'
import sys
aps = ",\n".join('{ name = "ap%d"; chain = ( { plugin = "mask_fields"; paths = [ "v" ]; '
                  'op = "hash"; salt = "s%d"; } ); }' % (i, i) for i in range(2000))
open(sys.argv[1], "w").write("access_points = (\n%s\n);\n" % aps)
PYEOF
rss=$("$PY" - "$RT" "$T/hash2000.cfg" "$PLUGINS" <<'PYEOF'
import resource, subprocess, sys
rt, cfg, plugins = sys.argv[1:]
out = subprocess.run([rt, "--policy", cfg, "--plugins", plugins, "--access-point", "ap7"],
                     input=b'{"v": "x"}\n', capture_output=True, timeout=120)
assert out.returncode == 0 and b'"v": "' in out.stdout, out
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
PYEOF
)
expect_eq "2000 hashing access points, one served: under 100 MB (got ${rss} MB)" \
	"$(( ${rss:-999} < 100 ))" 1
ap_policy hash '{ plugin = "mask_fields"; paths = [ "v" ]; op = "hash"; salt = "s7"; }'
frames hash '{"v": "x"}' "{\"v\": \"$(sha_py "s7x")\"}" '{"v": 1}' "{\"v\": \"$(sha_py "s71")\"}"

# ---- the HMAC pseudonym equals independent tools' ----
KEY="analytics-test-key"
for v in 512 100 999; do
	pyh=$(hmac_py "$KEY" "$v")
	osh=$(printf '%s' "$v" | openssl dgst -sha256 -hmac "$KEY" | awk '{print $NF}')
	expect_eq "openssl and python agree on $v" "$osh" "$pyh"
	printf '{"cust_id": %s, "evnt_time": "2026-11-28T20:15:03"}' "$v" >"$T/ev.json"
	run env INFLIGHT_ANALYTICS_KEY="$KEY" "$RT" --policy policies/analytics.cfg "${PL[@]}" \
		--access-point analytics "$T/ev.json"
	expect_eq "analytics pseudonym of $v = HMAC-SHA256 by python and openssl" "$OUT" \
		"{\"cust_id\": \"cust:$osh\", \"evnt_time\": \"2026-11-28T00:00:00\"}"
done
run env INFLIGHT_ANALYTICS_KEY="another-key" "$RT" --policy policies/analytics.cfg "${PL[@]}" \
	--access-point analytics "$T/ev.json"
expect_eq "another key, another pseudonym" "$OUT" \
	"{\"cust_id\": \"cust:$(hmac_py another-key 999)\", \"evnt_time\": \"2026-11-28T00:00:00\"}"

# ---- enrich ----
cp policies/stores.csv "$T/stores.csv"
ap_policy enrich '{ plugin = "enrich"; set = { team = "ops"; n = 2; ok = true; }; set_json = { z = "null"; };
  lookup_file = "stores.csv"; lookup_key = "store_id";
  lookup_default = { store_city = "unknown"; region = "unknown"; }; }'
frames enrich '{"store_id": 10}' \
	'{"store_id": 10,"team":"ops","n":2,"ok":true,"z":null,"store_city":"Washington, D.C.","region":"us-east"}' \
	'{"x": 1}' '{"x": 1,"team":"ops","n":2,"ok":true,"z":null,"store_city":"unknown","region":"unknown"}'
# JSON text on lines of its own (valid: a line break is whitespace) is
# written on one line, each break a space: an NDJSON record stays one
# line, fused or behind a step that is not (enrich set_json, the lookup
# table's NDJSON value through the steps)
ap_policy nl '{ plugin = "enrich"; set_json = { tags = "[\"a\",\n\"b\"]"; t = "{\"c\":\r\n1}"; }; }'
frames nl '{"a": 1}' '{"a": 1,"tags":["a", "b"],"t":{"c":  1}}' '{"b": 2}' '{"b": 2,"tags":["a", "b"],"t":{"c":  1}}'
ap_policy nl2 '{ plugin = "mask_fields"; paths = [ "x" ]; op = "round"; digits = 0; },
  { plugin = "enrich"; set_json = { tags = "[\"a\",\n\"b\"]"; }; }'
frames nl2 '{"a": 1}' '{"a": 1,"tags":["a", "b"]}' '{"b": 2}' '{"b": 2,"tags":["a", "b"]}'
ap_policy computed '{ plugin = "enrich"; add_access_point = "ap"; add_request_id = "rid"; }'
frames computed '{"a": 1}' '{"a": 1,"ap":"computed","rid":""}' '[1]' '[1]'
ap_policy objkey '{ plugin = "enrich"; add_object_key = "key"; }'
run "$RT" --policy "$T/objkey.cfg" "${PL[@]}" --access-point objkey "$T/in.doc"
expect_eq "enrich in filter mode: the input file is the object key" "$OUT" "$(printf '{\n"a": 1,"key":"%s"}' "$T/in.doc")"
# a file name that is not UTF-8 cannot be a JSON string: the record fails, saying why
latin1=$(printf '%s/caf\xe9.json' "$T")
printf '{"a": 1}\n' >"$latin1"
run "$RT" --policy "$T/objkey.cfg" "${PL[@]}" --access-point objkey "$latin1"
expect_eq "enrich: an object key that is not UTF-8 fails the record" "$RC:$OUT" "8:"
expect_contains "enrich: ... and the message says why" "$ERR" \
	"step 1 (enrich) failed: add_object_key: the object key is not UTF-8, so no JSON string can hold it"
ap_policy stamp '{ plugin = "enrich"; add_time = "at"; }'
# the processing time: RFC 3339 in UTC whatever TZ says, between the
# clock before and after (no faketime: it cannot preload under ASan)
for tz in UTC America/New_York Asia/Kolkata; do
	before=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	run env TZ=$tz "$RT" --policy "$T/stamp.cfg" "${PL[@]}" --access-point stamp <<<'{"a": 1}'
	after=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	at=$(sed -nE 's/^\{"a": 1,"at":"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)"\}$/\1/p' <<<"$OUT")
	if [ -n "$at" ] && [[ ! $at < $before ]] && [[ ! $at > $after ]]; then
		ok "enrich add_time under TZ=$tz: RFC 3339 in UTC ($at)"
	else
		not_ok "enrich add_time under TZ=$tz" "[$OUT] not a UTC time in [$before, $after]"
	fi
done
printf '{"request_id": "r1", "store_id": 3}' >"$T/obj.json"
run "$RT" --make-event --access-point computed --file "$T/obj.json" --key store_events/x/1.json -o "$T/event.json"
ap_policy computed '{ plugin = "enrich"; add_access_point = "ap"; add_object_key = "key"; add_request_id = "rid"; }'
run "$RT" --event "$T/event.json" --policy "$T/computed.cfg" "${PL[@]}"
rid=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["xAmzRequestId"])' "$T/event.json")
expect_eq "enrich in event mode: access point, object key and request id added" "$RC:$OUT" \
	"0:{\"request_id\": \"r1\", \"store_id\": 3,\"ap\":\"computed\",\"key\":\"store_events/x/1.json\",\"rid\":\"$rid\"}"

# ---- filter_records and every condition op, on each framing ----
cond() { # NAME CONDITION REC1 KEPT1(0/1) REC2 KEPT2
	ap_policy "$1" "{ plugin = \"filter_records\"; keep = $2; }"
	frames "$1" "$3" "$([ "$4" = 1 ] && printf '%s' "$3")" "$5" "$([ "$6" = 1 ] && printf '%s' "$5")"
}
cond c_eq '{ path = "evnt_type"; op = "eq"; value = "inventory_event"; }' \
	'{"evnt_type": "inventory_event"}' 1 '{"evnt_type": "sales_event"}' 0
cond c_eq_num '{ path = "n"; op = "eq"; value = 5; }' '{"n": 5.0}' 1 '{"n": "5"}' 0
cond c_ne '{ path = "n"; op = "ne"; value = 5; }' '{"n": 5}' 0 '{"m": 5}' 1
cond c_in '{ path = "c"; op = "in"; value = [ "Books", "Games" ]; }' '{"c": "Games"}' 1 '{"c": "Shoes"}' 0
cond c_not_in '{ path = "c"; op = "not_in"; value = [ "Books", "Games" ]; }' '{"c": "Games"}' 0 '{"c": null}' 1
cond c_gt '{ path = "qty"; op = "gt"; value = 9; }' '{"qty": 10}' 1 '{"qty": 9}' 0
cond c_ge '{ path = "qty"; op = "ge"; value = 9; }' '{"qty": 9}' 1 '{"qty": "10"}' 0
cond c_lt '{ path = "s"; op = "lt"; value = "9"; }' '{"s": "10"}' 1 '{"s": "90"}' 0
cond c_le '{ path = "t"; op = "le"; value = "2026-11-28"; }' '{"t": "2026-11-27T23:59:59"}' 1 \
	'{"t": "2026-11-28T00:00:00"}' 0
cond c_exists '{ path = "store_id"; op = "exists"; }' '{"store_id": null}' 1 '{"bad_msg": true}' 0
cond c_missing '{ path = "store_id"; op = "missing"; }' '{"store_id": 1}' 0 '{"bad_msg": true}' 1
cond c_matches '{ path = "category"; op = "matches"; value = "^(Books|Games)$"; }' \
	'{"category": "Books"}' 1 '{"category": "Bookshelves"}' 0
cond c_multi '{ path = "items[*].sku"; op = "eq"; value = 7; }' '{"items": [{"sku": 1}, {"sku": 7}]}' 1 \
	'{"items": [{"sku": 1}]}' 0
cond c_all '{ all = ( { path = "a"; op = "eq"; value = 1; }, { path = "b"; op = "eq"; value = 2; } ); }' \
	'{"a": 1, "b": 2}' 1 '{"a": 1, "b": 3}' 0
cond c_any '{ any = ( { path = "a"; op = "eq"; value = 1; }, { path = "b"; op = "eq"; value = 2; } ); }' \
	'{"a": 0, "b": 2}' 1 '{"a": 0, "b": 0}' 0
cond c_not '{ not = { path = "is_return"; op = "eq"; value = true; }; }' '{"is_return": true}' 0 '{"qty": 1}' 1
ap_policy dropf '{ plugin = "filter_records"; drop = { path = "bad_msg"; op = "exists"; }; }'
# a member a condition reads, held twice: a reader takes either value, so
# the record is refused, not decided (inventory's view would have kept a
# sales event whose last evnt_type a Python reader takes)
printf '{"evnt_type": "inventory_event", "qty": 1}\n{"evnt_type": "inventory_event", "evnt_type": "sales_event"}\n' \
	>"$T/dup.nd"
run "$RT" --policy policies/inventory.cfg "${PL[@]}" --access-point inventory "$T/dup.nd" -o "$T/dup.out"
expect_eq "filter_records: a key it reads held twice fails the object, no output" \
	"$RC:$(test -e "$T/dup.out" && echo written)" "8:"
expect_contains "filter_records: ... naming the record and the key" "$ERR" \
	'record 2 (line 2): step 1 (filter_records) failed: member "evnt_type" is in one object twice'
# a mask before the filter changes both copies: still refused
ap_policy m_dup '{ plugin = "mask_fields"; paths = [ "score" ]; op = "round"; }, { plugin = "filter_records"; keep = { path = "score"; op = "le"; value = 1; }; }'
run "$RT" --policy "$T/m_dup.cfg" "${PL[@]}" --access-point m_dup <<<'{"score": 1.2, "score": 7.6}'
expect_eq "filter_records after a mask of the key held twice: refused" "$RC:$OUT" "8:"
ap_policy w_dup '{ plugin = "mask_fields"; paths = [ "email" ]; op = "redact"; when = { path = "country"; op = "ne"; value = "US"; }; }'
run "$RT" --policy "$T/w_dup.cfg" "${PL[@]}" --access-point w_dup <<<'{"country": "US", "country": "DE", "email": "x@y.de"}'
expect_eq "when: a key it reads held twice fails the record, the email never shown" "$RC:$OUT" "8:"
expect_contains "when: ... saying why" "$ERR" 'step 1 (mask_fields): when: member "country" is in one object twice'
frames dropf '{"a": 1, "bad_msg": true}' '' '{"a": 2}' '{"a": 2}'

# ---- `when` on each plugin ----
W='when = { path = "dept"; op = "eq"; value = "x"; };'
ap_policy w_drop "{ plugin = \"drop_fields\"; paths = [ \"p\" ]; $W }"
frames w_drop '{"dept": "x", "p": 1}' '{"dept": "x"}' '{"dept": "y", "p": 1}' '{"dept": "y", "p": 1}'
ap_policy w_keep "{ plugin = \"keep_fields\"; paths = [ \"dept\" ]; $W }"
frames w_keep '{"dept": "x", "p": 1}' '{"dept": "x"}' '{"dept": "y", "p": 1}' '{"dept": "y", "p": 1}'
ap_policy w_mask "{ plugin = \"mask_fields\"; paths = [ \"p\" ]; op = \"redact\"; $W }"
frames w_mask '{"dept": "x", "p": 1}' '{"dept": "x", "p": "****"}' '{"p": 1}' '{"p": 1}'
ap_policy w_enrich "{ plugin = \"enrich\"; set = { seen = true; }; $W }"
frames w_enrich '{"dept": "x"}' '{"dept": "x","seen":true}' '{"dept": "z"}' '{"dept": "z"}'
ap_policy w_filter "{ plugin = \"filter_records\"; drop = { path = \"p\"; op = \"exists\"; }; $W }"
frames w_filter '{"dept": "x", "p": 1}' '' '{"dept": "y", "p": 1}' '{"dept": "y", "p": 1}'
ap_policy w_stamp "{ plugin = \"example_stamp\"; $W }"
frames w_stamp '{"dept": "x"}' '{"dept": "x","_via":"w_stamp"}' '{"dept": "y"}' '{"dept": "y"}'

# ---- a chain of all five plugins ----
ap_policy five '{ plugin = "filter_records"; keep = { path = "evnt_type"; op = "eq"; value = "sales_event"; }; },
  { plugin = "enrich"; lookup_file = "stores.csv"; lookup_key = "store_id";
    lookup_default = { store_city = "unknown"; region = "unknown"; }; },
  { plugin = "mask_fields"; paths = [ "cust_id" ]; op = "hash"; prefix = "h:"; },
  { plugin = "drop_fields"; paths = [ "contact_me" ]; },
  { plugin = "keep_fields"; paths = [ "cust_id", "store_city", "region", "price", "contact_me" ];
    when = { path = "region"; op = "eq"; value = "us-west"; }; }'
H512=$(sha_py 512)
frames five '{"evnt_type": "sales_event", "cust_id": 512, "store_id": 1, "price": 9.5, "qty": 2, "contact_me": "x"}' \
	"{\"cust_id\": \"h:$H512\", \"price\": 9.5,\"store_city\":\"Seattle\",\"region\":\"us-west\"}" \
	'{"evnt_type": "inventory_event", "cust_id": 512, "store_id": 1}' ''
frames five '{"evnt_type": "sales_event", "cust_id": 512, "store_id": 9, "qty": 2}' \
	"{\"evnt_type\": \"sales_event\", \"cust_id\": \"h:$H512\", \"store_id\": 9, \"qty\": 2,\"store_city\":\"New York\",\"region\":\"us-east\"}" \
	'{"evnt_type": "sales_event", "cust_id": 512}' \
	"{\"evnt_type\": \"sales_event\", \"cust_id\": \"h:$H512\",\"store_city\":\"unknown\",\"region\":\"unknown\"}"

# ---- the shipped policies: --check-policy runs their self-tests ----
run env INFLIGHT_ANALYTICS_KEY=test-key "$RT" "${PL[@]}" --check-policy policies
expect_eq "policies/ loads with its self-tests: exit 0" "$RC" 0
expect_contains "policies/: every access point" "$OUT" \
	"ok: policies: 5 access points
  analytics: 3 steps, fused (policies/analytics.cfg:11)
  inventory: 2 steps, fused (policies/inventory.cfg:7)
  partner: 2 steps, fused (policies/partner.cfg:10)
  lambda-consumer: 1 step, fused (policies/store-events.cfg:8)
  store-ops: 2 steps, fused (policies/store-ops.cfg:9)"
for f in inventory store-ops partner; do
	run "$RT" "${PL[@]}" --check-policy "policies/$f.cfg"
	expect_eq "policies/$f.cfg loads alone (no key needed)" "$RC" 0
done
run env -u INFLIGHT_ANALYTICS_KEY "$RT" "${PL[@]}" --check-policy policies
expect_eq "analytics without its key: refused" "$RC" 3
line=$(grep -n 'key_env = "INFLIGHT_ANALYTICS_KEY"' policies/analytics.cfg | cut -d: -f1)
expect_contains "analytics without its key: file, line, variable" "$ERR" \
	"policies/analytics.cfg:$line: plugin 'mask_fields': key_env: environment variable INFLIGHT_ANALYTICS_KEY is not set or empty"

# The shipped views over producer events: what each department sees.
"$PRODUCER" --ndjson "$T/events.ndjson" --count 300 --seed 11 --quiet >/dev/null 2>&1
view() { # AP: runs access point AP of policies/ over the events
	run env INFLIGHT_ANALYTICS_KEY="$KEY" "$RT" --policy policies "${PL[@]}" --access-point "$1" \
		"$T/events.ndjson" -o "$T/$1.out"
	expect_eq "$1 over 300 producer events: exit 0" "$RC" 0
}
check_view() { # NAME AP PYTHON-EXPRESSION-ON-r (all records must satisfy it)
	local got
	got=$("$PY" -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
bad = [r for r in recs if not ('"$3"')]
print(len(recs), len(bad))' "$T/$2.out")
	if [[ $got =~ ^([0-9]+)\ 0$ ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]; then ok "$1 (${BASH_REMATCH[1]} records)"
	else not_ok "$1" "records, bad: $got"; fi
}
view inventory
check_view "inventory sees only inventory events, no price or discount" inventory \
	'r["evnt_type"] == "inventory_event" and "price" not in r and "discount" not in r'
view analytics
check_view "analytics: cust_id a pseudonym, day-cut time, no contact_me" analytics \
	'str(r["cust_id"]).startswith("cust:") and len(r["cust_id"]) == 69 and "contact_me" not in r and r["evnt_time"][10:19] == "T00:00:00" and set(r["evnt_time"][20:]) <= {"0"}'
view store-ops
check_view "store-ops: every event has a city and a region, no customer" store-ops \
	'r["store_city"] and r["region"] and "cust_id" not in r and (("store_id" in r) == (r["store_city"] != "unknown"))'
view partner
check_view "partner: only the allowlist, no returns" partner \
	'set(r) <= {"request_id","category","sku","item_variant","qty","evnt_type"} and "is_return" not in r'
# is_return is not in the allowlist: the returns are counted at the source
got=$("$PY" -c '
import json, sys
src = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
out = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
sales = [s for s in src if s.get("is_return", False) is False]
print(len(src) > len(sales) > 0 and [s["request_id"] for s in sales] == [o["request_id"] for o in out])' \
	"$T/events.ndjson" "$T/partner.out")
expect_eq "partner: every event that is no return, and no other" "$got" True
got=$("$PY" -c '
import hmac, hashlib, json, sys
src = [json.loads(l) for l in open(sys.argv[1])]
out = [json.loads(l) for l in open(sys.argv[2])]
print(all(o["cust_id"] == "cust:" + hmac.new(sys.argv[3].encode(), str(s["cust_id"]).encode(), hashlib.sha256).hexdigest() for s, o in zip(src, out)) and len(src) == len(out))' \
	"$T/events.ndjson" "$T/analytics.out" "$KEY")
expect_eq "analytics: all 300 pseudonyms equal python's HMAC-SHA256" "$got" True

# ---- refused policies name file and line ----
pol badop <<'CFG'
access_points = ( { name = "a";
  chain = (
    { plugin = "mask_fields"; paths = [ "x" ]; op = "scramble"; }
  ); } );
CFG
refused badop "badop.cfg:3: plugin 'mask_fields': option 'op' must be one of redact|partial|char_class|hash|hmac|null|round|truncate_date, not \"scramble\""
pol badcondop <<'CFG'
access_points = ( { name = "a";
  chain = (
    { plugin = "filter_records";
      keep = { path = "x"; op = "==" ; value = 1; }; }
  ); } );
CFG
refused badcondop "badcondop.cfg:4: plugin 'filter_records': option 'keep': unknown op '=='"
pol badregex <<'CFG'
access_points = ( { name = "a";
  chain = (
    { plugin = "filter_records";
      keep = { any = ( { path = "x"; op = "exists"; },
                       { path = "y"; op = "matches"; value = "([a-z]+"; } ); }; }
  ); } );
CFG
refused badregex "badregex.cfg:5: plugin 'filter_records': option 'keep': bad regex \"([a-z]+\""
pol badwhen <<'CFG'
access_points = ( { name = "a";
  chain = (
    { plugin = "drop_fields"; paths = [ "x" ];
      when = { path = "y"; op = "matches"; value = "*x"; }; }
  ); } );
CFG
refused badwhen "badwhen.cfg:4: when: bad regex \"*x\""
pol nokeyfile <<'CFG'
access_points = ( { name = "a";
  chain = (
    { plugin = "mask_fields"; paths = [ "x" ]; op = "hmac";
      key_file = "no-such.key"; }
  ); } );
CFG
refused nokeyfile "nokeyfile.cfg:4: plugin 'mask_fields': option 'key_file': cannot read file $T/no-such.key"
pol noenv <<'CFG'
access_points = ( { name = "a";
  chain = (
    { plugin = "mask_fields"; paths = [ "x" ]; op = "hmac"; key_env = "INFLIGHT_NO_SUCH_VAR"; }
  ); } );
CFG
refused noenv "noenv.cfg:3: plugin 'mask_fields': key_env: environment variable INFLIGHT_NO_SUCH_VAR is not set or empty"
printf 'store_id,store_city\n1,Seattle\n2\n' >"$T/broken.csv"
pol badtable <<'CFG'
access_points = ( { name = "a";
  chain = (
    { plugin = "enrich"; lookup_file = "broken.csv"; lookup_key = "store_id"; }
  ); } );
CFG
refused badtable "badtable.cfg:3: plugin 'enrich': $T/broken.csv:3: row has 1 fields, the header has 2"
pol failing <<'CFG'
access_points = ( { name = "a";
  chain = ( { plugin = "drop_fields"; paths = [ "price" ]; } );
  tests = (
    { input = "{\"price\": 1, \"qty\": 2}"; expect = "{\"qty\": 2}"; },
    { input = "{\"price\": 1, \"qty\": 2}"; expect = "{\"price\": 1, \"qty\": 2}"; }
  ); } );
CFG
refused failing "failing.cfg:5: access point 'a': self-test 2 failed:" \
	'  expected: {"price": 1, "qty": 2}' '  actual:   {"qty": 2}'
run "$RT" --policy "$T/failing.cfg" "${PL[@]}" --access-point a <<<'{"price": 1}'
expect_eq "a failing self-test refuses the policy in filter mode too" "$RC:$OUT" "3:"
cp policies/inventory.cfg "$T/inv.cfg"
sed -i 's/"price", "discount"/"price"/' "$T/inv.cfg"
refused inv "inv.cfg:" "access point 'inventory': self-test 1 failed:" '"discount": 3.2'

finish
