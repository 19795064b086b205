#!/usr/bin/env bash
# make install: the installed runtime finds its installed plugins and, with
# no /opt/inflight/policies (the Lambda layer's), its installed policies,
# with no --policy, --plugins or environment to point at them.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$HERE/../.." && pwd)
REC='{"request_id": "r1", "price": 41.5, "discount": 3.2, "qty": 3}'
WANT='{"request_id": "r1", "qty": 3}'

if [ -e /opt/inflight/policies ]; then
	skip "/opt/inflight/policies exists here: it is the default, so the installed policies are not"
	finish
fi
if ! make -C "$ROOT" --no-print-directory -s install BUILD="$(cd "$BUILD" && pwd)" \
	PREFIX="$T/inst" >"$T/install.log" 2>&1; then
	expect_eq "make install PREFIX=$T/inst" "$(cat "$T/install.log")" ""
	finish
fi
for f in bin/runtime lib/inflight/plugins/drop_fields.so share/inflight/policies/store-events.cfg \
	include/inflight/plugin.h; do
	expect_eq "installed: $f" "$(test -f "$T/inst/$f" && echo yes)" yes
done
run env -u INFLIGHT_POLICY -u INFLIGHT_PLUGIN_PATH INFLIGHT_ANALYTICS_KEY=k \
	"$T/inst/bin/runtime" --access-point lambda-consumer <<<"$REC"
expect_eq "installed runtime, no --policy: the installed policies, price and discount dropped" \
	"$RC:$OUT" "0:$WANT"
# the directory loads whole: without analytics.cfg's key nothing runs, and
# the message says which file and variable (as the README's install row does)
run env -u INFLIGHT_POLICY -u INFLIGHT_PLUGIN_PATH -u INFLIGHT_ANALYTICS_KEY \
	"$T/inst/bin/runtime" --access-point lambda-consumer <<<"$REC"
expect_eq "installed runtime without INFLIGHT_ANALYTICS_KEY: exit 3, no output" "$RC:$OUT" "3:"
expect_contains "... naming analytics.cfg and the variable" "$ERR" \
	"analytics.cfg:16: plugin 'mask_fields': key_env: environment variable INFLIGHT_ANALYTICS_KEY"
run env -u INFLIGHT_POLICY -u INFLIGHT_PLUGIN_PATH "$T/inst/bin/runtime" --help
expect_contains "--help names the installed policies as the default" "$OUT" \
	"$T/inst/bin/../share/inflight/policies"
# the installed policies are a fallback: without them, the layer's path is
# the default, and its absence is the error
rm -rf "$T/inst/share/inflight/policies"
run env -u INFLIGHT_POLICY -u INFLIGHT_PLUGIN_PATH "$T/inst/bin/runtime" --access-point lambda-consumer <<<"$REC"
expect_eq "no installed policies: exit 3" "$RC:$OUT" "3:"
expect_contains "no installed policies: /opt/inflight/policies named" "$ERR" "/opt/inflight/policies"
finish
