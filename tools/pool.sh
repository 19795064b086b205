# shellcheck shell=bash
# A job pool for the test runners (sourced by run-checks.sh and
# run-blackbox.sh): runs `RUN i` for i = 0..COUNT-1, at most JOBS at
# once, each in the background, and calls `REPORT i` in the calling shell
# in index order, each as soon as it and every one before it are done, so
# the output reads as a serial run would. RUN writes what REPORT needs
# under $POOL_DIR (a temp dir, removed when the caller exits); REPORT can
# read how long RUN took with `pool_secs i`.
# usage: pool_run JOBS RUN REPORT COUNT

# Checks a JOBS value; prints a one-line error naming VAR when it is bad.
pool_jobs() { # VAR VALUE
	if [[ $2 =~ ^[1-9][0-9]{0,3}$ ]]; then
		echo "$2"
	else
		echo "$(basename "$0"): $1 must be a number from 1 to 9999, not '$2'" >&2
		return 2
	fi
}

# Seconds job i ran (after it is done).
pool_secs() {
	cat "$POOL_DIR/$1.secs"
}

pool_run() {
	local max=$1 run=$2 report=$3 count=$4 i next=0
	POOL_DIR=$(mktemp -d)
	trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$POOL_DIR"' EXIT
	for ((i = 0; i < count; i++)); do
		while [ "$(jobs -rp | wc -l)" -ge "$max" ]; do
			wait -n
		done
		{
			start=$SECONDS
			"$run" "$i"
			echo $((SECONDS - start)) >"$POOL_DIR/$i.secs"
			: >"$POOL_DIR/$i.done"
		} &
		while [ -e "$POOL_DIR/$next.done" ]; do
			"$report" "$next"; next=$((next + 1))
		done
	done
	wait
	for ((; next < count; next++)); do
		"$report" "$next"
	done
}
