#!/usr/bin/env bash
# Style checks that a reviewer should not have to make: banned unsafe
# calls, cppcheck over the C sources, a build without warnings under gcc,
# clang and gcc with the sanitizers, and shellcheck over the scripts.
# usage: tools/lint.sh   (exit status non-zero on any finding)
set -u
case ${1:-} in -h | --help) # the comment above, as help
	sed -n '2,/^set -/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
esac
if [ $# -gt 0 ]; then
	echo "lint.sh: takes no arguments: $1 (usage: tools/lint.sh)" >&2
	exit 2
fi
cd "$(dirname "$0")/.." || exit 1
rc=0
jobs=$(nproc 2>/dev/null || echo 1)
src=$(git ls-files '*.c' '*.h' 2>/dev/null || find core runtime plugins tools tests -name '*.[ch]')

banned='\b(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|gets)[[:space:]]*\('
if grep -nE "$banned" $src; then
	echo "lint: banned calls above (use snprintf, inf_buf, strtol, strtok_r)"
	rc=1
fi

if command -v cppcheck >/dev/null; then
	cppcheck -j "$jobs" --quiet --error-exitcode=1 --std=c11 --inline-suppr \
		--enable=warning,portability --suppress=missingIncludeSystem \
		--suppress=varFuncNullUB \
		-I core -I core/include -I runtime $src || rc=1
else
	echo "lint: cppcheck not installed (apt-get install cppcheck)"; rc=1
fi

# the sources build without a warning under each compiler installed, and
# under gcc's sanitizer flags (its flow analysis differs there)
for build in gcc clang gcc-san; do
	cc=${build%-san}
	san=
	[ "$build" = gcc-san ] && san=1
	if ! command -v "$cc" >/dev/null; then
		echo "lint: $cc not installed: its warnings cannot be checked (make lint installs it)"
		rc=1
		continue
	fi
	mkdir -p build/lint
	if ! make -s --no-print-directory -j"$jobs" BUILD="build/lint/$build" CC="$cc -Werror" SAN=$san \
		build-tests >"build/lint/$build.log" 2>&1; then
		grep -E 'error|warning' "build/lint/$build.log" | head -20
		echo "lint: the build has warnings under $build (build/lint/$build.log)"
		rc=1
	fi
done

if command -v shellcheck >/dev/null; then
	mapfile -t scripts < <(git ls-files '*.sh' .ci/run 2>/dev/null)
	shellcheck -S warning "${scripts[@]}" || rc=1
fi
[ $rc -eq 0 ] && echo "lint: clean"
exit $rc
