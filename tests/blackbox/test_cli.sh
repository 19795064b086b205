#!/usr/bin/env bash
# Black-box tests of the runtime's filter, check-policy and usage paths,
# and of bad input: each gets its documented exit status, a one-line
# message naming what is wrong, and never raw output.
source "$(dirname "$0")/lib.sh"
POL=policies/store-events.cfg
F=("$RT" --policy "$POL" --plugins "$PLUGINS" --access-point lambda-consumer)

# ---- the drop on each framing, every other byte the same ----
printf '{"request_id": "r1", "price": 12.5, "discount": 1.0, "qty": 2}\r\n\n{"pr\\u0069ce": 1, "price": 2, "a": {"price": 3}}\n{"discount":5}' >"$T/in.ndjson"
run "${F[@]}" "$T/in.ndjson"
expect_eq "ndjson: drop keeps CRLF, blank line, nested price, no final newline" \
	"$OUT" "$(printf '{"request_id": "r1", "qty": 2}\r\n\n{"a": {"price": 3}}\n{}')"
expect_eq "ndjson: exit 0" "$RC" 0

printf '[\n  {"price": 1, "a": 1},\n  {"discount": 2},\n  {"b": 2, "price": 3}\n]\n' >"$T/in.array"
run "${F[@]}" "$T/in.array"
expect_eq "array: commas stay right" "$OUT" "$(printf '[\n  {"a": 1},\n  {},\n  {"b": 2}\n]\n')"

printf '{\n  "request_id": "x",\n  "price": 9.99,\n  "discount": 0.5,\n  "items": [1, 2]\n}\n' >"$T/in.doc"
run "${F[@]}" "$T/in.doc"
expect_eq "pretty document: whitespace kept" "$OUT" "$(printf '{\n  "request_id": "x",\n  "items": [1, 2]\n}\n')"

run "${F[@]}" <"$T/in.ndjson"
expect_eq "stdin works like a file" "$(printf '%s' "$OUT" | head -c 30)" '{"request_id": "r1", "qty": 2}'
# a read error on stdin names it as record errors do, not as "-"
run "${F[@]}" <"$T"
expect_eq "stdin that cannot be read: exit 6, no output" "$RC:$OUT" "6:"
expect_eq "stdin that cannot be read: named stdin" "$ERR" "runtime: stdin: read failed: Is a directory"

