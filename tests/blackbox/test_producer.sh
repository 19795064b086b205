#!/usr/bin/env bash
# Black-box test of the store-events producer (tools/producer/).
#
#   tests/blackbox/test_producer.sh [BUILD_DIR]     (from the repo root;
#                                                    BUILD_DIR default build)
#
# Drives BUILD_DIR/bin/producer and checks its output with Debian's
# /usr/bin/python3: the --dir tree (keys, key order, value ranges, summary),
# determinism, --ndjson and --size, usage errors and exit codes, and PUTs to
# s3rver on 127.0.0.1 (tests/servers/s3rver.sh) read back with boto3 (or
# botocore alone when python3-boto3 is absent). Each check runs in a
# subshell under `set -e`, so any failing command fails that check only.
# Last line: "N passed, M failed"; the exit status is non-zero when
# anything failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BUILD=${1:-build}
PROD=$PWD/$BUILD/bin/producer
[[ $BUILD == /* ]] && PROD=$BUILD/bin/producer
PY=/usr/bin/python3
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_producer.XXXXXX")
S3DIR=$TMP/s3
passed=0
failed=0

cleanup() {
	tests/servers/s3rver.sh stop "$S3DIR" >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT

# check NAME FUNCTION [ARGS...]: runs FUNCTION in a `set -e` subshell.
check() {
	local name=$1 rc
	shift
	set +e
	( set -e; "$@" ) >"$TMP/check.log" 2>&1
	rc=$?
	set -e
	if (( rc == 0 )); then
		passed=$((passed + 1))
		echo "ok   - $name"
	else
		failed=$((failed + 1))
		echo "FAIL - $name"
		sed -e 's/^/       /' "$TMP/check.log" | tail -n 40
	fi
}

free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Validates a --dir tree against the event schema and a summary line:
# validate_tree DIR SUMMARY_FILE STDERR_FILE EXPECTED_COUNT [now]
# ("now": event times must be within a minute of the current UTC time)
validate_tree() {
	"$PY" - "$@" <<'PYEOF'
import json, os, re, sys
root, summary_file, stderr_file, want = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
near_now = sys.argv[5:] == ["now"]
ORDER = ["request_id", "cust_id", "category", "store_id", "evnt_time", "evnt_type",
         "price", "discount", "sku", "item_variant", "gift_wrap", "qty",
         "priority_shipping", "contact_me", "is_return", "bad_msg"]
CATS = {"Books", "Games", "Mobiles", "Groceries", "Shoes", "Stationaries", "Laptops",
        "Tablets", "Notebooks", "Camera", "Printers", "Monitors", "Speakers",
        "Projectors", "Cables", "Furniture"}
KEY = re.compile(r"^store_events/(sales_event|inventory_event)/dt=(\d{4})_(\d\d)_(\d\d)/(\d+)(\d{6})\.json$")
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$")
import datetime
def fail(msg):
    sys.exit("FAIL: " + msg)
def is_int(v, lo, hi):
    return type(v) is int and lo <= v <= hi
events = []
for dirpath, _, files in os.walk(root):
    for f in files:
        path = os.path.join(dirpath, f)
        key = os.path.relpath(path, root)
        m = KEY.match(key)
        if not m:
            fail("bad key %r" % key)
        body = open(path, "rb").read()
        if body.endswith(b"\n"):
            fail("body ends with a newline: %s" % key)
        ev = json.loads(body.decode("utf-8"))
        if not isinstance(ev, dict):
            fail("not an object: %s" % key)
        keys = list(ev)
        bad = "bad_msg" in ev
        want_keys = [k for k in ORDER
                     if not (k == "store_id" and bad)
                     and not (k == "is_return" and "is_return" not in ev)
                     and not (k == "bad_msg" and not bad)]
        if keys != want_keys:
            fail("key order %r in %s" % (keys, key))
        if json.dumps(ev).encode() != body:
            fail("not json.dumps form: %s" % key)
        if not UUID4.match(ev["request_id"]): fail("request_id %r" % ev["request_id"])
        if not is_int(ev["cust_id"], 100, 999): fail("cust_id %r" % ev["cust_id"])
        if ev["category"] not in CATS: fail("category %r" % ev["category"])
        if not bad and not is_int(ev["store_id"], 1, 10): fail("store_id %r" % ev.get("store_id"))
        if bad and ("store_id" in ev or ev["bad_msg"] is not True): fail("bad message %s" % key)
        if "is_return" in ev and ev["is_return"] is not True: fail("is_return %r" % ev["is_return"])
        if not TIME.match(ev["evnt_time"]): fail("evnt_time %r" % ev["evnt_time"])
        t = datetime.datetime.fromisoformat(ev["evnt_time"])
        if t.isoformat() != ev["evnt_time"]: fail("evnt_time not isoformat: %r" % ev["evnt_time"])
        if ev["evnt_type"] != m.group(1): fail("evnt_type vs key: %s" % key)
        if (t.year, t.month, t.day) != tuple(int(m.group(i)) for i in (2, 3, 4)): fail("dt= vs evnt_time: %s" % key)
        epoch = int(t.replace(tzinfo=datetime.timezone.utc).timestamp())
        if (epoch, t.microsecond) != (int(m.group(5)), int(m.group(6))): fail("key name vs evnt_time: %s" % key)
        if near_now and abs(datetime.datetime.utcnow() - t) > datetime.timedelta(minutes=1):
            fail("evnt_time %s is not the current UTC time" % ev["evnt_time"])
        p, d = ev["price"], ev["discount"]
        if type(p) is not float or not 0 <= p < 100 or round(p, 2) != p: fail("price %r" % p)
        if type(d) is not float or not 0 <= d < 20 or round(d, 1) != d: fail("discount %r" % d)
        if not is_int(ev["sku"], 18981, 189281): fail("sku %r" % ev["sku"])
        if ev["item_variant"] not in ("black", "red"): fail("item_variant %r" % ev["item_variant"])
        if type(ev["gift_wrap"]) is not bool: fail("gift_wrap %r" % ev["gift_wrap"])
        if not is_int(ev["qty"], 1, 38): fail("qty %r" % ev["qty"])
        if type(ev["priority_shipping"]) is not bool: fail("priority_shipping")
        if ev["contact_me"] != "github.com/miztiik": fail("contact_me %r" % ev["contact_me"])
        events.append((ev["evnt_time"], key, ev))
if len(events) != want:
    fail("%d files, want %d" % (len(events), want))
if len({e[0] for e in events}) != want:
    fail("event times are not unique")
events.sort()
lines = open(summary_file).read().splitlines()
if len(lines) != 1:
    fail("stdout has %d lines, want the summary only" % len(lines))
s = json.loads(lines[0])
if list(s) != ["status", "tot_msgs", "bad_msgs", "sales_evnts", "inventory_evnts", "tot_sales"]:
    fail("summary keys %r" % list(s))
sales = [e for _, _, e in events if e["evnt_type"] == "sales_event"]
tot = 0.0
for e in sales:
    tot += e["price"]
want_s = {"status": True, "tot_msgs": want,
          "bad_msgs": sum("bad_msg" in e for _, _, e in events),
          "sales_evnts": len(sales), "inventory_evnts": want - len(sales),
          "tot_sales": round(tot, 2)}
if s != want_s or json.dumps(want_s) != lines[0]:
    fail("summary %s, want %s" % (lines[0], json.dumps(want_s)))
wrote = [l for l in open(stderr_file).read().splitlines()]
if sorted(wrote) != sorted("wrote " + k for _, k, _ in events):
    fail("stderr does not list each object once: %r" % wrote[:3])
print("ok: %d events, summary %s" % (want, lines[0]))
PYEOF
}

t_binary() {
	[[ -x $PROD ]]
	"$PROD" --version | grep -q '^producer '
	"$PROD" --help >"$TMP/help"
	# a help that cannot be printed says so, exit 5
	local rc=0
	"$PROD" --help >/dev/full 2>"$TMP/full.err" || rc=$?
	(( rc == 5 )) && grep -q '^producer: cannot print to stdout' "$TMP/full.err"
	for opt in --count --size --seed --start --dir --endpoint --bucket --region \
		--ndjson --quiet --help --version "default: ./bucket" "default 12" \
		"Exit status"; do
		grep -q -- "$opt" "$TMP/help" || { echo "help lacks $opt"; exit 1; }
	done
}

t_dir() {
	"$PROD" --count 50 --seed 7 --dir "$TMP/t1" >"$TMP/t1.out" 2>"$TMP/t1.err"
	validate_tree "$TMP/t1" "$TMP/t1.out" "$TMP/t1.err" 50
	# no temporary files left behind
	[[ -z $(find "$TMP/t1" -name '.*' -type f) ]]
}

t_default_run() {
	# no seed: real clock (UTC), default count 12, default --dir ./bucket
	mkdir -p "$TMP/cwd"
	(cd "$TMP/cwd" && "$PROD") >"$TMP/def.out" 2>"$TMP/def.err"
	validate_tree "$TMP/cwd/bucket" "$TMP/def.out" "$TMP/def.err" 12 now
	# the real clock never repeats a microsecond, even at full speed
	"$PROD" -q --count 5000 --ndjson "$TMP/def.nd" >/dev/null
	"$PY" - "$TMP/def.nd" <<'PYEOF'
import datetime, json, sys
times = [datetime.datetime.fromisoformat(json.loads(l)["evnt_time"]) for l in open(sys.argv[1])]
assert len(times) == 5000
assert all(a < b for a, b in zip(times, times[1:])), "times not strictly increasing"
assert abs(datetime.datetime.utcnow() - times[0]) < datetime.timedelta(minutes=1), times[0]
PYEOF
	# -q: no per-object lines
	(cd "$TMP/cwd" && "$PROD" -q --count 3) >/dev/null 2>"$TMP/def.err"
	[[ ! -s $TMP/def.err ]]
}

t_determinism() {
	"$PROD" -q --count 50 --seed 7 --dir "$TMP/t1" >/dev/null
	"$PROD" -q --count 50 --seed 7 --dir "$TMP/t1b" >"$TMP/t1b.out"
	diff -r "$TMP/t1" "$TMP/t1b"
	cmp "$TMP/t1.out" "$TMP/t1b.out"
	"$PROD" -q --count 50 --seed 8 --dir "$TMP/t1c" >/dev/null
	if diff -rq "$TMP/t1" "$TMP/t1c" >/dev/null; then
		echo "seed 8 gave the same tree as seed 7"
		exit 1
	fi
	"$PROD" -q --count 300 --seed 9 --start 2026-11-28T23:59:50 --ndjson "$TMP/d1" >/dev/null
	"$PROD" -q --count 300 --seed 9 --start 2026-11-28T23:59:50 --ndjson "$TMP/d2" >/dev/null
	cmp "$TMP/d1" "$TMP/d2"
	# --start is honoured and the day rolls over into dt=2026_11_29
	local first
	read -r first <"$TMP/d1"
	[[ $first == *'"evnt_time": "2026-11-28T23:59:50", '* ]]
	grep -q '"evnt_time": "2026-11-29T' "$TMP/d1"
}

t_ndjson() {
	"$PROD" --count 1000 --seed 1 --ndjson "$TMP/n1" >"$TMP/n1.out" 2>/dev/null
	"$PY" - "$TMP/n1" "$TMP/n1.out" <<'PYEOF'
import json, sys
data = open(sys.argv[1], "rb").read()
assert data.endswith(b"\n"), "no final newline"
lines = data.split(b"\n")[:-1]
assert len(lines) == 1000, "%d lines" % len(lines)
evs = [json.loads(l) for l in lines]
assert all(isinstance(e, dict) and json.dumps(e).encode() == l for e, l in zip(evs, lines))
s = json.loads(open(sys.argv[2]).read())
assert s["tot_msgs"] == 1000 and s["bad_msgs"] == sum("bad_msg" in e for e in evs), s
print("ok")
PYEOF
	"$PROD" -q --count 20000 --seed 2 --ndjson "$TMP/n2" >/dev/null
	"$PY" - "$TMP/n2" <<'PYEOF'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
n = len(evs)
bad = sum("bad_msg" in e for e in evs) / n
ret = sum("is_return" in e for e in evs) / n
sales = sum(e["evnt_type"] == "sales_event" for e in evs) / n
print("n=%d bad=%.3f is_return=%.3f sales=%.3f" % (n, bad, ret, sales))
assert n == 20000
assert 0.15 <= bad <= 0.23, bad
assert 0.45 <= ret <= 0.55, ret
assert 0.45 <= sales <= 0.55, sales
assert all(("store_id" in e) != ("bad_msg" in e) for e in evs)
PYEOF
	"$PROD" -q --size 1M --seed 3 --ndjson "$TMP/n3" >/dev/null
	local size
	size=$(stat -c %s "$TMP/n3")
	echo "--size 1M wrote $size bytes"
	(( size >= 1048576 && size < 1048576 + 1024 ))
	[[ $(tail -c 1 "$TMP/n3" | od -An -c | tr -d ' ') == '\n' ]]
	# streamed: 64 MiB of output in well under 64 MiB of memory
	"$PY" - "$PROD" <<'PYEOF'
import resource, subprocess, sys
subprocess.run([sys.argv[1], "-q", "--seed", "1", "--size", "64M", "--ndjson", "/dev/null"],
               check=True, stdout=subprocess.DEVNULL)
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print("max RSS for --size 64M: %d KiB" % rss)
assert rss < 40 * 1024, rss
PYEOF
	# a device is written in place: /dev/null is still the null device
	[[ -c /dev/null && $(stat -c %t:%T /dev/null) == 1:3 ]]
	# "-" is stdout: only NDJSON there, the summary goes to stderr
	"$PROD" --count 5 --seed 1 --ndjson - >"$TMP/n4" 2>"$TMP/n4.err"
	[[ $(wc -l <"$TMP/n4") -eq 5 ]]
	if grep -q tot_msgs "$TMP/n4"; then exit 1; fi
	grep -q '^{"status": true, "tot_msgs": 5,' "$TMP/n4.err"
}

# expect_usage ARGS...: exit 2 and exactly one "producer: ..." line on stderr.
expect_usage() {
	local rc=0
	"$PROD" "$@" >"$TMP/u.out" 2>"$TMP/u.err" || rc=$?
	if (( rc != 2 )) || [[ $(wc -l <"$TMP/u.err") -ne 1 ]] ||
		! grep -q '^producer: .* (.*)$' "$TMP/u.err" || [[ -s $TMP/u.out ]]; then
		echo "args: $*: exit $rc, want 2 and one line; stderr:"
		cat "$TMP/u.err"
		exit 1
	fi
	echo "exit 2: $*: $(cat "$TMP/u.err")"
}

t_tmp_link() {
	# the object's temporary name is .<name>.<pid>.tmp beside it: a link
	# planted there (a shared directory) is not written through, and a
	# file left there is replaced, not appended to or kept
	"$PROD" -q --count 1 --seed 11 --dir "$TMP/tl" >/dev/null
	local obj name dir
	obj=$(find "$TMP/tl" -type f ! -name '.*')
	name=$(basename "$obj")
	dir=$(dirname "$obj")
	cp "$obj" "$TMP/tl.want"
	rm "$obj"
	printf 'victim\n' >"$TMP/victim"
	# exec keeps the shell's pid, so $$ is the producer's
	sh -c 'ln -s "$1" "$2/.$3.$$.tmp" && exec "$4" -q --count 1 --seed 11 --dir "$5"' \
		sh "$TMP/victim" "$dir" "$name" "$PROD" "$TMP/tl" >/dev/null
	[[ $(cat "$TMP/victim") == victim ]]
	cmp "$obj" "$TMP/tl.want"
	[[ ! -L $obj ]]
	rm "$obj"
	sh -c 'printf stale >"$2/.$3.$$.tmp" && exec "$4" -q --count 1 --seed 11 --dir "$5"' \
		sh "$TMP/victim" "$dir" "$name" "$PROD" "$TMP/tl" >/dev/null
	cmp "$obj" "$TMP/tl.want"
	[[ -z $(find "$TMP/tl" -name '.*' -type f) && -z $(find "$TMP/tl" -type l) ]]
}

# --ndjson over an existing file: replaced whole, keeping its mode, owner
# and group; a file of two links (or one the run cannot replace) is
# written in place, so both names see the events
t_ndjson_replace() {
	local f="$TMP/rep.nd"
	printf 'old\n' >"$f"
	chmod 600 "$f"
	"$PROD" -q --count 3 --seed 4 --ndjson "$f" >/dev/null
	[[ $(stat -c %a "$f") == 600 && $(wc -l <"$f") == 3 ]]
	ln -f "$f" "$TMP/rep.link"
	"$PROD" -q --count 5 --seed 4 --ndjson "$f" >/dev/null
	[[ $(wc -l <"$TMP/rep.link") == 5 ]]
	cmp -s "$f" "$TMP/rep.link"
	[[ -z $(find "$TMP" -maxdepth 1 -name '.rep.nd.*') ]]
}

# a new file, and each --dir object, is made with mode 0644 less the
# umask (not 0600, and no mode of a file that was not there)
t_new_mode() {
	umask 022
	rm -f "$TMP/new.nd"
	"$PROD" -q --count 3 --seed 4 --ndjson "$TMP/new.nd" >/dev/null
	stat -c '%a %u:%g %n' "$TMP/new.nd"
	[[ $(stat -c %a "$TMP/new.nd") == 644 && $(wc -l <"$TMP/new.nd") == 3 ]]
	[[ $(stat -c %u:%g "$TMP/new.nd") == "$(id -u):$(id -g)" ]]
	"$PROD" -q --count 5 --seed 4 --dir "$TMP/newdir" >/dev/null
	[[ $(find "$TMP/newdir" -type f | wc -l) == 5 ]]
	[[ -z $(find "$TMP/newdir" -type f ! -perm 644) ]]
	umask 027
	rm -f "$TMP/new.nd"
	"$PROD" -q --count 3 --seed 4 --ndjson "$TMP/new.nd" >/dev/null
	[[ $(stat -c %a "$TMP/new.nd") == 640 ]]
}

# a name too long for its temporary name (.NAME.PID.tmp passes NAME_MAX):
# written in place, all events, exit 0, nothing left beside it
t_ndjson_long_name() {
	local name f
	name=$(printf 'n%.0s' {1..250})
	f="$TMP/$name"
	"$PROD" -q --count 4 --seed 4 --ndjson "$f" >/dev/null
	[[ -f $f && $(wc -l <"$f") == 4 ]]
	# over an existing file too: truncated, not appended to
	printf 'old\nold\nold\nold\nold\nold\n' >"$f"
	"$PROD" -q --count 2 --seed 4 --ndjson "$f" >/dev/null
	[[ $(wc -l <"$f") == 2 ]]
	[[ $(grep -c old "$f") == 0 ]]
	[[ -z $(find "$TMP" -maxdepth 1 -name ".n*") ]]
	rm -f "$f"
}

# the replaced file keeps its owner and its group, each on its own: as
# root a file of nobody:nogroup (65534), and one whose group alone is
# another; not root, a group of this user's other than its own
t_ndjson_owner() {
	local f="$TMP/own.nd" g
	if (( $(id -u) == 0 )); then
		printf 'old\n' >"$f"
		chown 65534:65534 "$f"
		chmod 640 "$f"
		"$PROD" -q --count 3 --seed 4 --ndjson "$f" >/dev/null
		stat -c '%a %u:%g' "$f"
		[[ $(stat -c %u "$f") == 65534 ]]
		[[ $(stat -c %g "$f") == 65534 ]]
		[[ $(stat -c %a "$f") == 640 && $(wc -l <"$f") == 3 ]]
		g=65534
	else
		g=$(id -G | tr ' ' '\n' | grep -vx "$(id -g)" | head -n 1 || true)
		if [[ -z $g ]]; then
			echo "skipped: not root, and no second group"
			return 0
		fi
	fi
	rm -f "$f"
	printf 'old\n' >"$f"
	chgrp "$g" "$f"
	"$PROD" -q --count 3 --seed 4 --ndjson "$f" >/dev/null
	stat -c '%a %u:%g' "$f"
	[[ $(stat -c %u "$f") == "$(id -u)" ]]
	[[ $(stat -c %g "$f") == "$g" ]]
	[[ $(wc -l <"$f") == 3 && -z $(find "$TMP" -maxdepth 1 -name '.own.nd.*') ]]
}

# --ndjson NAME without a slash: its temporary name is .NAME.PID.tmp in
# the current directory, and a link planted there is replaced, not
# written through
t_ndjson_relative() {
	mkdir "$TMP/rel"
	# a link left by a failure would be a temporary file to kill_when_tmp
	trap 'cd / && rm -rf "$TMP/rel"' EXIT
	cd "$TMP/rel"
	# exec keeps the shell's pid, so $$ is the producer's
	sh -c 'ln -s victim ".rel.nd.$$.tmp" && exec "$1" -q --count 3 --seed 4 --ndjson rel.nd' \
		sh "$PROD" >/dev/null
	ls -lA
	[[ ! -e victim && ! -L victim ]]
	[[ -f rel.nd && ! -L rel.nd && $(wc -l <rel.nd) == 3 ]]
	# the link is gone and no other temporary name was left
	[[ $(ls -A) == rel.nd ]]
}

# --ndjson onto a FIFO: written in place, it stays a FIFO and its reader
# gets every event
t_ndjson_fifo() {
	local p="$TMP/fifo.nd" pid
	mkfifo "$p"
	timeout 60 cat "$p" >"$TMP/fifo.out" &
	pid=$!
	"$PROD" -q --count 7 --seed 4 --ndjson "$p" >/dev/null
	if [[ ! -p $p ]]; then
		kill "$pid" || true
		echo "$p is not a FIFO any more"
		exit 1
	fi
	wait "$pid"
	[[ $(wc -l <"$TMP/fifo.out") == 7 ]]
	"$PROD" -q --count 7 --seed 4 --ndjson - | cmp - "$TMP/fifo.out"
	[[ -z $(find "$TMP" -maxdepth 1 -name '.fifo.nd.*') ]]
}

# Ends a run of `$@` by signal $1 while it has a temporary file (glob
# $3 under directory $2): stops it, looks, and goes on until one exists,
# then sends the signal. Fails unless the signal ended it (status 128 +
# N), or when no such file showed (400 looks, 20 ms apart).
kill_when_tmp() {
	local sig=$1 dir=$2 glob=$3 pid i st
	shift 3
	"$@" &
	pid=$!
	for ((i = 0; i < 400; i++)); do
		kill -STOP "$pid"
		[[ -n $(find "$dir" -name "$glob" -print -quit 2>/dev/null) ]] && break
		kill -CONT "$pid"
		sleep 0.02
	done
	kill -"$sig" "$pid"
	kill -CONT "$pid"
	st=0
	wait "$pid" || st=$?
	echo "kill_when_tmp $sig: $i looks, status $st"
	(( i < 400 && st == 128 + $(kill -l "$sig") ))
}

t_signal_cleanup() {
	local f="$TMP/sig.nd"
	printf 'before\n' >"$f"
	kill_when_tmp TERM "$TMP" '.sig.nd.*' "$PROD" -q --size 2G --seed 5 --ndjson "$f"
	[[ $(cat "$f") == before && -z $(find "$TMP" -name '.sig.nd.*') ]]
	# objects of a whole run first: the signal may come in the first
	# object of the next, and what the directory holds is still checked
	"$PROD" -q --count 3 --seed 6 --dir "$TMP/sigdir" >/dev/null
	kill_when_tmp HUP "$TMP/sigdir" '.*.tmp' "$PROD" -q --count 1000000000 --seed 5 --dir "$TMP/sigdir"
	[[ -z $(find "$TMP/sigdir" -name '.*.tmp') ]]
	# every file there is a whole event
	local n=0 obj
	while IFS= read -r -d '' obj; do
		jq -e . "$obj" >/dev/null
		(( ++n < 50 )) || break
	done < <(find "$TMP/sigdir" -type f -print0)
	(( n > 0 ))
}

t_usage() {
	cd "$TMP"
	expect_usage --bogus
	expect_usage -x
	expect_usage --count abc
	expect_usage --count -1
	expect_usage --count 12x
	expect_usage --count 99999999999999999999999
	expect_usage --count
	expect_usage --seed 1.5
	expect_usage --seed -1
	expect_usage --count +5
	expect_usage --count " 5"
	expect_usage --count ""
	expect_usage --size 5X --ndjson "$TMP/u.nd"
	expect_usage --start yesterday
	# events that could pass the year 9999: refused before any is written
	expect_usage --start 9999-12-31T23:59:59 --count 1000 --dir "$TMP/u"
	grep -q 'could pass the year 9999: give an earlier time (--start)' "$TMP/u.err"
	# ... with --size the count is not known: the run stops there, exit 2,
	# leaving no partial file, and a file that was there as it was
	expect_usage --start 9999-12-31T23:59:59 --size 1M --ndjson "$TMP/late.nd"
	grep -q 'event time after year 9999: give an earlier time (--start)' "$TMP/u.err"
	[[ ! -e $TMP/late.nd && -z $(find "$TMP" -maxdepth 1 -name '.late.nd.*') ]]
	printf 'before\n' >"$TMP/late.nd"
	expect_usage --start 9999-12-31T23:59:59 --size 1M --ndjson "$TMP/late.nd"
	[[ $(cat "$TMP/late.nd") == before && -z $(find "$TMP" -maxdepth 1 -name '.late.nd.*') ]]
	expect_usage --endpoint http://127.0.0.1:1
	# keys are appended to the endpoint's path: a query would swallow them
	expect_usage --endpoint 'http://127.0.0.1:1/?X-Amz-Signature=zz' --bucket bkt
	grep -q 'no query or fragment (--endpoint)' "$TMP/u.err"
	expect_usage --endpoint 'http://127.0.0.1:1/#x' --bucket bkt
	expect_usage --dir "$TMP/u" --endpoint http://127.0.0.1:1 --bucket bkt
	expect_usage --dir "$TMP/u" --ndjson "$TMP/u.nd"
	expect_usage --size 1M --dir "$TMP/u"
	expect_usage --size 1M --count 3 --ndjson "$TMP/u.nd"
	expect_usage --size 1T --ndjson "$TMP/u.nd"
	expect_usage --bucket bkt
	# a bucket S3 would not name: "." and ".." are dot segments, which
	# libcurl removes, so the objects went to another bucket
	for bad in . .. ab UPPER -dash a..b "$(printf 'b%.0s' {1..64})"; do
		expect_usage --endpoint http://127.0.0.1:1 --bucket "$bad"
		grep -q "bad bucket name" "$TMP/u.err"
	done
	expect_usage --endpoint http:// --bucket bkt
	grep -q 'an endpoint names a host (--endpoint)' "$TMP/u.err"
	expect_usage --endpoint http:///x --bucket bkt
	for e in http://127.0.0.1:1/.. http://127.0.0.1:1/./x http://127.0.0.1:1/x/.; do
		expect_usage --endpoint "$e" --bucket bkt
		grep -q "no '.' or '..' segment" "$TMP/u.err"
	done
	expect_usage --quiet=1
	grep -q 'option takes no value (--quiet)' "$TMP/u.err"
	expect_usage --s 3
	grep -q 'unknown or ambiguous option (--s)' "$TMP/u.err"
	(
		export AWS_REGION=EU AWS_ACCESS_KEY_ID=k AWS_SECRET_ACCESS_KEY=s
		expect_usage --endpoint http://127.0.0.1:1 --bucket bkt
	)
	grep -q "bad region 'EU' (AWS_REGION)" "$TMP/u.err"
	expect_usage stray-argument
	# each option once (a second was a silent override), and --help
	# after the whole line parses
	expect_usage --count 1 --count 2 --ndjson "$TMP/u.nd"
	grep -q 'option given twice (--count)' "$TMP/u.err"
	expect_usage --dir "$TMP/u" --dir "$TMP/u2"
	expect_usage --help --bogus
	(
		unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
		expect_usage --endpoint http://127.0.0.1:1 --bucket bkt
	)
	grep -q 'credentials' "$TMP/u.err"
	(
		export AWS_ACCESS_KEY_ID=k
		unset AWS_SECRET_ACCESS_KEY
		expect_usage --endpoint http://127.0.0.1:1 --bucket bkt
	)
	# nothing was written by any of them
	[[ ! -e $TMP/u && ! -e $TMP/u.nd && ! -e $TMP/bucket ]]
}

t_io_error() {
	local rc=0
	"$PROD" -q --count 2 --seed 1 --dir /dev/null/x >"$TMP/io.out" 2>"$TMP/io.err" || rc=$?
	cat "$TMP/io.err"
	(( rc == 5 ))
	[[ $(wc -l <"$TMP/io.err") -eq 1 ]]
	grep -q '^producer: .*(/dev/null' "$TMP/io.err"
	[[ ! -s $TMP/io.out ]]
	rc=0
	"$PROD" -q --count 2 --ndjson /nonexistent-dir/x.ndjson >/dev/null 2>"$TMP/io.err" || rc=$?
	cat "$TMP/io.err"
	(( rc == 5 ))
	# a reader that goes away: a write error with its line, not SIGPIPE
	local st
	st=$("$PROD" -q --count 100000 --ndjson - 2>"$TMP/io.err" | head -c 10 >/dev/null
		echo "${PIPESTATUS[0]}")
	cat "$TMP/io.err"
	[[ $st == 5 ]]
	[[ $(cat "$TMP/io.err") == "producer: write failed: Broken pipe (stdout)" ]]
}

t_s3rver_start() {
	free_port >"$TMP/port"
	tests/servers/s3rver.sh start "$S3DIR" "$(cat "$TMP/port")" store-events
}

t_s3_put() {
	local port
	port=$(cat "$TMP/port")
	AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER \
		"$PROD" --endpoint "http://127.0.0.1:$port" --bucket store-events \
		--count 20 --seed 3 >"$TMP/s3.out" 2>"$TMP/s3.err"
	"$PROD" -q --count 20 --seed 3 --dir "$TMP/s3ref" >"$TMP/s3ref.out"
	cmp "$TMP/s3.out" "$TMP/s3ref.out"
	[[ $(grep -c '^wrote store_events/' "$TMP/s3.err") -eq 20 ]]
	PORT=$port "$PY" - "$TMP/s3ref" <<'PYEOF'
import os, sys
from botocore.config import Config
try:
    import boto3
    client = boto3.client
except ImportError:  # python3-botocore alone has the same client
    import botocore.session
    client = botocore.session.get_session().create_client
ref = sys.argv[1]
s3 = client("s3", endpoint_url="http://127.0.0.1:%s" % os.environ["PORT"],
            aws_access_key_id="S3RVER", aws_secret_access_key="S3RVER",
            region_name="us-east-1", config=Config(s3={"addressing_style": "path"}))
keys = []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket="store-events"):
    keys += [o["Key"] for o in page.get("Contents", [])]
want = sorted(os.path.relpath(os.path.join(d, f), ref)
              for d, _, fs in os.walk(ref) for f in fs)
assert len(want) == 20, len(want)
assert sorted(keys) == want, (sorted(keys)[:3], want[:3])
for k in keys:
    obj = s3.get_object(Bucket="store-events", Key=k)
    body = obj["Body"].read()
    assert body == open(os.path.join(ref, k), "rb").read(), k
    assert obj["ContentType"] == "application/json", (k, obj["ContentType"])
print("ok: %d objects identical to --dir" % len(keys))
PYEOF
}

t_s3_no_bucket() {
	local port rc=0
	port=$(cat "$TMP/port")
	AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER \
		"$PROD" -q --endpoint "http://127.0.0.1:$port" --bucket no-such-bucket \
		--count 2 --seed 3 >"$TMP/nb.out" 2>"$TMP/nb.err" || rc=$?
	cat "$TMP/nb.err"
	(( rc == 5 ))
	[[ $(wc -l <"$TMP/nb.err") -eq 1 ]]
	grep -q '^producer: .*HTTP 404 NoSuchBucket' "$TMP/nb.err"
	if grep -q S3RVER "$TMP/nb.err"; then exit 1; fi
	[[ ! -s $TMP/nb.out ]]
}

t_s3_refused() {
	local port rc=0
	port=$(free_port)
	AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER \
		"$PROD" -q --endpoint "http://127.0.0.1:$port" --bucket store-events \
		--count 1 >/dev/null 2>"$TMP/rf.err" || rc=$?
	cat "$TMP/rf.err"
	(( rc == 5 ))
	[[ $(wc -l <"$TMP/rf.err") -eq 1 ]]
	# credentials in the endpoint never reach the message
	rc=0
	AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER \
		"$PROD" -q --endpoint "http://user:SECRETPW@127.0.0.1:$port" --bucket store-events \
		--count 1 >/dev/null 2>"$TMP/rf.err" || rc=$?
	cat "$TMP/rf.err"
	(( rc == 5 ))
	grep -q '^producer: PUT failed: .*(http://<redacted>@127.0.0.1:' "$TMP/rf.err"
	if grep -q SECRETPW "$TMP/rf.err"; then exit 1; fi
}

# A server on 127.0.0.1 that answers the first FAILS PUTs with 503
# SlowDown and the others with THEN (200, or an error status), logging
# each PUT's path: flaky FAILS THEN PORTFILE LOG
flaky() {
	"$PY" - "$@" <<'PYEOF'
import sys
sys.path.insert(0, "tests/servers")
import http.server, loopback
fails, then, port_file, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
seen = [0]

class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_PUT(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        seen[0] += 1
        with open(log, "a") as f:
            f.write(self.path + "\n")
        if seen[0] <= fails:
            body = b"<Error><Code>SlowDown</Code></Error>"
            self.send_response(503)
        elif then == 200:
            body = b""
            self.send_response(200)
        else:
            body = b"<Error><Code>AccessDenied</Code></Error>"
            self.send_response(then)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

sys.exit(loopback.serve(H, port_file))
PYEOF
}

# S3's "try again" answers are retried, as the SDKs do, a bounded number
# of times: one 503 no longer ends a long run part-way
# put_flaky FAILS THEN: 3 events PUT to a flaky FAILS THEN server; sets
# RC, the producer's status; $TMP/fl.log holds the paths the server got.
put_flaky() {
	local pid
	rm -f "$TMP/fl.port" "$TMP/fl.log"
	flaky "$1" "$2" "$TMP/fl.port" "$TMP/fl.log" &
	pid=$!
	for _ in $(seq 100); do [[ -s $TMP/fl.port ]] && break; sleep 0.05; done
	RC=0
	AWS_ACCESS_KEY_ID=k AWS_SECRET_ACCESS_KEY=s \
		"$PROD" -q --endpoint "http://127.0.0.1:$(cat "$TMP/fl.port")" --bucket store-events \
		--count 3 --seed 3 >"$TMP/fl.out" 2>"$TMP/fl.err" || RC=$?
	kill "$pid"
	cat "$TMP/fl.err"
}

t_s3_retry() {
	put_flaky 2 200
	(( RC == 0 ))
	# the first object sent three times, the other two once
	[[ $(wc -l <"$TMP/fl.log") -eq 5 ]]
	[[ $(sort -u "$TMP/fl.log" | wc -l) -eq 3 ]]
	# always 503: three attempts, then exit 5 saying so
	put_flaky 1000 200
	(( RC == 5 ))
	[[ $(wc -l <"$TMP/fl.log") -eq 3 ]]
	grep -q '^producer: PUT failed with HTTP 503 SlowDown, the last of 3 attempts (http://127.0.0.1:' "$TMP/fl.err"
	# a 503, then a refusal: not retried again, and the count is true
	put_flaky 1 403
	(( RC == 5 ))
	[[ $(wc -l <"$TMP/fl.log") -eq 2 ]]
	grep -q '^producer: PUT failed with HTTP 403 AccessDenied, the last of 2 attempts (http://127.0.0.1:' "$TMP/fl.err"
}

check "binary, --version and --help" t_binary
check "--dir: 50 events, keys, schema, summary" t_dir
check "default run: real clock, 12 events in ./bucket" t_default_run
check "determinism: same seed same bytes, other seed differs" t_determinism
check "--ndjson: lines, rates, --size, stdout" t_ndjson
check "--dir: a link or a file at the temporary name is not written through" t_tmp_link
check "--ndjson over a file: its mode kept; two links written in place" t_ndjson_replace
check "a new --ndjson file and --dir objects: mode 0644 less the umask" t_new_mode
check "--ndjson NAME too long for its temporary name: written in place" t_ndjson_long_name
check "--ndjson over a file: its owner and its group kept" t_ndjson_owner
check "--ndjson without a slash: a link at the temporary name is replaced" t_ndjson_relative
check "--ndjson onto a FIFO: stays a FIFO, its reader gets the events" t_ndjson_fifo
check "killed by TERM or HUP: no temporary file left, the old file kept" t_signal_cleanup
check "usage errors exit 2 with one line" t_usage
check "I/O errors exit 5 with one line" t_io_error
check "s3rver starts on 127.0.0.1" t_s3rver_start
check "PUT to s3rver: 20 objects equal to --dir" t_s3_put
check "PUT to a missing bucket: exit 5, NoSuchBucket" t_s3_no_bucket
check "PUT to a closed port: exit 5" t_s3_refused
check "PUT answered 503: retried, at most three times" t_s3_retry

echo "$passed passed, $failed failed"
(( failed == 0 ))
