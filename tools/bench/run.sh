#!/usr/bin/env bash
# `make bench`: inflight beside a Python Object Lambda function, jq, two
# hand-specialised programs (simdjson, jsmn), a validation reference
# (simdjson validating only) and cat.
# usage: tools/bench/run.sh BUILD
# Environment: SIZE (256M), ROUNDS (5), SEED (42), BIG (1), BIG_SIZE (1G),
# DOCS (2000), STARTUP_RUNS (50), KEEP (0); see tools/bench/bench.py.
# Data and outputs go under BUILD/bench; the table also to BUILD/bench/results.md.
set -eu
case ${1:-} in -h | --help) # the comment above, as help
	sed -n '2,/^set -/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
esac
build=${1:?usage: tools/bench/run.sh BUILD}
cd "$(dirname "$0")/../.."
for tool in /usr/bin/python3 /usr/bin/time; do
	if [ ! -x "$tool" ]; then
		echo "bench: $tool is missing: apt-get install python3 time" >&2
		exit 1
	fi
done
# jq and simdjson give rows of their own; as root they are installed here
# (tools/deps.sh), otherwise their rows say n/a
tools/deps.sh jq libsimdjson-dev g++ 2>/dev/null ||
	echo "bench: to get every row: sudo apt-get install -y jq libsimdjson-dev g++" >&2
command -v jq >/dev/null || echo "bench: jq is not installed: its row is n/a" >&2
ref=$build/bench/ref
mkdir -p "$ref"
${CC:-cc} -O2 -o "$ref/ref_jsmn" tools/bench/ref_jsmn.c
# built for this CPU (-march=native), as a user chasing speed would
if [ -f /usr/include/simdjson.h ] && command -v g++ >/dev/null; then
	g++ -O3 -march=native -std=c++17 -o "$ref/ref_simdjson" tools/bench/ref_simdjson.cpp -lsimdjson
	g++ -O3 -march=native -std=c++17 -pthread -o "$ref/ref_validate" \
		tools/bench/ref_validate.cpp -lsimdjson
else
	rm -f "$ref/ref_simdjson" "$ref/ref_validate"
	echo "bench: libsimdjson-dev or g++ is not installed: the simdjson rows are n/a" >&2
fi
exec /usr/bin/python3 tools/bench/bench.py "$build"
