#!/usr/bin/env bash
# The seed's console walkthrough on one machine: produce store events into
# a local bucket, read one object directly, then read the same object
# through the access point "lambda-consumer" (policy policies/store-events.cfg).
# usage: tools/demo.sh BUILD_DIR
set -eu
case ${1:-} in -h | --help) # the comment above, as help
	sed -n '2,/^set -/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
esac
build=${1:-build}
demo=$build/demo
rm -rf "$demo"
mkdir -p "$demo"

echo "== producer: 12 store events into the local bucket $demo/bucket"
"$build/bin/producer" --count 12 --seed 2026 --dir "$demo/bucket" --quiet
key=$(cd "$demo/bucket" && find store_events -name '*.json' | sort | head -n 1)

echo
echo "== the object read directly (all fields): $key"
cat "$demo/bucket/$key"; echo

"$build/bin/runtime" --make-event --access-point lambda-consumer \
	--file "$demo/bucket/$key" --key "$key" -o "$demo/event.json"
echo
echo "== the same object through the Object Lambda Access Point lambda-consumer (no price, no discount)"
"$build/bin/runtime" --event "$demo/event.json" --policy policies/store-events.cfg \
	--plugins "$build/plugins" -o "$demo/redacted.json" 2>"$demo/status.txt"
cat "$demo/redacted.json"; echo
echo
echo "== what the caller would get: $(head -n 1 "$demo/status.txt")"
