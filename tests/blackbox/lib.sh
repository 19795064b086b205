# shellcheck shell=bash disable=SC2034  # variables are for the tests that source this
# Shared by the black-box tests: counters, assertions, a temp dir that is
# removed on exit, and the local object server. Source it after setting
# nothing; BUILD is the first argument of the test script.
set -u
BUILD=${1:-build}
RT="$BUILD/bin/runtime"
PRODUCER="$BUILD/bin/producer"
PLUGINS="$BUILD/plugins"
PY=/usr/bin/python3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T=$(mktemp -d)
_pass=0
_fail=0
_pids=()
# HEAVY=0 under sanitizers (INFLIGHT_SAN 1: ASan, thread: TSan) or
# valgrind: skip what only measures memory or needs hundreds of megabytes
HEAVY=1
case "${INFLIGHT_SAN:-}" in 1 | thread) HEAVY=0 ;; esac
[ "${INFLIGHT_VALGRIND:-}" = 1 ] && HEAVY=0
# INFLIGHT_VALGRIND=1: the binaries run under valgrind memcheck; an error
# or a definite leak makes them exit 99, which no test expects
if [ "${INFLIGHT_VALGRIND:-}" = 1 ]; then
	for b in runtime producer; do
		cat >"$T/vg-$b" <<VG
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite "$(cd "$BUILD" && pwd)/bin/$b" "\$@"
VG
		chmod +x "$T/vg-$b"
	done
	RT="$T/vg-runtime"
	PRODUCER="$T/vg-producer"
fi

_cleanup() {
	for p in "${_pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap _cleanup EXIT

_skip=0
ok() { _pass=$((_pass + 1)); echo "ok - $1"; }
# skip WHAT: a check that cannot run here; counted apart, never as a pass
skip() { _skip=$((_skip + 1)); echo "skip - $1"; }
not_ok() { _fail=$((_fail + 1)); echo "FAIL - $1: $2"; }

# expect_eq NAME ACTUAL EXPECTED
expect_eq() {
	if [ "$2" == "$3" ]; then ok "$1"; else not_ok "$1" "got [$2], want [$3]"; fi
}

# expect_contains NAME HAYSTACK NEEDLE
expect_contains() {
	if [[ $2 == *"$3"* ]]; then ok "$1"; else not_ok "$1" "[$2] lacks [$3]"; fi
}

# expect_lacks NAME HAYSTACK NEEDLE
expect_lacks() {
	if [[ $2 == *"$3"* ]]; then not_ok "$1" "[$2] holds [$3]"; else ok "$1"; fi
}

# expect_absent NAME PATH (a third argument is a mistake for expect_lacks)
expect_absent() {
	if [ $# -ne 2 ]; then not_ok "$1" "expect_absent takes NAME PATH"
	elif [ -e "$2" ]; then not_ok "$1" "$2 exists"; else ok "$1"; fi
}

# expect_files_eq NAME GOT WANT
expect_files_eq() {
	if cmp -s "$2" "$3"; then ok "$1"; else not_ok "$1" "$(diff <(head -c 2000 "$2") <(head -c 2000 "$3") | head -n 6)"; fi
}

finish() {
	echo "$_pass passed, $_fail failed, $_skip skipped"
	[ "$_fail" -eq 0 ]
}

# Waits (bounded) until FILE exists; returns 1 on timeout.
wait_file() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# Starts the object server on 127.0.0.1 serving DIR; sets OBJ_PORT. More
# arguments go to the server (e.g. --log FILE).
start_object_server() {
	local pf="$T/objport.$RANDOM"
	"$PY" "$HERE/../servers/object_server.py" --root "$1" --port-file "$pf" "${@:2}" &
	_pids+=($!)
	wait_file "$pf" || { echo "object server did not start"; return 1; }
	OBJ_PORT=$(cat "$pf")
}

# Runs a command, capturing stdout, stderr and the exit status into
# OUT, ERR, RC.
run() {
	OUT=$("$@" 2>"$T/stderr") && RC=0 || RC=$?
	ERR=$(cat "$T/stderr")
}
