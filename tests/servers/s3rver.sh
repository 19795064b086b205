#!/usr/bin/env bash
# Starts and stops s3rver 3.7.1 (npm, pinned in tests/package.json), the fake
# S3 of the black-box tests, on 127.0.0.1 only.
#
#   tests/servers/s3rver.sh start DIR PORT BUCKET [BUCKET...]
#       data in DIR, pid in DIR.pid, log in DIR.log; the buckets are created
#       at start; returns once http://127.0.0.1:PORT/ answers (at most
#       S3RVER_WAIT seconds, default 10), non-zero if it never does.
#   tests/servers/s3rver.sh stop DIR
#       stops the server started with DIR (TERM, then KILL after 5 s).
#
# Runs `npm ci --prefix tests` first when tests/node_modules is missing.
# Credentials are S3RVER / S3RVER; s3rver never verifies signatures.
# Run from anywhere: paths are resolved from this script's location.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tests=$(dirname "$here")

die() { echo "s3rver.sh: $*" >&2; exit 1; }

alive() { kill -0 "$1" 2>/dev/null; }

start() {
	[[ $# -ge 3 ]] || die "usage: start DIR PORT BUCKET [BUCKET...]"
	local dir=$1 port=$2 pid i tries
	shift 2
	[[ $port =~ ^[0-9]+$ ]] || die "bad port ($port)"
	if [[ ! -d $tests/node_modules/s3rver ]]; then
		npm ci --prefix "$tests" --no-audit --no-fund >&2 ||
			die "npm ci failed ($tests/package.json)"
	fi
	mkdir -p "$dir"
	local args=(-d "$dir" -a 127.0.0.1 -p "$port" --silent)
	for b in "$@"; do
		args+=(--configure-bucket "$b")
	done
	NODE_OPTIONS=--openssl-legacy-provider \
		node "$tests/node_modules/s3rver/bin/s3rver.js" "${args[@]}" \
		>"$dir.log" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$dir.pid"
	tries=$(( ${S3RVER_WAIT:-10} * 10 ))
	for (( i = 0; i < tries; i++ )); do
		if ! alive "$pid"; then
			cat "$dir.log" >&2 || true
			rm -f "$dir.pid"
			die "s3rver exited at start (port $port)"
		fi
		if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then
			return 0
		fi
		sleep 0.1
	done
	kill "$pid" 2>/dev/null || true
	rm -f "$dir.pid"
	die "s3rver did not answer within ${S3RVER_WAIT:-10} s (port $port)"
}

stop() {
	[[ $# -eq 1 ]] || die "usage: stop DIR"
	local pidfile=$1.pid pid i
	[[ -f $pidfile ]] || return 0
	pid=$(<"$pidfile")
	if [[ $pid =~ ^[0-9]+$ ]] && alive "$pid"; then
		kill "$pid" 2>/dev/null || true
		for (( i = 0; i < 50; i++ )); do
			alive "$pid" || break
			sleep 0.1
		done
		if alive "$pid"; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$pidfile"
}

case ${1:-} in
start) shift; start "$@" ;;
stop) shift; stop "$@" ;;
*) die "usage: $0 start DIR PORT BUCKET [BUCKET...] | stop DIR" ;;
esac
