#!/usr/bin/env bash
# Builds the AWS Lambda packages (runtime provided.al2023) from a build
# directory, for the machine's architecture (x86_64, or arm64 when run on
# an arm64 Debian 12):
#
#   OUT/function.zip  bootstrap       /bin/sh script at the zip root (0755)
#                     bin/runtime     the runtime (0755)
#                     lib/            every shared library the runtime needs,
#                                     glibc and its dynamic loader included,
#                                     and libcurl (loaded when first needed)
#   OUT/layer.zip     inflight/plugins/   the plugins (*.so)
#                     inflight/policies/  the policies and the files beside
#                                         them (lookup tables)
#                     lib/            libraries the plugins need that the
#                                     function does not ship
#
# Lambda unpacks the function at /var/task and the layer at /opt. bootstrap
# execs bin/runtime through the shipped loader with the library path
# "<bootstrap's dir>/lib:$INFLIGHT_LIBRARY_PATH" (default /opt/lib), so the
# host's own C library and libraries (AL2023 has glibc 2.34; Debian 12's
# binaries need 2.36) are never used. The packages are checked before they
# are written: the shipped loader lists (ldd) the runtime, libcurl and every plugin
# against the packaged lib/ directories only, and any library that is
# missing or resolves outside the package fails the run; then the packaged
# runtime loads every policy of the layer (--check-policy; environment
# variables named by options ending in _env, such as mask_fields' key_env,
# get a placeholder and are listed at the end, each policy file with the
# stack parameters that set its key, PolicyKeyName and PolicyKey; a policy
# whose key would be one of the runtime's own settings fails). bootstrap
# exports the stack's key under PolicyKeyName's name. On a failure no
# zip is left in OUT (an older one is removed first); the unpacked tree
# stays in OUT/stage for a look.
#
# usage: tools/package.sh BUILD [--out DIR] [--policies DIR]... [--plugin FILE.so]...
#   BUILD            build directory (bin/runtime, plugins/*.so)
#   --out DIR        where the zips go (default BUILD/dist)
#   --policies DIR   copy DIR's files into inflight/policies/ (repeatable;
#                    default: the repository's policies/)
#   --plugin FILE    add one more plugin to BUILD/plugins/*.so (repeatable);
#                    its libraries are found as ldd finds them, so set
#                    LD_LIBRARY_PATH for libraries outside the system dirs
# Environment: SOURCE_DATE_EPOCH fixes the files' times in the zips
# (default: the last commit's time), so the same tree gives the same zips.
set -euo pipefail
case ${1:-} in -h | --help) # the comment above, as help
	sed -n '2,/^set -/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
me=tools/package.sh

die() { echo "$me: $*" >&2; exit 1; }
usage() { die "usage: $me BUILD [--out DIR] [--policies DIR]... [--plugin FILE.so]..."; }

[ $# -ge 1 ] || usage
build=$1
shift
out=
policy_dirs=()
extra_plugins=()
while [ $# -gt 0 ]; do
	case $1 in
	--out | --policies | --plugin)
		# a value, never empty (an empty --out read as the default)
		[ $# -ge 2 ] || die "$1 needs a value"
		[ -n "$2" ] || die "$1 needs a non-empty value"
		case $1 in
		--out) [ -z "$out" ] || die "--out given twice"; out=$2 ;;
		--policies) policy_dirs+=("$2") ;;
		--plugin) extra_plugins+=("$2") ;;
		esac
		shift 2 ;;
	-h | --help) sed -n '2,/^set -/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
	*) usage ;;
	esac
