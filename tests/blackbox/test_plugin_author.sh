#!/usr/bin/env bash
# A plugin author's path, out of the tree: the README's my_plugin.c (the
# ```c block under "Writing a plugin", taken from README.md itself) and
# plugins/example_stamp.c are built with the README's cc line, against
# the header alone, into a directory of their own, and run through the
# real runtime with --plugins on ndjson, an array and a document.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$HERE/../.." && pwd)
P="$T/plugins"
mkdir -p "$P"

# The README's example, exactly as printed.
awk '/^### Writing a plugin/ { in_sec = 1 }
	in_sec && /^```c$/ { code = 1; next }
	code && /^```$/ { exit }
	code { print }' "$ROOT/README.md" >"$T/my_plugin.c"
expect_contains "README: the example is there" "$(cat "$T/my_plugin.c")" "inflight_plugin"

# build NAME SRC: the README's command, the checkout's header; warnings
# are errors, so the example stays clean for whoever copies it.
build() {
	run cc -O2 -fPIC -fvisibility=hidden -shared -Wall -Wextra -Werror \
		-I"$ROOT/core/include" -o "$P/$1.so" "$2"
	expect_eq "cc $1.so" "$RC:$ERR" "0:"
	run nm -D --defined-only "$P/$1.so"
	expect_eq "$1.so exports only its descriptor" "$(awk '{ print $3 }' <<<"$OUT")" inflight_plugin
}
build my_plugin "$T/my_plugin.c"
build example_stamp "$ROOT/plugins/example_stamp.c"

cat >"$T/author.cfg" <<'CFG'
version = 1;
access_points = (
  { name = "mine"; chain = ( { plugin = "my_plugin"; paths = [ "price", "a.b" ]; } ); },
  { name = "stamped"; chain = ( { plugin = "example_stamp"; } ); }
);
CFG
run "$RT" --plugins "$P" --check-policy "$T/author.cfg"
expect_eq "check-policy loads both" "$RC" 0

# go AP INPUT WANT: the access point over INPUT, in filter mode.
go() {
	run "$RT" --plugins "$P" --policy "$T/author.cfg" --access-point "$1" <<<"$2"
	expect_eq "$1: $2" "$RC:$OUT" "0:$3"
}
go mine $'{"price": 1, "qty": 2}\n{"a": {"b": 1, "c": 2}}' $'{"qty": 2}\n{"a": {"c": 2}}'
go mine '[{"price": 1, "qty": 2}, {"qty": 3}]' '[{"qty": 2}, {"qty": 3}]'
go mine $'{\n  "qty": 2,\n  "price": 1\n}' $'{\n  "qty": 2\n}'
go stamped '{"qty": 2}' '{"qty": 2,"_via":"stamped"}'
# a record the paths cannot reach into is refused, not passed on
run "$RT" --plugins "$P" --policy "$T/author.cfg" --access-point mine <<<$'{"qty": 1}\n[{"price": 1}]'
expect_eq "mine: an array record is refused (exit 8), not passed on" "$RC:$OUT" "8:"

# an option the example does not declare
sed 's/paths = \[ "price", "a.b" \];/paths = "price"; nope = 1;/' "$T/author.cfg" >"$T/bad.cfg"
run "$RT" --plugins "$P" --check-policy "$T/bad.cfg"
expect_eq "an unknown option: exit 3" "$RC" 3
expect_contains "an unknown option: named with file and line" "$ERR" "bad.cfg:3: plugin 'my_plugin': unknown option 'nope'"
finish
