#!/usr/bin/env bash
# `make bench`: inflight beside a Python Object Lambda function, jq and cat.
# usage: tools/bench/run.sh BUILD
# Environment: SIZE (256M), ROUNDS (5), SEED (42), BIG (1), BIG_SIZE (1G),
# DOCS (2000), STARTUP_RUNS (50), KEEP (0); see tools/bench/bench.py.
# Data and outputs go under BUILD/bench; the table also to BUILD/bench/results.md.
set -eu
build=${1:?usage: tools/bench/run.sh BUILD}
cd "$(dirname "$0")/../.."
for tool in /usr/bin/python3 /usr/bin/time; do
	if [ ! -x "$tool" ]; then
		echo "bench: $tool is missing: apt-get install python3 time" >&2
		exit 1
	fi
done
command -v jq >/dev/null || echo "bench: jq is not installed: its row is n/a (apt-get install jq)" >&2
exec /usr/bin/python3 tools/bench/bench.py "$build"