# ---- -o is all or nothing ----
run "${F[@]}" "$T/in.ndjson" -o "$T/out.ndjson"
expect_eq "-o writes the file" "$(head -n 1 "$T/out.ndjson" | tr -d '\r')" '{"request_id": "r1", "qty": 2}'
printf '{"a": 1}\n{"a": \n' >"$T/trunc.ndjson"
run "${F[@]}" "$T/trunc.ndjson" -o "$T/never.ndjson"
expect_absent "failed -o leaves no file" "$T/never.ndjson"
# the temporary file beside OUT is never one planted there: a symlink at
# the name an earlier version used (OUT.tmp-<pid>) must not truncate its
# target, whether the run fails or succeeds
mkdir "$T/odir"
printf 'precious\n' >"$T/victim"
planted() { # INPUT: runs the runtime with a symlink at OUT.tmp-<its pid>
	# shellcheck disable=SC2016  # expanded by the inner shell, whose pid exec keeps
	bash -c 'ln -s "$1" "$2.tmp-$$" && shift 2 && exec "$@"' planted \
		"$T/victim" "$T/odir/out.ndjson" "${F[@]}" "$1" -o "$T/odir/out.ndjson" \
		>/dev/null 2>&1
}
planted "$T/trunc.ndjson"
expect_eq "-o: failed run leaves a planted symlink's target alone" "$(cat "$T/victim")" precious
expect_absent "-o: failed run, no output file" "$T/odir/out.ndjson"
rm -f "$T"/odir/*
planted "$T/in.ndjson"
expect_eq "-o: run leaves a planted symlink's target alone" "$(cat "$T/victim")" precious
expect_eq "-o: output written beside the planted symlink" \
	"$(head -n 1 "$T/odir/out.ndjson" | tr -d '\r')" '{"request_id": "r1", "qty": 2}'
rm -f "$T"/odir/*
(umask 022 && "${F[@]}" "$T/in.ndjson" -o "$T/odir/out.ndjson")
expect_eq "-o: the file gets mode 0644 under umask 022" "$(stat -c %a "$T/odir/out.ndjson")" 644
chmod 600 "$T/odir/out.ndjson"
(umask 022 && "${F[@]}" "$T/in.ndjson" -o "$T/odir/out.ndjson")
expect_eq "-o: a file replaced keeps its mode (0600 stays private)" \
	"$(stat -c %a "$T/odir/out.ndjson")" 600
chmod 644 "$T/odir/out.ndjson"
# ... and its owner and group where it may; a group it may not keep gets
# no access, so a file private to one group never opens to another
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	NOGROUP=$(id -gn nobody)
	chown nobody:"$NOGROUP" "$T/odir/out.ndjson" && chmod 640 "$T/odir/out.ndjson"
	"${F[@]}" "$T/in.ndjson" -o "$T/odir/out.ndjson"
	expect_eq "-o as root: a file replaced keeps owner, group and mode" \
		"$(stat -c '%U:%G %a' "$T/odir/out.ndjson")" "nobody:$NOGROUP 640"
	# nobody replacing its file of group root, which it is not in
	mkdir "$T/pub" && chown nobody "$T/pub" && chmod 711 "$T"
	cp "$T/in.ndjson" "$T/pub/in.ndjson" && chmod 644 "$T/pub/in.ndjson"
	printf 'old\n' >"$T/pub/out.ndjson"
	chown nobody:root "$T/pub/out.ndjson" && chmod 640 "$T/pub/out.ndjson"
	setpriv --reuid=nobody --regid="$NOGROUP" --clear-groups \
		"$BUILD/bin/runtime" --policy "$(realpath "$POL")" --plugins "$(realpath "$PLUGINS")" \
		--access-point lambda-consumer "$T/pub/in.ndjson" -o "$T/pub/out.ndjson"
	expect_eq "-o: a group it cannot keep gets no access (0640 of root -> 0600)" \
		"$(stat -c '%U:%G %a' "$T/pub/out.ndjson")" "nobody:$NOGROUP 600"
	chmod 700 "$T"
else
	skip "-o keeps owner and group (needs root, setpriv and user nobody)"
fi
# a run stopped by a signal removes its temporary file: the input is a
# FIFO held open, so the runtime waits in a read with the file created
mkfifo "$T/sig.fifo"
exec 7<>"$T/sig.fifo"
printf '{"a":1}\n' >&7
"${F[@]}" "$T/sig.fifo" -o "$T/odir/sig.ndjson" 2>/dev/null &
SIGPID=$!
for ((i = 0; i < 200; i++)); do
	compgen -G "$T/odir/.sig.ndjson.tmp-*" >/dev/null && break
	sleep 0.05
done
kill -TERM "$SIGPID"
wait "$SIGPID"
expect_eq "SIGTERM while writing -o: dies of it (143)" "$?" 143
exec 7>&-
expect_eq "SIGTERM while writing -o: no temporary file, no output" "$(ls -A "$T/odir")" out.ndjson
"${F[@]}" "$T/trunc.ndjson" -o "$T/odir/out2.ndjson" 2>/dev/null
expect_eq "-o: no temporary file left behind" "$(ls -A "$T/odir")" out.ndjson
# -o - is stdout, never a file named "-"
ABS=("$(realpath "$RT")" --policy "$(realpath "$POL")" --plugins "$(realpath "$PLUGINS")" --access-point lambda-consumer)
(cd "$T/odir" && "${ABS[@]}" "$T/in.ndjson" -o - >"$T/dash.out")
expect_eq "-o -: written to stdout" "$(head -n 1 "$T/dash.out" | tr -d '\r')" '{"request_id": "r1", "qty": 2}'
expect_eq "-o -: no file named -" "$(ls -A "$T/odir")" out.ndjson
# a finished output that cannot take OUT's place (a directory there):
# exit 9 naming it, the directory untouched, no temporary file left
mkdir "$T/odir/isdir"
run "${F[@]}" "$T/in.ndjson" -o "$T/odir/isdir"
expect_eq "-o onto a directory: exit 9, nothing on stdout" "$RC:$OUT" "9:"
expect_contains "-o onto a directory: said before any work" "$ERR" "$T/odir/isdir: cannot write: Is a directory"
expect_eq "-o onto a directory: no temporary file left, the directory empty" \
	"$(ls -A "$T/odir"):$(ls -A "$T/odir/isdir")" "$(printf 'isdir\nout.ndjson'):"
rmdir "$T/odir/isdir"
run "${F[@]}" "$T/in.ndjson" -o "$T/nodir/out.ndjson"
expect_eq "-o in a missing directory: exit 9, nothing on stdout" "$RC:$OUT" "9:"
expect_contains "-o in a missing directory: the file beside OUT named as the cause" "$ERR" \
	"$T/nodir/out.ndjson: cannot create a file in its directory (OUT is written beside, then renamed into place): No such file or directory"
# OUT that is a device, a FIFO or a descriptor's name is written in place:
# renamed over, /dev/null or /dev/stdout would become a regular file (as
# root, for every process). Links in $T stand for the devices, so an old
# runtime replaces the link, never the device.
ln -s /dev/full "$T/full"
run "${F[@]}" "$T/in.ndjson" -o "$T/full"
expect_eq "-o onto a link to /dev/full: exit 9, the device written" "$RC" 9
expect_contains "-o onto a link to /dev/full: said" "$ERR" "$T/full: write failed: No space left on device"
expect_eq "-o onto a link to /dev/full: the link kept" "$(readlink "$T/full")" /dev/full
mkfifo "$T/fifo"
timeout 20 cat "$T/fifo" >"$T/fifo.out" &
FIFO_READER=$!
run "${F[@]}" "$T/in.ndjson" -o "$T/fifo"
wait "$FIFO_READER"
expect_eq "-o onto a FIFO: exit 0, written into it" "$RC:$(head -n 1 "$T/fifo.out" | tr -d '\r')" \
	'0:{"request_id": "r1", "qty": 2}'
expect_eq "-o onto a FIFO: still a FIFO" "$([ -p "$T/fifo" ] && echo fifo)" fifo
printf 'before\n' >"$T/redir.out"
"${F[@]}" "$T/in.ndjson" -o /dev/fd/1 >>"$T/redir.out"
expect_eq "-o /dev/fd/1: written to the descriptor, after what it held" \
	"$(head -n 2 "$T/redir.out" | tr -d '\r')" "$(printf 'before\n{"request_id": "r1", "qty": 2}')"
ln -s /dev/stdout "$T/stdout-link"
"${F[@]}" "$T/in.ndjson" -o "$T/stdout-link" >"$T/redir2.out"
expect_eq "-o onto a link to /dev/stdout: written to the descriptor" \
	"$(head -n 1 "$T/redir2.out" | tr -d '\r')" '{"request_id": "r1", "qty": 2}'
# a link to a regular file: the file is replaced whole, the link kept
printf 'old\n' >"$T/odir/real.ndjson"
ln -s real.ndjson "$T/odir/link.ndjson"
run "${F[@]}" "$T/in.ndjson" -o "$T/odir/link.ndjson"
expect_eq "-o onto a link to a file: the file written, the link kept" \
	"$RC:$(readlink "$T/odir/link.ndjson"):$(head -n 1 "$T/odir/real.ndjson" | tr -d '\r')" \
	'0:real.ndjson:{"request_id": "r1", "qty": 2}'
rm "$T/odir/link.ndjson" "$T/odir/real.ndjson"

# ---- the tools' --help: the usage, exit 0, nothing run (without it,
# package.sh took --help for a build directory, deps.sh for a package) ----
# (run.sh is left out: an old one given --help installs the bench's packages)
for tool in tools/package.sh tools/demo.sh tools/deps.sh tools/bench/profile.sh; do
	run bash "$tool" --help
	expect_eq "$tool --help: exit 0, quiet on stderr" "$RC:$ERR" "0:"
	expect_contains "$tool --help: the usage" "$OUT" "usage: $tool"
done
run /usr/bin/python3 tools/bench/bench.py --help
expect_eq "bench.py --help: exit 0" "$RC:$ERR" "0:"
expect_contains "bench.py --help: the usage" "$OUT" "usage: tools/bench/bench.py BUILD"

# ---- check-policy ----
run "$RT" --plugins "$PLUGINS" --check-policy "$POL"
expect_eq "check-policy ok exit" "$RC" 0
expect_eq "check-policy ok text: a line, then a line per access point" "$OUT" "ok: $POL: 1 access point
  lambda-consumer: 1 step, fused ($POL:8)"
bad() { printf '%s\n' "$1" >"$T/bad.cfg"; run "$RT" --plugins "$PLUGINS" --check-policy "$T/bad.cfg"; }
bad 'access_points = ( { name = "a"; chain = ( { plugin = "no_such"; } ); } );'
expect_eq "unknown plugin: exit 3" "$RC" 3
expect_contains "unknown plugin: file and line" "$ERR" "bad.cfg:1: unknown plugin 'no_such'"
bad $'access_points = (\n { name = "a";\n   chain = ( { plugin = "drop_fields"; pathz = ["x"]; } ); } );'
expect_contains "unknown option: file, line, option" "$ERR" "bad.cfg:3: plugin 'drop_fields': unknown option 'pathz'"
bad $'access_points = ( { name = "a";\n chain = ( { plugin = "drop_fields";\n paths = ["a..b"]; } ); } );'
expect_contains "bad path: file, line, column" "$ERR" "bad.cfg:3: plugin 'drop_fields': bad path \"a..b\""
bad 'access_points = ( { name = "a"; chain = ( { plugin = "../drop_fields"; } ); } );'
expect_contains "plugin name with .. refused, file and line" "$RC:$ERR" "3:runtime: policy error: $T/bad.cfg:1: "
expect_contains "plugin name with .. refused: why" "$ERR" "not allowed"
bad $'access_points = (\n { name = "a"; chain = ( ) }\n'
expect_eq "syntax error: exit 3" "$RC" 3
expect_contains "syntax error names the file and line (end of file: the list never closes)" "$ERR" "bad.cfg:4: syntax error"
bad 'access_points = ( { name = "a"; formatt = "ndjson"; chain = (); } );'
expect_contains "unknown setting refused" "$ERR" "unknown setting 'formatt'"
bad $'# consumers\n@include "/tmp"\naccess_points = ();'
expect_eq "@include refused: exit 3" "$RC" 3
expect_contains "@include refused with file and line" "$ERR" "bad.cfg:2: @include is not supported"
# two problems: --check-policy lists both; the other modes print the
# first on one line and say how many more
bad $'access_points = (\n { name = "a"; bogus = 1; chain = ( { plugin = "drop_fields"; paths = ["x"]; } ); },\n { name = "b"; chain = ( { plugin = "nope"; } ); } );'
expect_eq "two problems, --check-policy: exit 3, a line each" "$RC:$(grep -c "bad.cfg:[23]: " <<<"$ERR")" "3:2"
run "$RT" --policy "$T/bad.cfg" --plugins "$PLUGINS" --access-point a /dev/null
expect_eq "two problems, filter mode: exit 3, one line: the first and the count" "$RC:$ERR" \
	"3:runtime: policy error: $T/bad.cfg:2: access point 'a': unknown setting 'bogus' (and 1 more: --check-policy lists every one)"
run "$RT" --plugins "$PLUGINS" --check-policy "$T/missing.cfg"
expect_contains "missing policy file" "$ERR" "missing.cfg: cannot read policy"
expect_eq "missing policy file: exit 3" "$RC" 3

# ---- usage ----
run "$RT"
expect_eq "no arguments: exit 2" "$RC" 2
run "$RT" --bogus
expect_eq "unknown option: exit 2" "$RC" 2
expect_contains "unknown option named" "$ERR" "--bogus"
run "$RT" --event x.json --access-point a
expect_eq "--event with --access-point: exit 2" "$RC" 2
run "$RT" --policy
expect_eq "missing value: exit 2" "$RC" 2
run "$RT" --help
expect_contains "--help documents exit codes" "$OUT" "exit status: 0 ok"
expect_eq "--help exit 0" "$RC" 0
for v in INFLIGHT_POLICY INFLIGHT_PLUGIN_PATH INFLIGHT_THREADS INFLIGHT_SOURCE_TIMEOUT \
	INFLIGHT_RAPI_RETRY_MS INFLIGHT_S3OL_WINDOW_MS TMPDIR; do
	expect_contains "--help names $v" "$OUT" "$v"
done

# usage_err NAME WANT ARGS...: exit 2 and one line naming WANT
usage_err() {
	local name=$1 want=$2
	shift 2
	run "$RT" "$@"
	expect_eq "$name: exit 2" "$RC" 2
	expect_contains "$name: named" "$ERR" "$want"
	expect_eq "$name: one line" "$(printf '%s\n' "$ERR" | wc -l)" 1
}
usage_err "repeated --access-point" "given twice: --access-point" \
	--policy "$POL" --access-point a --access-point lambda-consumer "$T/in.ndjson"
usage_err "repeated -o" "given twice: -o/--output" \
	"${F[@]:1}" -o "$T/o1" --output "$T/o2" "$T/in.ndjson"
usage_err "repeated --event" "given twice: --event" --event a.json --event b.json
usage_err "repeated --help (as the producer)" "given twice: -h/--help" --help -h
usage_err "repeated --version (as the producer)" "given twice: --version" --version --version
usage_err "--check-policy with -o" "not used by --check-policy: -o/--output" \
	--check-policy "$POL" -o "$T/o1"
usage_err "--check-policy with --access-point" "not used by --check-policy: --access-point" \
	--check-policy "$POL" --access-point a
usage_err "--check-policy with --policy" "not used by --check-policy: --policy" \
	--check-policy "$POL" --policy "$POL"
usage_err "--make-event with --policy" "not used by --make-event: --policy" \
	--make-event --policy "$POL" --access-point a --url http://x/y
usage_err "--event with --access-point" "not used by --event: --access-point" \
	--event x.json --access-point a
usage_err "filter mode with --url" "goes with --make-event: --url" "${F[@]:1}" --url http://x/y
usage_err "--access-point=" "non-empty value: --access-point" --policy "$POL" --access-point= "$T/in.ndjson"
usage_err "-o ''" "non-empty value: -o/--output" "${F[@]:1}" -o "" "$T/in.ndjson"
usage_err "-xq names -x, not the next argument" "unknown option: -x" \
	--policy "$POL" -xq lambda-consumer
usage_err "-o at the end" "needs a value: -o" "${F[@]:1}" -o
usage_err "--make-event=1" "takes no value: --make-event" --make-event=1
usage_err "--bogus --help" "unknown option: --bogus" --bogus --help
usage_err "--pa: the start of --part-number and --payload" \
	"ambiguous option (the start of more than one): --pa" --make-event --pa x
usage_err "--help --bogus" "unknown option: --bogus" --help --bogus
usage_err "--help -x" "unknown option: -x" --help -x
run "$RT" --check-policy "$POL" --help
expect_eq "--help after a valid command line: help, exit 0" "$RC:${OUT:0:6}" "0:usage:"
run "$RT" --version
expect_contains "--version" "$RC:$OUT" "0:inflight runtime"
run "$RT" --make-event --access-point lambda-consumer --file "$T/in.ndjson" \
	--header "A: 1" --header "B: 2"
expect_contains "--header repeats" "$RC:$OUT" '"A":"1","B":"2"'

# ---- settings from the environment: refused at start, one line, exit 2 ----
for setting in INFLIGHT_RAPI_RETRY_MS=x INFLIGHT_RAPI_RETRY_MS=-1 INFLIGHT_RAPI_RETRY_MS=3600001 \
	INFLIGHT_S3OL_WINDOW_MS=0 INFLIGHT_S3OL_WINDOW_MS=60001 INFLIGHT_S3OL_WINDOW_MS=1e3 \
	INFLIGHT_SOURCE_TIMEOUT=" 5"; do
	run env "$setting" "${F[@]}" "$T/in.ndjson"
	expect_eq "$setting: exit 2, no output" "$RC:$OUT" "2:"
	expect_contains "$setting: the variable and its value named" "$ERR" "runtime: ${setting%%=*}='${setting#*=}' is not whole"
	expect_eq "$setting: one line" "$(printf '%s\n' "$ERR" | wc -l)" 1
done
for threads in 0 -1 " 2" +2 2x; do
	run env INFLIGHT_THREADS="$threads" "${F[@]}" "$T/in.ndjson"
	expect_eq "INFLIGHT_THREADS='$threads': exit 2, no output" "$RC:$OUT" "2:"
	expect_eq "INFLIGHT_THREADS='$threads': one line naming it" "$ERR" \
		"runtime: INFLIGHT_THREADS='$threads' is not a worker count: give a whole number from 1 (above 4, 4 are used)"
done
for fips in yes 1 " true" truee; do
	run env AWS_USE_FIPS_ENDPOINT="$fips" "${F[@]}" "$T/in.ndjson"
	expect_eq "AWS_USE_FIPS_ENDPOINT='$fips': exit 2, no output" "$RC:$OUT" "2:"
	expect_eq "AWS_USE_FIPS_ENDPOINT='$fips': one line naming it" "$ERR" \
		"runtime: AWS_USE_FIPS_ENDPOINT='$fips' is not true or false"
done
for fips in true TRUE false False; do
	run env AWS_USE_FIPS_ENDPOINT="$fips" "${F[@]}" "$T/in.ndjson"
	expect_eq "AWS_USE_FIPS_ENDPOINT='$fips': accepted" "$RC" 0
done
# empty is unset, as for INFLIGHT_THREADS
run env INFLIGHT_RAPI_RETRY_MS= INFLIGHT_S3OL_WINDOW_MS= INFLIGHT_SOURCE_TIMEOUT= AWS_USE_FIPS_ENDPOINT= \
	"${F[@]}" "$T/in.ndjson"
expect_eq "empty settings: the defaults" "$RC" 0
# the Lambda loop's Runtime API address: a host:port or exit 2 before any
# request; the value shown only when it cannot hold a credential
for api in http://127.0.0.1:9001 127.0.0.1 127.0.0.1:0 127.0.0.1:65536 'a b:1' \
	'u:SECRET@127.0.0.1:1' '127.0.0.1:1/x?tok=SECRET' $'h\n:1'; do
	run env AWS_LAMBDA_RUNTIME_API="$api" INFLIGHT_RAPI_RETRY_MS=0 \
		"$RT" --policy "$POL" --plugins "$PLUGINS"
	expect_contains "AWS_LAMBDA_RUNTIME_API='${api//$'\n'/\\n}': exit 2, one line naming it" \
		"$RC:$(wc -l <<<"$ERR"):$ERR" "2:1:runtime: AWS_LAMBDA_RUNTIME_API"
	expect_lacks "  ... no secret shown" "$ERR" SECRET
done
run env AWS_LAMBDA_RUNTIME_API=127.0.0.1:0 INFLIGHT_RAPI_RETRY_MS=0 "$RT" --policy "$POL" --plugins "$PLUGINS"
expect_eq "  ... a plain value shown" "$ERR" "runtime: AWS_LAMBDA_RUNTIME_API='127.0.0.1:0' is not a host:port"
# what Lambda and local stand-ins set is taken: the loop goes on to /next
# (nobody listens on port 1 here: exit 6, the Runtime API unreachable)
for api in 127.0.0.1:1 localhost:1 '[::1]:1'; do
	run env AWS_LAMBDA_RUNTIME_API="$api" INFLIGHT_RAPI_RETRY_MS=0 "$RT" --policy "$POL" --plugins "$PLUGINS"
	expect_contains "AWS_LAMBDA_RUNTIME_API=$api: taken, /next tried" "$RC:$ERR" "6:runtime: runtime API /next failed"
done

# ---- stdout that cannot be written: exit 9 and one line, never 0 ----
full() { # NAME ARGS...: runs with stdout on /dev/full
	local name=$1
	shift
	"$RT" "$@" >/dev/full 2>"$T/stderr" && RC=0 || RC=$?
	ERR=$(cat "$T/stderr")
	expect_eq "$name > /dev/full: exit 9" "$RC" 9
	expect_contains "$name > /dev/full: said" "$ERR" "write failed"
	expect_eq "$name > /dev/full: one line" "$(printf '%s\n' "$ERR" | wc -l)" 1
}
full "--check-policy" --plugins "$PLUGINS" --check-policy "$POL"
full "--help" --help
full "--version" --version
full "--make-event" --make-event --access-point a --url http://x/y
full "filter mode" "${F[@]:1}" "$T/in.ndjson"

# ---- no policy for the access point ----
run "$RT" --policy "$POL" --plugins "$PLUGINS" --access-point nobody "$T/in.ndjson"
expect_eq "access point without policy: exit 4" "$RC" 4
expect_eq "access point without policy: refused, naming the policy and what it defines" \
	"$ERR" "runtime: access point 'nobody' has no policy in $POL: refused (it defines 1 access point: lambda-consumer)"
expect_eq "access point without policy: no output" "$OUT" ""
{
	echo 'access_points = ('
	for i in 1 2 3 4 5 6 7; do
		echo "  { name = \"ap$i\"; chain = ( { plugin = \"drop_fields\"; paths = \"x\"; } ); }$([ $i = 7 ] || echo ,)"
	done
	echo ');'
} >"$T/seven.cfg"
run "$RT" --policy "$T/seven.cfg" --plugins "$PLUGINS" --access-point nobody "$T/in.ndjson"
expect_contains "access point without policy, of seven: the first five and a count" "$ERR" \
	"refused (it defines 7 access points: ap1, ap2, ap3, ap4, ap5, ...)"
# names that do not fit are left out whole, never cut
{
	echo 'access_points = ('
	for c in x y z; do
		echo "  { name = \"$(printf "$c%.0s" {1..90})\"; chain = ( { plugin = \"drop_fields\"; paths = \"x\"; } ); }$([ $c = z ] || echo ,)"
	done
	echo ');'
} >"$T/long.cfg"
run "$RT" --policy "$T/long.cfg" --plugins "$PLUGINS" --access-point nobody "$T/in.ndjson"
expect_contains "access points with long names: those that fit, whole, then ..." "$ERR" \
	"refused (it defines 3 access points: $(printf 'x%.0s' {1..90}), $(printf 'y%.0s' {1..90}), ...)"

# ---- bad input: clear error, exit 7, never raw bytes ----
bad_input() { # NAME FILE WANT-IN-STDERR
	run "${F[@]}" "$2"
	expect_eq "$1: exit 7" "$RC" 7
	expect_eq "$1: no output" "$OUT" ""
	expect_contains "$1: message" "$ERR" "$3"
	expect_eq "$1: one line" "$(printf '%s\n' "$ERR" | wc -l)" 1
}
bad_input "truncated JSON" "$T/trunc.ndjson" "record 2 (line 2): invalid JSON: truncated"
printf '{"price": 1, "name": "\xff\xfe"}\n' >"$T/utf8.ndjson"
bad_input "invalid UTF-8" "$T/utf8.ndjson" "invalid UTF-8 in string"
printf '{"a": 1, "price": 2}\n{"b":\x00 1}\n' >"$T/nul.ndjson"
bad_input "NUL byte" "$T/nul.ndjson" "NUL byte"
"$PY" -c 'import sys; sys.stdout.write("["*100000 + "]"*100000)' >"$T/deep.json"
bad_input "nesting 100,000 deep" "$T/deep.json" "nesting deeper than max_depth"
if [ "$HEAVY" = 1 ]; then
	"$PY" -c 'import sys; sys.stdout.write("{\"price\": 1, \"x\": \"" + "a"*(100*1024*1024) + "\"}\n")' >"$T/big.ndjson"
	bad_input "a 100 MB line" "$T/big.ndjson" "record larger than max_record_bytes"
	rm -f "$T/big.ndjson"
fi
printf '{"a": NaN}\n' >"$T/nan.ndjson"
bad_input "NaN" "$T/nan.ndjson" "invalid JSON"
printf '[{"price": 1}, {"a": 2},]' >"$T/comma.json"
bad_input "array trailing comma" "$T/comma.json" "trailing comma"

# ---- documented behaviour ----
: >"$T/empty.json"
run "${F[@]}" "$T/empty.json"
expect_eq "empty object: exit 0, empty output" "$RC:$OUT" "0:"
printf '\xef\xbb\xbf{"a": 1, "price": 2}\n' >"$T/bom.ndjson"
run "${F[@]}" "$T/bom.ndjson"
expect_eq "byte-order mark skipped" "$OUT" '{"a": 1}'

# ---- on_error = drop_record skips a bad record and keeps the rest ----
cat >"$T/drop.cfg" <<'CFG'
access_points = ( { name = "lenient"; format = "ndjson"; on_error = "drop_record";
  chain = ( { plugin = "drop_fields"; paths = [ "price" ]; } ); } );
CFG
printf '{"a": 1, "price": 2}\n{"a": }\n{"b": 2}\n' >"$T/mixed.ndjson"
run "$RT" --policy "$T/drop.cfg" --plugins "$PLUGINS" --access-point lenient "$T/mixed.ndjson"
expect_eq "drop_record: bad record skipped" "$OUT" "$(printf '{"a": 1}\n{"b": 2}')"
expect_eq "drop_record: exit 0" "$RC" 0
expect_eq "drop_record: the skip is counted on stderr and the record named, not silent" "$ERR" \
	"runtime: $T/mixed.ndjson: 1 record skipped under on_error = \"drop_record\"; the first: record 2 (line 2): invalid JSON: unexpected '}': expected a value (byte 6 of the record)"
printf '{"a": 1}\n\n{"c"}\n[1,]\n' >"$T/mixed2.ndjson"
run "$RT" --policy "$T/drop.cfg" --plugins "$PLUGINS" --access-point lenient "$T/mixed2.ndjson"
expect_eq "drop_record: two skipped: counted, the first named (record 2, line 3)" "$RC:$OUT:$ERR" \
	"0:{\"a\": 1}:runtime: $T/mixed2.ndjson: 2 records skipped under on_error = \"drop_record\"; the first: record 2 (line 3): invalid JSON: missing ':' after key (byte 4 of the record)"
# a line that leaves an object or array open may be the first of a value
# written across lines, whose other lines would pass as records ("41.5"
# of a price): not skipped, the object fails
printf '{"a": 1}\n{"sku": 1, "price":\n41.5\n, "discount":\n"3.2"}\n' >"$T/wrapped.ndjson"
run "$RT" --policy "$T/drop.cfg" --plugins "$PLUGINS" --access-point lenient "$T/wrapped.ndjson"
expect_eq "drop_record: a value written across lines: exit 7, nothing written" "$RC:$OUT" "7:"
expect_eq "drop_record: a value written across lines: said why" "$ERR" \
	"runtime: $T/wrapped.ndjson: record 2 (line 2) leaves an object or array open at the line's end: a value written across lines, whose other lines would pass as records of their own, is not a record to skip (on_error = \"drop_record\"): invalid JSON: truncated JSON (unexpected end of record) (byte 19 of the record)"
# a long message about a key of control bytes: the first skip reads as
# the failure under on_error = "fail" would, one line and cut alike
cat >"$T/date.cfg" <<'CFG'
access_points = (
  { name = "lenient"; on_error = "drop_record";
    chain = ( { plugin = "mask_fields"; paths = [ "*" ]; op = "truncate_date"; } ); },
  { name = "strict"; chain = ( { plugin = "mask_fields"; paths = [ "*" ]; op = "truncate_date"; } ); } );
CFG
{ printf '{"a": "2026-01-01"}\n{"'; for _ in $(seq 64); do printf '\\u0001'; done; printf '": "x"}\n'; } >"$T/ctl.ndjson"
run "$RT" --policy "$T/date.cfg" --plugins "$PLUGINS" --access-point strict "$T/ctl.ndjson"
failed=${ERR#"runtime: $T/ctl.ndjson: "}
run "$RT" --policy "$T/date.cfg" --plugins "$PLUGINS" --access-point lenient "$T/ctl.ndjson"
expect_eq "drop_record: a long first skip, control bytes shown \\xNN, reads as on_error = fail's" \
	"$RC:$ERR" \
	"0:runtime: $T/ctl.ndjson: 1 record skipped under on_error = \"drop_record\"; the first: $failed"
expect_contains "drop_record: ... that message is the step's, cut" "$failed" 'record 2 (line 2): step 1 (mask_fields) failed: op '"'"'truncate_date'"'"' cannot mask a string at member "\x01\x01'
printf '{"a": 1}\n' >"$T/clean.ndjson"
run "$RT" --policy "$T/drop.cfg" --plugins "$PLUGINS" --access-point lenient "$T/clean.ndjson"
expect_eq "drop_record: nothing skipped, nothing said" "$RC:$ERR" "0:"

# ---- any framing: parses, and no dropped key survives ----
printf '{"price":1,"p\\u0072ice":2,"pr\\u0069ce":3,"ok":{"price":4},"discount":[1]}\n' >"$T/hidden.ndjson"
"${F[@]}" "$T/hidden.ndjson" >"$T/hidden.out"
expect_eq "escaped spellings and duplicates dropped, nested price kept" \
	"$(cat "$T/hidden.out")" '{"ok":{"price":4}}'

# ---- a presigned URL given where a file goes: its secrets never print ----
U='https://u:SECRETPW@b.s3.amazonaws.com/k.json?X-Amz-Security-Token=SECRETTOK&X-Amz-Signature=SECRETSIG#SECRETFRAG'
SHOWN='https://<redacted>@b.s3.amazonaws.com/k.json?<redacted>'
for args in "filter input" "event" "unexpected argument" "make-event --file"; do
	case $args in
	"filter input") run "${F[@]}" "$U"; want=6 ;;
	event) run "$RT" --event "$U" --policy "$POL" --plugins "$PLUGINS"; want=5 ;;
	"unexpected argument") run "$RT" --check-policy "$POL" --plugins "$PLUGINS" "$U"; want=2 ;;
	"make-event --file") run "$RT" --make-event --access-point x --file "$U"; want=2 ;;
	esac
	expect_eq "a presigned URL as $args: exit $want" "$RC" "$want"
	expect_contains "a presigned URL as $args: shown redacted" "$ERR" "$SHOWN"
	expect_lacks "a presigned URL as $args: no secret printed" "$ERR" SECRET
done

# ... nor one that misses its "//" (which no reader takes for a URL), nor
# one given as the output
for u in 'http:/127.0.0.1/k.json?X-Amz-Signature=SECRETSIG' 'file:k.json#X-Amz-Signature=SECRETSIG' \
	'k.json?X-Amz-Signature=SECRETSIG'; do
	run "${F[@]}" "$u"
	expect_eq "a URL without its // as the input ($u): exit 6" "$RC" 6
	expect_lacks "a URL without its // as the input ($u): no secret printed" "$ERR" SECRET
done
run "${F[@]}" "$T/clean.ndjson" -o "$U"
expect_eq "a presigned URL as the output: exit 9" "$RC" 9
expect_contains "a presigned URL as the output: shown redacted" "$ERR" "$SHOWN"
expect_lacks "a presigned URL as the output: no secret printed" "$ERR" SECRET

# ... nor one whose credentials sit where no '?' or '//' marks them, nor a
# policy or plugin directory given as one (in Lambda mode the log keeps
# these lines)
for u in 'http://127.0.0.1:1/k.json%3FX-Amz-Credential=AKIA%2F1%26X-Amz-Signature=SECRETSIG' \
	'http://127.0.0.1:1/k.json;X-Amz-Signature=SECRETSIG' 'http://127.0.0.1:1/k.json&X-Amz-Signature=SECRETSIG' \
	'http:/user:SECRETPW@127.0.0.1:1/k.json' 'http:user:SECRETPW@127.0.0.1:1/k.json' \
	'http://user:SECRET?PW@127.0.0.1:1/k.json' 'http://h/k%58-Amz-Signature=SECRETSIG'; do
	run "${F[@]}" "$u"
	expect_eq "a URL with hidden credentials as the input ($u): exit 6" "$RC" 6
	expect_lacks "a URL with hidden credentials as the input ($u): no secret printed" "$ERR" SECRET
done
run "$RT" --policy "$U" --access-point x </dev/null
expect_eq "a presigned URL as the policy: exit 3" "$RC" 3
expect_contains "a presigned URL as the policy: shown redacted" "$ERR" "$SHOWN"
expect_lacks "a presigned URL as the policy: no secret printed" "$ERR" SECRET
INFLIGHT_POLICY="$U" run "$RT" --check-policy "$U"
expect_lacks "a presigned URL to --check-policy: no secret printed" "$ERR" SECRET
run "$RT" --check-policy "$POL" --plugins "$PLUGINS.none:$U"
expect_eq "a presigned URL among the plugin directories: exit 3" "$RC" 3
expect_contains "a presigned URL among the plugin directories: the others named" "$ERR" \
	"no drop_fields.so in $PLUGINS.none (no such directory):https (no such directory)://u (no such directory):<redacted>"
expect_lacks "a presigned URL among the plugin directories: no secret printed" "$ERR" SECRET
# --make-event's --header values are never echoed: a token, a customer key
for h in 'x-amz-server-side-encryption-customer-key=SECRETKEY' 'SECRETTOKENxyz+/abc==' 'SECRETAAECAwQF='; do
	run "$RT" --make-event --access-point x --url http://127.0.0.1:1/b/k.json --header "$h"
	expect_eq "--header $h (no ':'): exit 2" "$RC" 2
	expect_contains "--header $h (no ':'): said why" "$ERR" "--header wants NAME:VALUE"
	expect_lacks "--header $h (no ':'): none of it shown" "$ERR" SECRET
done
run "$RT" --make-event --access-point x --url http://127.0.0.1:1/b/k.json \
	--header 'X-Amz-Security-Token:' SECRETTOKEN
expect_eq "--header's value as an argument of its own: exit 2" "$RC" 2
expect_lacks "--header's value as an argument of its own: not shown" "$ERR" SECRET

# ---- what a message quotes from the command line stays on one line ----
run "$RT" --check-policy "$POL" --plugins "$PLUGINS" $'extra\nruntime: forged'
expect_eq "an argument holding a newline: exit 2, one line" \
	"$RC:$(printf '%s\n' "$ERR" | wc -l)" "2:1"
expect_contains "an argument holding a newline: shown as \\x0a" "$ERR" \
	'unexpected argument: extra\x0aruntime: forged'
mkdir -p "$T/pol"$'\n'dir && cp "$POL" "$T/pol"$'\n'dir/
run "$RT" --check-policy "$T/pol"$'\n'dir/store-events.cfg --plugins "$PLUGINS"
expect_eq "check-policy's ok for a path holding a newline: a line, and one for its access point" \
	"$RC:$OUT" "0:ok: $T/pol\x0adir/store-events.cfg: 1 access point
  lambda-consumer: 1 step, fused ($T/pol\x0adir/store-events.cfg:8)"
# a policy's errors name its file on one line, as do the files its
# options name and what a plugin says about them
D="$T/pol"$'\n'dir
printf 'version = 1;\naccess_points = ( { name = "a"; chain = ( { plugin = "nope"; } ); } );\n' >"$D/plugin.cfg"
printf 'version = 1;\naccess_points = ( { name = "a"; chain = ( { plugin = "enrich";\n  lookup_file = "none.csv"; lookup_key = "k"; } ); } );\n' >"$D/file.cfg"
printf 'k,v\n1,"x\n' >"$D/bad.csv"
printf 'version = 1;\naccess_points = ( { name = "a"; chain = ( { plugin = "enrich";\n  lookup_file = "bad.csv"; lookup_key = "k"; } ); } );\n' >"$D/table.cfg"
printf 'version = 1;\naccess_points = ( { name = ; } );\n' >"$D/syntax.cfg"
mkdir -p "$D/empty"
for c in "plugin.cfg:2: unknown plugin 'nope'" \
	"file.cfg:3: plugin 'enrich': option 'lookup_file': cannot read file $T/pol\\x0adir/none.csv" \
	"table.cfg:2: plugin 'enrich': $T/pol\\x0adir/bad.csv:2: unterminated" \
	"syntax.cfg:2: syntax error" "nothing.cfg: cannot read policy" "empty: no *.cfg"; do
	run "$RT" --check-policy "$D/${c%%:*}" --plugins "$PLUGINS"
	expect_eq "a policy error under a path holding a newline (${c%%:*}): exit 3, one line" \
		"$RC:$(printf '%s\n' "$ERR" | wc -l)" "3:1"
	expect_contains "  ... the path shown as \\x0a" "$ERR" "$T/pol\\x0adir/$c"
done
run env AWS_USE_FIPS_ENDPOINT=$'yes\nruntime: ok' "${F[@]}" "$T/in.ndjson"
expect_eq "AWS_USE_FIPS_ENDPOINT holding a newline: exit 2, one line" \
	"$RC:$(printf '%s\n' "$ERR" | wc -l)" "2:1"

# ---- --make-event writes events only for names an access point can have ----
run "$RT" --make-event --access-point ops/lambda-consumer --file README.md --key store_events/x.json
expect_eq "--make-event --access-point with '/': exit 2, no event" "$RC:$OUT" "2:"
expect_contains "--make-event --access-point with '/': the rule named" "$ERR" \
	"--access-point 'ops/lambda-consumer': not a name an access point can have"
run env AWS_REGION='us east' "$RT" --make-event --access-point ops --file README.md --key k
expect_eq "--make-event with an AWS_REGION no region has: exit 2, no event" "$RC:$OUT" "2:"
expect_contains "--make-event with a bad AWS_REGION: named" "$ERR" "AWS_REGION='us east'"

# ---- a reader gone (| head): a write error, exit 9, not death by SIGPIPE ----
"$PRODUCER" --ndjson "$T/pipe.ndjson" --size 2M --seed 5 --quiet >/dev/null 2>&1
"${F[@]}" "$T/pipe.ndjson" 2>"$T/pipe.err" | head -c 10 >/dev/null
expect_eq "stdout closed by its reader: exit 9" "${PIPESTATUS[0]}" 9
expect_eq "stdout closed by its reader: one line saying so" "$(cat "$T/pipe.err")" \
	"runtime: stdout: write failed: Broken pipe"

# ---- closed standard descriptors: no file the runtime opens takes their place ----
# a plugin's log line went to descriptor 2, which -o's file had taken
cat >"$T/chatty.cfg" <<'CFG'
access_points = ( { name = "c"; chain = ( { plugin = "boom"; } ); } );
CFG
printf '{"a":"chatty"}\n{"b":2}\n' >"$T/chatty.ndjson"
# (the binary itself: valgrind cannot start without a stderr)
"$BUILD/bin/runtime" --policy "$T/chatty.cfg" --plugins "$PLUGINS:$BUILD/test-plugins" --access-point c \
	-o "$T/chatty.out" <"$T/chatty.ndjson" 2>&-
expect_eq "stderr closed: exit 0" "$?" 0
expect_eq "stderr closed: -o holds the records and no log line" \
	"$(cat "$T/chatty.out")" "$(cat "$T/chatty.ndjson")"
# ---- a plugin that ends the process: no success, no output file ----
B=("$RT" --policy "$T/chatty.cfg" --plugins "$PLUGINS:$BUILD/test-plugins" --access-point c)
printf '{"a":1}\n{"b":"callexit"}\n{"c":3}\n' >"$T/callexit.ndjson"
mkdir "$T/ended"
run "${B[@]}" "$T/callexit.ndjson" -o "$T/ended/out.ndjson"
expect_eq "a plugin's exit(0) with -o: exit 8" "$RC" 8
expect_contains "a plugin's exit(0): said so" "$ERR" \
	"runtime: the process was ended by exit() before the work was done"
expect_eq "a plugin's exit(0) with -o: no file, no temporary left" "$(ls -A "$T/ended")" ""
run "${B[@]}" "$T/callexit.ndjson"
expect_eq "a plugin's exit(0) to stdout: exit 8" "$RC" 8
printf '{"a":1}\n{"b":"callabort"}\n' >"$T/callabort.ndjson"
run "${B[@]}" "$T/callabort.ndjson" -o "$T/ended/out.ndjson"
expect_eq "a plugin's abort() with -o: killed by SIGABRT" "$RC" 134
expect_eq "a plugin's abort() with -o: no file, no temporary left" "$(ls -A "$T/ended")" ""
expect_contains "a plugin's abort(): said so, not a silent death" "$ERR" \
	"runtime: the process was aborted (SIGABRT) before the work was done"
# a plugin that exhausts the stack: the handler runs on its own stack, so
# the message and the removal still happen, on the main thread and on a
# worker (a sanitizer's or valgrind's own report replaces the handler)
if [ -z "${INFLIGHT_SAN:-}" ] && [ "${INFLIGHT_VALGRIND:-}" != 1 ]; then
	printf '{"a":1}\n{"b":"overflow"}\n' >"$T/overflow.ndjson"
	"$PY" -c 'import sys; s = "".join("{\"i\":%d}\n" % i for i in range(200000)); sys.stdout.write(s + "{\"b\":\"overflow\"}\n" + s)' \
		>"$T/overflow-big.ndjson"
	for f in overflow overflow-big; do
		run env INFLIGHT_THREADS=4 "${B[@]}" "$T/$f.ndjson" -o "$T/ended/out.ndjson"
		expect_eq "$f: a plugin's stack overflow with -o: killed by SIGSEGV" "$RC" 139
		expect_contains "$f: ... said so" "$ERR" \
			"runtime: the process crashed (SIGSEGV) before the work was done"
		expect_eq "$f: ... no file, no temporary left" "$(ls -A "$T/ended")" ""
	done
else
	skip "a plugin's stack overflow (the sanitizer or valgrind reports it)"
fi
# other crashes and quick_exit() are no different
printf '{"a":1}\n{"b":"divzero"}\n' >"$T/divzero.ndjson"
if [ -z "${INFLIGHT_SAN:-}" ]; then
	run "${B[@]}" "$T/divzero.ndjson" -o "$T/ended/out.ndjson"
	expect_eq "a plugin's division by zero: killed by SIGFPE" "$RC" 136
	expect_contains "  ... said so" "$ERR" "runtime: the process crashed (SIGFPE) before the work was done"
	expect_eq "  ... no file, no temporary left" "$(ls -A "$T/ended")" ""
else
	skip "a plugin's SIGFPE (the sanitizer reports it)"
fi
printf '{"a":1}\n{"b":"quickexit"}\n' >"$T/quickexit.ndjson"
run "${B[@]}" "$T/quickexit.ndjson" -o "$T/ended/out.ndjson"
expect_eq "a plugin's quick_exit(0): exit 8, not a success" "$RC" 8
expect_eq "  ... no file, no temporary left" "$(ls -A "$T/ended")" ""
# --check-policy: an exit() in fini after "ok" keeps the "ok" and exit 0
run env BOOM_FINI=exit "$RT" --check-policy "$T/chatty.cfg" --plugins "$PLUGINS:$BUILD/test-plugins"
expect_eq "--check-policy, exit(0) in fini: ok printed, exit 0" "$RC:${OUT%%:*}" "0:ok"
# a file over the size limit is a failed write, exit 9, not SIGXFSZ
"$PY" -c 'import sys; sys.stdout.write("".join("{\"i\":%d}\n" % i for i in range(20000)))' >"$T/plain.ndjson"
run bash -c 'ulimit -f 1; exec "$@"' _ "${B[@]}" "$T/plain.ndjson" -o "$T/ended/out.ndjson"
expect_eq "an output over ulimit -f: exit 9" "$RC" 9
expect_eq "  ... no file, no temporary left" "$(ls -A "$T/ended")" ""
# a plugin's exit() or abort() in fini, after the result: the result's
# exit status, no word of an incomplete output
printf '{"a":1}\n' >"$T/fine.ndjson"
run env BOOM_FINI=exit "${B[@]}" "$T/fine.ndjson" -o "$T/ended/out.ndjson"
expect_eq "exit(0) in fini after success: exit 0, the output in place" \
	"$RC:$(cat "$T/ended/out.ndjson")" '0:{"a":1}'
expect_lacks "  ... no word of an incomplete output" "$ERR" "not complete"
rm -f "$T/ended/out.ndjson"
run env BOOM_FINI=exit "${B[@]}" "$T/callexit.ndjson" -o "$T/ended/out.ndjson"
expect_eq "exit(0) in a record, then in fini: still exit 8" "$RC" 8
printf '{"x":"boom"}\n' >"$T/boom.ndjson"
run env BOOM_FINI=exit "${B[@]}" "$T/boom.ndjson" -o "$T/ended/out.ndjson"
expect_eq "exit(0) in fini after a failed record: the failure's exit 8" "$RC" 8
expect_contains "  ... the failure named" "$ERR" "found boom"
expect_eq "  ... no file" "$(ls -A "$T/ended")" ""
# event mode: the status line every other failure of the mode prints,
# the access point's error_status with TransformFailed
cat >"$T/ended.cfg" <<'CFG'
access_points = ( { name = "c"; error_status = 403; chain = ( { plugin = "boom"; } ); } );
CFG
E=("$RT" --event "$T/ended.json" --policy "$T/ended.cfg" --plugins "$PLUGINS:$BUILD/test-plugins")
"$RT" --make-event --access-point c --file "$T/callexit.ndjson" --key k -o "$T/ended.json"
run "${E[@]}"
expect_eq "event mode, a plugin's exit(0): exit 8" "$RC" 8
expect_eq "event mode, a plugin's exit(0): status line first" "$(head -n 1 <<<"$ERR")" \
	"status: 403 TransformFailed"
expect_eq "event mode, a plugin's exit(0): nothing on stdout" "$OUT" ""
"$RT" --make-event --access-point c --file "$T/callabort.ndjson" --key k -o "$T/ended.json"
run "${E[@]}"
expect_eq "event mode, a plugin's abort(): killed by SIGABRT" "$RC" 134
expect_eq "event mode, a plugin's abort(): status line first" "$(head -n 1 <<<"$ERR")" \
	"status: 403 TransformFailed"
expect_eq "event mode, a plugin's abort(): then why" "$(sed -n 2p <<<"$ERR")" \
	"runtime: the process was aborted (SIGABRT) before the work was done (a plugin's?): the output is not complete"
# ... and after its result, one status line only; before it (a plugin's
# init), the status of a policy that does not load
"$RT" --make-event --access-point c --file "$T/fine.ndjson" --key k -o "$T/ended.json"
run env BOOM_FINI=abort "${E[@]}"
expect_eq "event mode, abort() in fini after success: one status line" \
	"$(grep -c '^status: ' <<<"$ERR")" 1
expect_lacks "  ... no word of an incomplete output" "$ERR" "not complete"
run env BOOM_INIT=exit "${E[@]}"
expect_eq "event mode, exit(0) in init: exit 8" "$RC" 8
expect_eq "  ... the status of a policy that does not load" "$(head -n 1 <<<"$ERR")" \
	"status: 500 PolicyUnavailable"

"${F[@]}" "$T/in.ndjson" >&- 2>"$T/closed.err"
expect_eq "stdout closed: exit 9" "$?" 9
expect_eq "stdout closed: one line saying so" "$(cat "$T/closed.err")" \
	"runtime: stdout: write failed: Bad file descriptor"
"${F[@]}" <&- >"$T/closed.out" 2>"$T/closed.err"
expect_eq "stdin closed: exit 6, no output" "$?:$(wc -c <"$T/closed.out")" "6:0"
expect_eq "stdin closed: one line saying so" "$(cat "$T/closed.err")" \
	"runtime: stdin: read failed: Bad file descriptor"

# ---- the input is one version of one file, never the output ----
cp "$T/in.ndjson" "$T/self.ndjson"
"${F[@]}" "$T/self.ndjson" >>"$T/self.ndjson" 2>"$T/self.err"
expect_eq "input appended to as stdout: exit 2, the input untouched" \
	"$?:$(cmp -s "$T/in.ndjson" "$T/self.ndjson" && echo same)" "2:same"
expect_contains "input appended to as stdout: said why" "$(cat "$T/self.err")" \
	"self.ndjson: is the output too: it would read what it writes"
"${F[@]}" <"$T/self.ndjson" >>"$T/self.ndjson" 2>"$T/self.err"
expect_eq "stdin appended to as stdout: exit 2" "$?" 2
# a file cut while it is read: the runtime is held in a write to a full
# pipe (at most about 1.5 MB read of 20) while the reader cuts it
"$PRODUCER" --ndjson "$T/cut.ndjson" --size 20M --seed 6 --quiet >/dev/null 2>&1
{ "${F[@]}" "$T/cut.ndjson" 2>"$T/cut.err"; echo $? >"$T/cut.rc"; } |
	{ head -c 1000 >/dev/null; truncate -s 1M "$T/cut.ndjson"; cat >/dev/null; }
expect_eq "input cut while read: exit 6" "$(cat "$T/cut.rc")" 6
expect_contains "input cut while read: said so" "$(cat "$T/cut.err")" \
	"cut.ndjson: changed while it was read (cut, grown or rewritten)"

# ---- '-' is stdin in every message ----
printf '{"a":}\n' >"$T/bad1.ndjson"
run "${F[@]}" - <"$T/bad1.ndjson"
expect_contains "input '-': a record error names stdin" "$ERR" "runtime: stdin: record 1"
cat >"$T/lenient.cfg" <<'CFG'
access_points = ( { name = "l"; format = "ndjson"; on_error = "drop_record";
  chain = ( { plugin = "drop_fields"; paths = [ "price" ]; } ); } );
CFG
run "$RT" --policy "$T/lenient.cfg" --plugins "$PLUGINS" --access-point l - <"$T/bad1.ndjson"
expect_contains "input '-': the skip count names stdin" "$ERR" "runtime: stdin: 1 record skipped"

finish