done
out=${out:-$build/dist}
[ ${#policy_dirs[@]} -gt 0 ] || policy_dirs=("$root/policies")

# ldconfig is in /usr/sbin, which is not on a Debian user's PATH: make
# package works for any user, not only root.
PATH=$PATH:/usr/sbin:/sbin
for tool in zip ldd ldconfig readlink sha256sum; do
	command -v "$tool" >/dev/null ||
		die "'$tool' is missing: run 'make deps' (it installs zip and unzip), or apt-get install zip unzip"
done
[ -x "$build/bin/runtime" ] || die "$build/bin/runtime is missing: run 'make' first"
for d in "${policy_dirs[@]}"; do
	[ -d "$d" ] || die "policy directory $d does not exist"
done

mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$out/stage
fn=$stage/function
ly=$stage/layer
rm -rf "$stage"
rm -f "$out/function.zip" "$out/layer.zip"
mkdir -p "$fn/bin" "$fn/lib" "$ly/inflight/plugins" "$ly/inflight/policies" "$ly/lib"

# deps FILE: prints "NAME PATH" for each library FILE needs, as the host's
# ldd resolves it, and "LOADER PATH" for the dynamic loader. Fails on a
# library ldd cannot find.
deps() {
	local file=$1 line name path listing
	listing=$(ldd "$file" 2>&1) || {
		[[ $listing == *"statically linked"* || $listing == *"not a dynamic executable"* ]] && return 0
		die "ldd $file failed: $listing"
	}
	while IFS= read -r line; do
		line=${line#"${line%%[![:space:]]*}"}
		case $line in
		"" | "statically linked" | linux-vdso.so.* | linux-gate.so.*) ;;
		*" => not found"*)
			die "$file needs ${line%% *}, which ldd cannot find (install it, or set LD_LIBRARY_PATH to its directory)" ;;
		*" => "*)
			name=${line%% => *}
			path=${line#* => }
			path=${path%% (*}
			echo "$name $path" ;;
		/*ld-linux*)
			echo "LOADER ${line%% (*}" ;;
		*) die "ldd $file: unexpected line: $line" ;;
		esac
	done <<<"$listing"
}

# copy_lib PATH DEST: the real file behind PATH, named DEST.
copy_lib() {
	cp "$(readlink -f "$1")" "$2"
}

# --- function.zip: runtime, its libraries, glibc, the loader ---
cp "$build/bin/runtime" "$fn/bin/runtime"
loader=
rt_deps=$(deps "$build/bin/runtime")
while read -r name path; do
	if [ "$name" = LOADER ]; then
		loader=$(basename "$path")
		copy_lib "$path" "$fn/lib/$loader"
	else
		copy_lib "$path" "$fn/lib/$name"
	fi
done <<<"$rt_deps"
case $loader in
ld-linux-x86-64.so.2) arch=x86_64 ldtag=x86-64 ;;
ld-linux-aarch64.so.1) arch=arm64 ldtag=AArch64 ;;
"") die "no dynamic loader found for $build/bin/runtime" ;;
*) die "unsupported architecture (loader $loader): Lambda runs x86_64 and arm64" ;;
esac

# libcurl is loaded when the runtime first needs it (runtime/curlapi.h),
# not linked: ship it and its libraries beside the others
curl_lib=$(ldconfig -p | awk -v tag="$ldtag" '!found && $1 == "libcurl.so.4" && index($0, tag) { print $NF; found = 1 }')
[ -n "$curl_lib" ] || die "libcurl.so.4 ($arch) not found by ldconfig: install libcurl4"
copy_lib "$curl_lib" "$fn/lib/libcurl.so.4"
while read -r name path; do
	[ "$name" = LOADER ] || copy_lib "$path" "$fn/lib/$name"
done <<<"$(deps "$curl_lib")"

# --- layer.zip: plugins, policies, the plugins' other libraries ---
plugins=()
for p in "$build"/plugins/*.so; do
	[ -e "$p" ] && plugins+=("$p")
done
plugins+=("${extra_plugins[@]}")
[ ${#plugins[@]} -gt 0 ] || die "no plugins in $build/plugins"
for p in "${plugins[@]}"; do
	[ -f "$p" ] || die "plugin $p does not exist"
	base=$(basename "$p")
	[[ $base == *.so ]] || die "plugin $p: the file name must end in .so"
	[ ! -e "$ly/inflight/plugins/$base" ] || die "two plugins named $base"
	cp "$p" "$ly/inflight/plugins/$base"
	p_deps=$(deps "$p")
	while read -r name path; do
		if [ -z "$name" ] || [ "$name" = LOADER ]; then continue; fi
		[ -e "$fn/lib/$name" ] || [ -e "$ly/lib/$name" ] || copy_lib "$path" "$ly/lib/$name"
	done <<<"$p_deps"
done

for d in "${policy_dirs[@]}"; do
	while [[ $d == */ && $d != / ]]; do # DIR/ names DIR: its files keep their names
		d=${d%/}
	done
	# links are followed (a policy kept elsewhere and linked in is
	# shipped as its content); one that leads nowhere, or a loop of
	# them, is an error
	listed=$(find -L "$d" \( -type f -o -type l \) ! -name '*~' ! -name '.*' -printf '%y %p\n' \
		2>"$stage/find.err") || die "cannot list $d: $(head -n 1 "$stage/find.err")"
	broken=$(sed -n 's/^l //p' <<<"$listed" | head -n 1)
	[ -z "$broken" ] || die "policy link $broken leads nowhere"
	while IFS= read -r -d '' f; do
		rel=${f#"$d"/}
		[ ! -e "$ly/inflight/policies/$rel" ] ||
			die "policy file $rel is in more than one --policies directory"
		mkdir -p "$(dirname "$ly/inflight/policies/$rel")"
		cp "$f" "$ly/inflight/policies/$rel"
	done < <(find -L "$d" -type f ! -name '*~' ! -name '.*' -print0)
done
compgen -G "$ly/inflight/policies/*.cfg" >/dev/null ||
	die "no policy (*.cfg) for the layer: every access point would be refused"

# Debug information is of no use in Lambda; the symbols stay.
if command -v strip >/dev/null; then
	strip --strip-debug "$fn/bin/runtime" "$ly"/inflight/plugins/*.so
fi

# --- bootstrap ---
# The variables the runtime and bootstrap read (runtime/env.h, core/policy.c,
# runtime/common.c, runtime/wgor.c, this script): the policy key's name
# (INFLIGHT_POLICY_KEY_NAME, the stack's PolicyKeyName) may not be one of
# them, or a stack parameter could reconfigure the runtime.
# tests/blackbox/test_package.sh checks the list against the sources;
# the template's PolicyKeyName pattern (tools/deploy/inflight.yaml)
# refuses the same names, checked by tests/blackbox/test_template.sh.
own_vars=(INFLIGHT_POLICY INFLIGHT_PLUGIN_PATH INFLIGHT_LIBRARY_PATH INFLIGHT_THREADS
	INFLIGHT_SOURCE_TIMEOUT INFLIGHT_RAPI_RETRY_MS INFLIGHT_S3OL_WINDOW_MS
	INFLIGHT_WGOR_ENDPOINT INFLIGHT_POLICY_KEY INFLIGHT_POLICY_KEY_NAME)
own_pattern=$(IFS='|'; echo "${own_vars[*]}")
cat >"$fn/bootstrap" <<EOF
#!/bin/sh
# inflight on AWS Lambda (provided.al2023, $arch); written by $me.
# Runs bin/runtime beside this script through the dynamic loader and C
# library shipped in lib/ beside it, so none of the host's libraries are
# used. Lambda runs this from /var/task with the layer at /opt; it works
# from any directory (an unpacked copy, for tests).
#   INFLIGHT_LIBRARY_PATH  more library directories, after this lib/
#                          (default /opt/lib: the layer's libraries)
#   INFLIGHT_POLICY, INFLIGHT_PLUGIN_PATH
#                          read by the runtime (defaults under /opt/inflight)
#   CURL_CA_BUNDLE, SSL_CERT_FILE
#                          the CA certificates for https; when unset, the
#                          host's bundle (AL2023: /etc/pki/tls/certs/ca-bundle.crt)
#   INFLIGHT_POLICY_KEY_NAME, INFLIGHT_POLICY_KEY
#                          the stack's PolicyKeyName and PolicyKey: the key is
#                          exported, byte for byte, under that name (the
#                          variable the policy's key_env names) and
#                          INFLIGHT_POLICY_KEY is unset. The name must be
#                          INFLIGHT_ and 1 to 64 of A-Z, 0-9, _, and none of
#                          the runtime's own settings; else one line on
#                          stderr (the name, never the key) and exit 2, before
#                          the runtime starts: Lambda reports an init error.
#                          Empty is unset.
refuse() {
	echo "bootstrap: \$*" >&2
	exit 2
}
if [ -n "\${INFLIGHT_POLICY_KEY_NAME:-}" ]; then
	name=\$INFLIGHT_POLICY_KEY_NAME
	# shown only when it cannot break the line or flood the log
	case \$name in
	*[!ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_]*) shown="(not shown: not only letters, digits and _)" ;;
	*) shown="'\$name'" ;;
	esac
	[ \${#name} -le 80 ] || shown="(not shown: \${#name} characters)"
	case \$name in
	INFLIGHT_*[!ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_]* | INFLIGHT_) bad=1 ;;
	INFLIGHT_*) bad= ;;
	*) bad=1 ;;
	esac
	if [ -n "\$bad" ] || [ \${#name} -gt 73 ]; then
		refuse "INFLIGHT_POLICY_KEY_NAME=\$shown is not a name the policy key can take:" \\
			"give INFLIGHT_ and 1 to 64 of A-Z, 0-9, _ (the variable the policy's key_env names)"
	fi
	case \$name in
	$own_pattern)
		refuse "INFLIGHT_POLICY_KEY_NAME=\$shown is one of the runtime's own settings:" \\
			"give the variable the policy's key_env names" ;;
	esac
	if [ -n "\${INFLIGHT_POLICY_KEY:-}" ]; then
		export "\$name=\$INFLIGHT_POLICY_KEY"
	fi
elif [ -n "\${INFLIGHT_POLICY_KEY:-}" ]; then
	refuse "INFLIGHT_POLICY_KEY is set but INFLIGHT_POLICY_KEY_NAME is not:" \\
		"name the variable the policy's key_env reads"
fi
unset INFLIGHT_POLICY_KEY
case \$0 in
*/*) here=\${0%/*} ;;
*) here=. ;;
esac
case \$here in
/*) ;;
*) here=\$(pwd)/\$here ;;
esac
if [ -z "\${CURL_CA_BUNDLE:-}" ]; then
	for f in /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/certs/ca-certificates.crt; do
		if [ -r "\$f" ]; then
			CURL_CA_BUNDLE=\$f
			export CURL_CA_BUNDLE
			break
		fi
	done
fi
if [ -z "\${SSL_CERT_FILE:-}" ] && [ -n "\${CURL_CA_BUNDLE:-}" ]; then
	SSL_CERT_FILE=\$CURL_CA_BUNDLE
	export SSL_CERT_FILE
fi
exec "\$here/lib/$loader" --inhibit-cache \\
	--library-path "\$here/lib:\${INFLIGHT_LIBRARY_PATH:-/opt/lib}" \\
	"\$here/bin/runtime" "\$@"
EOF

# Lambda needs world-readable files; executables 0755.
find "$stage" -type d -exec chmod 0755 {} +
find "$stage" -type f -exec chmod 0644 {} +
chmod 0755 "$fn/bootstrap" "$fn/bin/runtime" "$fn/lib/$loader" "$ly"/inflight/plugins/*.so

# --- checks on the staged copies ---
# closure FILE: every library FILE needs resolves, through the shipped
# loader, to a file inside the package (the vDSO aside).
closure() {
	local file=$1 listing line path bad=
	listing=$("$fn/lib/$loader" --inhibit-cache --library-path "$fn/lib:$ly/lib" \
		--list "$file" 2>&1) || die "the shipped loader cannot load ${file#"$stage"/}: $listing"
	while IFS= read -r line; do
		line=${line#"${line%%[![:space:]]*}"}
		case $line in
		"" | "statically linked" | linux-vdso.so.* | linux-gate.so.*) continue ;;
		*"not found"*) bad+="${line}; " ; continue ;;
		*" => "*) path=${line#* => } ;;
		*) path=$line ;;
		esac
		path=${path%% (*}
		case $path in
		"$fn"/* | "$ly"/*) ;;
		*) bad+="${line%% (*} (outside the package); " ;;
		esac
	done <<<"$listing"
	[ -z "$bad" ] || die "${file#"$stage"/}: ${bad%; }"
}
closure "$fn/bin/runtime"
closure "$fn/lib/libcurl.so.4"
for p in "$ly"/inflight/plugins/*.so; do
	closure "$p"
done

# How each policy file that reads variables gets them on Lambda: its stack
# sets one, PolicyKeyName=NAME PolicyKey=KEY, under a name bootstrap
# accepts (asked here with that name to start the runtime for --version).
key_notes=()
while IFS= read -r -d '' f; do
	mapfile -t vs < <(grep -hoE '\b[a-z_]+_env[[:space:]]*=[[:space:]]*"[A-Za-z_][A-Za-z0-9_]*"' "$f" |
		sed -E 's/.*"([^"]*)"$/\1/' | LC_ALL=C sort -u)
	[ ${#vs[@]} -gt 0 ] || continue
	rel=${f#"$ly/inflight/policies/"}
	for v in "${vs[@]}"; do
		[[ " ${own_vars[*]} " != *" $v "* ]] ||
			die "$rel reads its key from $v, one of the runtime's own settings: give the key a variable of its own"
	done
	if [ ${#vs[@]} -gt 1 ]; then
		n="warning: $rel reads $(echo "${vs[@]}" | sed 's/ /, /g'): a stack sets one"
		key_notes+=("$n (PolicyKeyName, PolicyKey); give the other keys with key_file")
	elif ! env -i PATH=/usr/bin:/bin INFLIGHT_LIBRARY_PATH="$ly/lib" INFLIGHT_POLICY_KEY_NAME="${vs[0]}" \
		"$fn/bootstrap" --version >/dev/null 2>&1; then
		n="warning: $rel reads ${vs[0]}, which a stack cannot set"
		key_notes+=("$n (PolicyKeyName takes INFLIGHT_ and 1 to 64 of A-Z, 0-9, _): rename it, or use key_file")
	else
		key_notes+=("$rel reads ${vs[0]}: deploy its stack with PolicyKeyName=${vs[0]} PolicyKey=<the key>")
	fi
done < <(find "$ly/inflight/policies" -type f -name '*.cfg' -print0 | LC_ALL=C sort -z)

# Options ending in _env (mask_fields' key_env) name environment variables
# that policies read when they load, secrets among them: the function needs
# them at run time, the check gets a placeholder for each.
env_vars=$(grep -rhoE --include='*.cfg' '\b[a-z_]+_env[[:space:]]*=[[:space:]]*"[A-Za-z_][A-Za-z0-9_]*"' \
	"$ly/inflight/policies" | sed -E 's/.*"([^"]*)"$/\1/' | LC_ALL=C sort -u || true)
placeholders=()
for v in $env_vars; do
	placeholders+=("$v=inflight-package-check")
done
check=$(env -i PATH=/usr/bin:/bin ${placeholders[@]+"${placeholders[@]}"} \
	INFLIGHT_LIBRARY_PATH="$ly/lib" INFLIGHT_PLUGIN_PATH="$ly/inflight/plugins" \
	INFLIGHT_POLICY="$ly/inflight/policies" \
	"$fn/bootstrap" --check-policy "$ly/inflight/policies" 2>&1) ||
	die "the packaged runtime does not load the layer's policies: $check"

# Lambda's limit: function and layers together at most 250 MB unzipped.
total=$(du -sb "$stage" | cut -f1)
[ "$total" -lt 262144000 ] || die "function and layer unzip to $total bytes, over Lambda's 250 MB"

# --- zips: sorted entries, fixed times, Unix modes kept ---
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}
find "$stage" -exec touch -h -d "@$epoch" {} +
mkzip() {
	local dir=$1 zipfile=$2
	rm -f "$zipfile.tmp"
	(cd "$dir" && find . -type f | sed 's|^\./||' | LC_ALL=C sort |
		TZ=UTC zip -q -X -D -@ "$zipfile.tmp")
	mv "$zipfile.tmp" "$zipfile"
}
mkzip "$fn" "$out/function.zip"
mkzip "$ly" "$out/layer.zip"

summary() {
	local zipfile=$1 what=$2
	printf '%s: %s  (%s, %s bytes, sha256 %s)\n' "$me" "$zipfile" "$what" \
		"$(stat -c %s "$zipfile")" "$(sha256sum "$zipfile" | cut -c1-16)"
}
nlib() { find "$1" -type f | wc -l; }
summary "$out/function.zip" "$arch, runtime + $(nlib "$fn/lib") libraries"
summary "$out/layer.zip" "$(nlib "$ly/inflight/plugins") plugins, $(nlib "$ly/inflight/policies") policy files, $(nlib "$ly/lib") libraries"
echo "$me: Lambda runtime provided.al2023, architecture $arch; checked: ${check##*$'\n'}"
if [ ${#key_notes[@]} -gt 0 ]; then
	echo "$me: policies that read a key from the environment (checked here with a placeholder):"
	for n in "${key_notes[@]}"; do
		echo "$me:   $n"
	done
fi
