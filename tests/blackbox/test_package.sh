#!/usr/bin/env bash
# runner: long
# The Lambda packages (make package, tools/package.sh): the zips' layout
# and modes, and the runtime started from an unpacked copy of both zips,
# with /opt mapped to a temporary directory through the environment
# (INFLIGHT_POLICY, INFLIGHT_PLUGIN_PATH, INFLIGHT_LIBRARY_PATH), serving
# store events in filter mode, in event mode (file:// and http through the
# packaged libcurl) and, under the Runtime API test server, as Lambda does.
# Every library the packaged process loads, plugins and their own
# libraries included, must come from the unpacked package. The policy key
# as the stack gives it (INFLIGHT_POLICY_KEY_NAME, INFLIGHT_POLICY_KEY)
# reaches README's marketing policy byte for byte; names bootstrap must
# refuse stop it at init.
source "$(dirname "$0")/lib.sh"
KEY="store_events/sales_event/dt=2026_11_28/1795867200000001.json"
EV_JSON='{"request_id": "5b3e", "cust_id": 321, "category": "Books", "store_id": 4, "price": 42.5, "discount": 3.5, "qty": 2}'
WANT='{"request_id": "5b3e", "cust_id": 321, "category": "Books", "store_id": 4, "qty": 2}'
mkdir -p "$T/bucket/$(dirname "$KEY")"
printf '%s' "$EV_JSON" >"$T/bucket/$KEY"
# the dynamic loader's name: ld-linux-x86-64.so.2, or ld-linux-aarch64.so.1
LOADER=$(ldd "$BUILD/bin/runtime" | sed -n 's|^[[:space:]]*\(/[^ ]*/\)\{0,1\}\(ld-linux[^ ]*\) .*|\2|p' | head -n 1)

# unpack ZIPDIR TASK OPT: function.zip into TASK, layer.zip into OPT.
unpack() {
	rm -rf "$2" "$3"
	mkdir -p "$2" "$3"
	unzip -q "$1/function.zip" -d "$2" && unzip -q "$1/layer.zip" -d "$3"
}

# pkg TASK OPT CMD...: runs TASK/bootstrap with a clean environment and
# the layer at OPT, loading the policy file $PKG_POLICY of the layer as the
# stack's function does (or the whole directory when PKG_POLICY is empty);
# OUT, ERR, RC as run().
pkg() {
	local task=$1 opt=$2
	shift 2
	run env -i PATH=/usr/bin:/bin ${PKG_ENV[@]+"${PKG_ENV[@]}"} \
		INFLIGHT_POLICY="$opt/inflight/policies${PKG_POLICY:+/$PKG_POLICY}" \
		INFLIGHT_PLUGIN_PATH="$opt/inflight/plugins" \
		INFLIGHT_LIBRARY_PATH="$opt/lib" \
		"$task/bootstrap" "$@"
}
PKG_ENV=()
PKG_POLICY=store-events.cfg

# loaded_outside LOGPREFIX DIR...: the libraries LD_DEBUG=libs logged as
# initialised by the runtime that are in none of DIRs (one per line; empty
# = all inside). The log starts with /bin/sh running bootstrap: what comes
# before sh transfers control to its script is the shell's own.
loaded_outside() {
	local prefix=$1 path d inside
	shift
	cat "$prefix".* 2>/dev/null |
		awk '!sh && /transferring control: \/bin\/sh$/ { sh = 1; next }
		     sh && sub(/.*calling init: /, "")' | sort -u |
		while IFS= read -r path; do
			inside=0
			for d in "$@"; do [[ $path == "$d"/* ]] && inside=1; done
			[ "$inside" = 1 ] || echo "$path"
		done
}

# ---- make package ----
if make --no-print-directory package BUILD="$BUILD" ${INFLIGHT_SAN:+SAN="$INFLIGHT_SAN"} >"$T/make.out" 2>&1; then
	ok "make package succeeds"
else
	not_ok "make package" "$(tail -n 5 "$T/make.out")"
fi
DIST=$BUILD/dist
for z in function layer; do
	if [ -s "$DIST/$z.zip" ]; then ok "$DIST/$z.zip written"; else not_ok "$z.zip" "missing"; fi
done

# ---- layout ----
fnlist=$(unzip -Z1 "$DIST/function.zip" | sort)
lylist=$(unzip -Z1 "$DIST/layer.zip" | sort)
expect_eq "function.zip: bootstrap at the root" "$(grep -cx bootstrap <<<"$fnlist")" 1
expect_eq "function.zip: bin/runtime" "$(grep -cx bin/runtime <<<"$fnlist")" 1
expect_eq "function.zip: only bootstrap, bin/runtime and lib/" \
	"$(grep -Ev '^(bootstrap|bin/runtime|lib/[^/]+)$' <<<"$fnlist" || true)" ""
for lib in "$LOADER" libc.so.6 libcurl.so.4 libconfig.so.9 libcrypto.so.3 libssl.so.3; do
	expect_eq "function.zip ships lib/$lib" "$(grep -cx "lib/$lib" <<<"$fnlist")" 1
done
for p in drop_fields keep_fields example_stamp; do
	expect_eq "layer.zip: inflight/plugins/$p.so" "$(grep -cx "inflight/plugins/$p.so" <<<"$lylist")" 1
done
expect_eq "layer.zip: inflight/policies/store-events.cfg" \
	"$(grep -cx inflight/policies/store-events.cfg <<<"$lylist")" 1
expect_eq "layer.zip: only inflight/plugins, inflight/policies and lib/" \
	"$(grep -Ev '^(inflight/plugins/[^/]+\.so|inflight/policies/.+|lib/[^/]+)$' <<<"$lylist" || true)" ""
expect_eq "layer.zip: no library the function already ships" \
	"$(comm -12 <(sed -n 's|^lib/||p' <<<"$fnlist") <(sed -n 's|^lib/||p' <<<"$lylist"))" ""

# ---- modes ----
mode() { zipinfo "$1" "$2" 2>/dev/null | awk '{print $1}'; }
expect_eq "bootstrap is -rwxr-xr-x in the zip" "$(mode "$DIST/function.zip" bootstrap)" "-rwxr-xr-x"
expect_eq "bin/runtime is -rwxr-xr-x in the zip" "$(mode "$DIST/function.zip" bin/runtime)" "-rwxr-xr-x"
expect_eq "the loader is -rwxr-xr-x in the zip" \
	"$(mode "$DIST/function.zip" "lib/$LOADER")" "-rwxr-xr-x"
expect_eq "every entry is world-readable" \
	"$( { zipinfo "$DIST/function.zip"; zipinfo "$DIST/layer.zip"; } | awk '/^-/ && substr($1, 8, 1) != "r"')" ""

# ---- the unpacked copy ----
if unpack "$DIST" "$T/task" "$T/opt"; then ok "both zips unpack"; else not_ok "unpack" "unzip failed"; fi
expect_eq "bootstrap is a /bin/sh script" "$(head -n 1 "$T/task/bootstrap")" "#!/bin/sh"
if [ -x "$T/task/bootstrap" ] && [ -x "$T/task/bin/runtime" ]; then ok "unpacked bootstrap and runtime are executable"
else not_ok "unpacked modes" "$(ls -l "$T/task/bootstrap" "$T/task/bin/runtime")"; fi

pkg "$T/task" "$T/opt" --help
expect_contains "the policy default is /opt/inflight/policies" "$OUT" "else /opt/inflight/policies"
expect_contains "the plugin path default starts with /opt/inflight/plugins" "$OUT" "else
                       /opt/inflight/plugins:"

# filter mode, the policy given as a file
PKG_ENV=(LD_DEBUG=libs LD_DEBUG_OUTPUT="$T/ld.filter")
pkg "$T/task" "$T/opt" --policy "$T/opt/inflight/policies/store-events.cfg" \
	--access-point lambda-consumer "$T/bucket/$KEY"
PKG_ENV=()
expect_eq "filter mode from the package: price and discount dropped" "$OUT" "$WANT"
expect_eq "filter mode from the package: exit 0" "$RC" 0
expect_eq "filter mode: every library loaded from the package" \
	"$(loaded_outside "$T/ld.filter" "$T/task" "$T/opt")" ""
expect_eq "filter mode: drop_fields.so loaded from the layer" \
	"$(cat "$T"/ld.filter.* | grep -c "calling init: $T/opt/inflight/plugins/drop_fields.so")" 1

# event mode, file:// source, the policy file from INFLIGHT_POLICY
pkg "$T/task" "$T/opt" --make-event --access-point lambda-consumer --file "$T/bucket/$KEY" \
	--key "$KEY" -o "$T/ev-file.json"
expect_eq "make-event from the package: exit 0" "$RC" 0
pkg "$T/task" "$T/opt" --event "$T/ev-file.json"
expect_eq "event mode (file://) from the package: redacted" "$OUT" "$WANT"
expect_contains "event mode (file://): status 200" "$ERR" "status: 200"

# the whole policy directory of the layer, as the runtime's default: every
# consumer's policy loads (lookup tables beside them, keys from the
# environment)
PKG_POLICY='' PKG_ENV=(INFLIGHT_ANALYTICS_KEY=package-test-key)
pkg "$T/task" "$T/opt" --check-policy "$T/opt/inflight/policies"
expect_eq "every policy of the layer loads from the package" "$RC" 0
expect_contains "  ... lambda-consumer among them" "$OUT" "lambda-consumer"
pkg "$T/task" "$T/opt" --event "$T/ev-file.json"
expect_eq "event mode with the whole policy directory: redacted" "$OUT" "$WANT"
PKG_POLICY=store-events.cfg PKG_ENV=()

# event mode over http: the packaged libcurl and its libraries
if start_object_server "$T/bucket"; then
	pkg "$T/task" "$T/opt" --make-event --access-point lambda-consumer \
		--url "http://127.0.0.1:$OBJ_PORT/$KEY?X-Amz-Signature=SIG" --key "$KEY" -o "$T/ev-http.json"
	PKG_ENV=(LD_DEBUG=libs LD_DEBUG_OUTPUT="$T/ld.http")
	pkg "$T/task" "$T/opt" --event "$T/ev-http.json"
	PKG_ENV=()
	expect_eq "event mode over http from the package: redacted" "$OUT" "$WANT"
	expect_contains "event mode over http: status 200" "$ERR" "status: 200"
	expect_eq "event mode over http: every library loaded from the package" \
		"$(loaded_outside "$T/ld.http" "$T/task" "$T/opt")" ""
	expect_eq "event mode over http: libcurl loaded from the function" \
		"$(cat "$T"/ld.http.* | grep -c "calling init: $T/task/lib/libcurl.so.4")" 1
else
	not_ok "object server" "did not start"
fi

# ---- a plugin of one's own, needing a library of its own and libcrypto ----
# Built outside the tree, added with --plugin and --policies: the layer
# carries its library in lib/, and the function's libcrypto serves it.
mkdir -p "$T/ext/lib" "$T/ext/pol"
cat >"$T/ext/dep.c" <<'C'
const char *infpkg_word(void) { return "from-the-layer"; }
C
cat >"$T/ext/pkg_probe.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <openssl/sha.h>
#include "inflight/plugin.h"
const char *infpkg_word(void);
struct probe { const struct inf_host *host; };
static const struct inf_option probe_options[] = { { NULL, 0, 0, NULL, 0, NULL, NULL } };
static int cb_probe_init(const struct inf_host *host, const void *config, void *instance, char *err)
{
	(void)config; (void)err;
	((struct probe *)instance)->host = host;
	return 0;
}
static int cb_probe_process(void *instance, struct inf_record *rec, enum inf_verdict *verdict, char *err)
{
	const struct inf_host *h = ((struct probe *)instance)->host;
	unsigned char md[SHA256_DIGEST_LENGTH];
	char v[64];
	int rc;
	(void)err;
	SHA256((const unsigned char *)"abc", 3, md);
	snprintf(v, sizeof v, "%s:%02x%02x", infpkg_word(), md[0], md[1]);
	rc = h->set_string(rec, 0, "_probe", 6, v, strlen(v), 1);
	if (rc < 0)
		return rc;
	*verdict = INF_MODIFIED;
	return 0;
}
INF_PLUGIN_EXPORT const struct inf_plugin inflight_plugin = {
	.abi_version = INF_PLUGIN_ABI_VERSION, .size = sizeof(struct inf_plugin),
	.name = "pkg_probe", .description = "package test probe", .options = probe_options,
	.config_size = 0, .instance_size = sizeof(struct probe),
	.init = cb_probe_init, .process = cb_probe_process, .fini = NULL,
};
C
cat >"$T/ext/pol/probe.cfg" <<'CFG'
version = 1;
access_points = (
  { name = "probe"; chain = ( { plugin = "drop_fields"; paths = [ "price", "discount" ]; },
                              { plugin = "pkg_probe"; } ); }
);
CFG
if cc -O2 -fPIC -shared -Wl,-soname,libinfpkg.so.1 -o "$T/ext/lib/libinfpkg.so.1" "$T/ext/dep.c" &&
	ln -sf libinfpkg.so.1 "$T/ext/lib/libinfpkg.so" &&
	cc -O2 -fPIC -fvisibility=hidden -shared -Icore/include -o "$T/ext/pkg_probe.so" \
		"$T/ext/pkg_probe.c" -L"$T/ext/lib" -linfpkg -lcrypto; then
	ok "probe plugin and its library built"
else
	not_ok "probe plugin" "does not build"
fi

run tools/package.sh "$BUILD" --out "$T/dist-ext" --plugin "$T/ext/pkg_probe.so" \
	--policies policies --policies "$T/ext/pol"
expect_eq "a plugin whose library ldd cannot find: package fails" "$RC" 1
expect_contains "  ... naming the plugin and the library" "$ERR" "pkg_probe.so needs libinfpkg.so.1"
if [ -e "$T/dist-ext/function.zip" ]; then not_ok "no zip after a failure" "function.zip written"
else ok "no zip after a failure"; fi

# DIR/ with its slash names the same directory: its files keep their names
run env LD_LIBRARY_PATH="$T/ext/lib" tools/package.sh "$BUILD" --out "$T/dist-ext" \
	--plugin "$T/ext/pkg_probe.so" --policies policies/ --policies "$T/ext/pol//"
expect_eq "package with an added plugin and policy: exit 0" "$RC" 0
extlist=$(unzip -Z1 "$T/dist-ext/layer.zip" | sort)
expect_eq "--policies DIR/: the policy at the layer's policies/, by its own name" \
	"$(grep -cx inflight/policies/probe.cfg <<<"$extlist"):$(grep -cx inflight/policies/store-events.cfg <<<"$extlist")" "1:1"
expect_eq "the plugin's own library goes into the layer's lib/" "$(grep -cx lib/libinfpkg.so.1 <<<"$extlist")" 1
expect_eq "libcrypto stays in the function only" "$(grep -c libcrypto <<<"$extlist")" 0
expect_eq "both policy directories in the layer" \
	"$(grep -c '^inflight/policies/.*\.cfg$' <<<"$extlist")" "$(($(find policies -name '*.cfg' | wc -l) + 1))"
unpack "$T/dist-ext" "$T/task2" "$T/opt2"
PKG_ENV=(LD_DEBUG=libs LD_DEBUG_OUTPUT="$T/ld.probe") PKG_POLICY=probe.cfg
pkg "$T/task2" "$T/opt2" --access-point probe "$T/bucket/$KEY"
PKG_ENV=() PKG_POLICY=store-events.cfg
expect_eq "the added plugin runs from the package, its library and libcrypto resolved" \
	"$OUT" "${WANT%\}},\"_probe\":\"from-the-layer:ba78\"}"
expect_eq "  ... every library loaded from the package" \
	"$(loaded_outside "$T/ld.probe" "$T/task2" "$T/opt2")" ""
expect_eq "  ... the plugin's library from the layer's lib/" \
	"$(cat "$T"/ld.probe.* | grep -c "calling init: $T/opt2/lib/libinfpkg.so.1")" 1
expect_eq "  ... libcrypto from the function's lib/" \
	"$(cat "$T"/ld.probe.* | grep -c "calling init: $T/task2/lib/libcrypto.so.3")" 1
# without the layer's lib/ on the path the plugin cannot load: the library
# really comes from there, not from the build machine
run env -i PATH=/usr/bin:/bin INFLIGHT_LIBRARY_PATH=/nonexistent \
	INFLIGHT_POLICY="$T/opt2/inflight/policies/probe.cfg" INFLIGHT_PLUGIN_PATH="$T/opt2/inflight/plugins" \
	"$T/task2/bootstrap" --access-point probe "$T/bucket/$KEY"
expect_eq "without the layer's lib/ the plugin does not load (exit 3)" "$RC" 3

# policies reached through links are shipped as their content: a linked
# file was left out, and a linked directory held 'no policy'
mkdir -p "$T/linkpol"
ln -s "$PWD/policies/inventory.cfg" "$T/linkpol/inventory.cfg"
ln -s "$T/linkpol" "$T/linkdir"
run tools/package.sh "$BUILD" --out "$T/dist-link" --policies "$T/linkdir"
expect_eq "--policies a link to a directory of links: exit 0" "$RC" 0
expect_eq "  ... the linked policy in the layer, as a file" \
	"$(unzip -Z1 "$T/dist-link/layer.zip" | grep -cx inflight/policies/inventory.cfg)" 1
ln -s "$T/nonexistent.cfg" "$T/linkpol/gone.cfg"
run tools/package.sh "$BUILD" --out "$T/dist-link2" --policies "$T/linkdir"
expect_eq "a policy link that leads nowhere: package fails" "$RC" 1
expect_contains "  ... naming it" "$ERR" "policy link $T/linkdir/gone.cfg leads nowhere"
# what is never shipped is never checked: an editor's backup may dangle
rm "$T/linkpol/gone.cfg"
ln -s "$T/nonexistent.cfg" "$T/linkpol/inventory.cfg~"
run tools/package.sh "$BUILD" --out "$T/dist-link2" --policies "$T/linkdir"
expect_eq "a dangling editor's backup (name~) is left out, not refused" "$RC" 0
# a loop of links is refused with find's words, through the script's own
ln -s .. "$T/linkpol/up"
run tools/package.sh "$BUILD" --out "$T/dist-link3" --policies "$T/linkdir"
expect_eq "a loop of links among the policies: package fails" "$RC" 1
expect_contains "  ... saying so" "$ERR" "cannot list $T/linkdir: find: File system loop detected"
rm "$T/linkpol/up"

# a layer whose policy does not load is refused
mkdir -p "$T/badpol"
printf 'version = 1;\naccess_points = ( { name = "x"; chain = ( { plugin = "no_such_plugin"; } ); } );\n' \
	>"$T/badpol/bad.cfg"
cp "$DIST/function.zip" "$DIST/layer.zip" "$T/" 2>/dev/null
mkdir -p "$T/dist-bad" && cp "$T/function.zip" "$T/layer.zip" "$T/dist-bad/"
run tools/package.sh "$BUILD" --out "$T/dist-bad" --policies "$T/badpol"
expect_eq "a policy the packaged runtime cannot load: package fails" "$RC" 1
expect_contains "  ... saying so" "$ERR" "does not load the layer's policies"
if [ -e "$T/dist-bad/function.zip" ] || [ -e "$T/dist-bad/layer.zip" ]; then
	not_ok "a failed run leaves no older zip behind" "$(ls "$T/dist-bad")"
else ok "a failed run leaves no older zip behind"; fi

# an option is given a non-empty value, --out once: an empty --out was
# the default, a second one silently won
for args in "--out=" "--out ''" "--out $T/o1 --out $T/o2" "--plugin ''" "--policies"; do
	eval "run tools/package.sh \"\$BUILD\" $args"
	expect_eq "package $args: exit 1, one line, nothing built" "$RC:$(wc -l <<<"$ERR"):$(ls "$T/o1" "$T/o2" 2>/dev/null)" "1:1:"
done

# a Debian user's PATH has no /usr/sbin, where ldconfig is
run env PATH=/usr/local/bin:/usr/bin:/bin tools/package.sh "$BUILD" --out "$T/userpath"
expect_eq "package with a user's PATH (no /usr/sbin): exit 0" "$RC" 0
[ "$RC" -eq 0 ] || echo "$ERR"

# same tree, same zips
run env SOURCE_DATE_EPOCH=1795867200 tools/package.sh "$BUILD" --out "$T/rA"
run env SOURCE_DATE_EPOCH=1795867200 tools/package.sh "$BUILD" --out "$T/rB"
if cmp -s "$T/rA/function.zip" "$T/rB/function.zip" && cmp -s "$T/rA/layer.zip" "$T/rB/layer.zip"; then
	ok "packaging is reproducible (SOURCE_DATE_EPOCH)"
else not_ok "reproducible zips" "two runs differ"; fi
# the same tree checked out elsewhere: the same zips (no path of the
# checkout in the binaries, so none in their build ids either)
mkdir -p "$T/elsewhere"
tar -C . --exclude=./build --exclude=./.git --exclude=node_modules -cf - . | tar -C "$T/elsewhere" -xf -
if make -C "$T/elsewhere" --no-print-directory -j2 all BUILD=b ${INFLIGHT_SAN:+SAN="$INFLIGHT_SAN"} \
	>"$T/elsewhere.log" 2>&1; then
	run env SOURCE_DATE_EPOCH=1795867200 "$T/elsewhere/tools/package.sh" "$T/elsewhere/b" --out "$T/rC"
	if cmp -s "$T/rA/function.zip" "$T/rC/function.zip" && cmp -s "$T/rA/layer.zip" "$T/rC/layer.zip"; then
		ok "packaging is reproducible from another checkout directory"
	else not_ok "reproducible zips from another directory" "$(cd "$T/rA/stage" &&
		for f in function/bin/runtime layer/inflight/plugins/*.so; do
			cmp -s "$f" "$T/rC/stage/$f" || echo "$f differs"; done | head -n 3)"; fi
else
	not_ok "build in another directory" "$(tail -n 5 "$T/elsewhere.log")"
fi

# ---- https on an AL2023-like /etc ----
# Debian's libcurl looks for /etc/ssl/certs/ca-certificates.crt, which
# provided.al2023 (Fedora-like) lacks: it has /etc/pki/tls/certs/ca-bundle.crt.
# bootstrap exports CURL_CA_BUNDLE with the host's bundle; the runtime must
# hand it to libcurl (CURLOPT_CAINFO). Here /etc is replaced, in a private
# mount namespace, by one holding only that bundle (a test CA), and the
# packaged runtime fetches the object over https from 127.0.0.1.
https_with_the_hosts_ca_bundle() {
	if ! command -v openssl >/dev/null || ! unshare -m true 2>/dev/null; then
		skip "https with the host's CA bundle: needs openssl and unshare -m (root)"
		return
	fi
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/tls.key" -out "$T/tls.crt" -days 1 \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 ||
		{ not_ok "https test CA" "openssl req failed"; return; }
	"$PY" - "$T/bucket" "$T/tls.crt" "$T/tls.key" "$T/https.port" <<'PY' &
import http.server, os, ssl, sys
root, crt, key, pf = sys.argv[1:5]
os.chdir(root)
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(crt, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
open(pf + ".tmp", "w").write(str(srv.server_address[1]))
os.rename(pf + ".tmp", pf)
srv.serve_forever()
PY
	_pids+=($!)
	wait_file "$T/https.port" || { not_ok "https server" "did not start"; return; }
	pkg "$T/task" "$T/opt" --make-event --access-point lambda-consumer \
		--url "https://127.0.0.1:$(cat "$T/https.port")/$KEY" --key "$KEY" -o "$T/ev-https.json"
	run unshare -m /bin/sh -c '
		mount -t tmpfs none /etc && mkdir -p /etc/pki/tls/certs &&
		cp "$1" /etc/pki/tls/certs/ca-bundle.crt && shift &&
		exec "$@"' sh "$T/tls.crt" env -i PATH=/usr/bin:/bin \
		INFLIGHT_POLICY="$T/opt/inflight/policies/store-events.cfg" INFLIGHT_PLUGIN_PATH="$T/opt/inflight/plugins" \
		INFLIGHT_LIBRARY_PATH="$T/opt/lib" "$T/task/bootstrap" --event "$T/ev-https.json"
	expect_eq "https with only /etc/pki/tls/certs/ca-bundle.crt (AL2023): served" "$OUT" "$WANT"
	[ "$OUT" = "$WANT" ] || echo "$ERR"
}
https_with_the_hosts_ca_bundle

# wgor_body RAPI_LOG WGOR_LOG: the body of the one WriteGetObjectResponse
# of a Lambda run that answered its one invocation (202), the request
# signed right and complete; else a line saying what was wrong.
wgor_body() {
	"$PY" - "$1" "$2" <<'PY' 2>&1
import json, sys
rapi = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
wgor = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
resp = [e for e in rapi if e.get("type") == "response" and e.get("status") == 202]
assert len(resp) == 1, "invocation responses: %r" % rapi
assert len(wgor) == 1, "WGOR requests: %r" % wgor
w = wgor[0]
assert w["signature"] == "ok" and w["status"] == 200 and w["complete"], "WGOR request: %r" % w
sys.stdout.write(open(w["bodyFile"], "rb").read().decode())
PY
}

# ---- Lambda: a GET under the Runtime API test server ----
# The packaged bootstrap, started as Lambda starts it (no arguments,
# AWS_LAMBDA_RUNTIME_API set), serves one GET event: the transformed object
# reaches the WriteGetObjectResponse stand-in and the invocation is answered.
lambda_get_under_runtime_api_server() {
	local rapi="$HERE/../servers/runtime_api.py" sink="$HERE/../servers/wgor_sink.py"
	start_object_server "$T/bucket" || { not_ok "object server" "did not start"; return; }
	local pf="$T/wgor.port" port
	"$PY" "$sink" --port-file "$pf" --log "$T/wgor.log" --bodies "$T/wgor-bodies" \
		--access-key AKIDPKG --secret-key pkgsecret --token pkgtoken &
	_pids+=($!)
	wait_file "$pf" || { not_ok "WGOR stand-in" "did not start"; return; }
	port=$(cat "$pf")
	pkg "$T/task" "$T/opt" --make-event --access-point lambda-consumer \
		--url "http://127.0.0.1:$OBJ_PORT/$KEY?X-Amz-Signature=SIG" --key "$KEY" -o "$T/ev-lambda.json"
	tr -d '\n' <"$T/ev-lambda.json" >"$T/events.ndjson"
	echo >>"$T/events.ndjson"
	run env -i PATH=/usr/bin:/bin AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=AKIDPKG \
		AWS_SECRET_ACCESS_KEY=pkgsecret AWS_SESSION_TOKEN=pkgtoken \
		INFLIGHT_WGOR_ENDPOINT="http://127.0.0.1:$port" \
		INFLIGHT_POLICY="$T/opt/inflight/policies/store-events.cfg" INFLIGHT_PLUGIN_PATH="$T/opt/inflight/plugins" \
		INFLIGHT_LIBRARY_PATH="$T/opt/lib" LAMBDA_TASK_ROOT="$T/task" _HANDLER=bootstrap \
		"$PY" "$rapi" --events "$T/events.ndjson" --log "$T/rapi.log" \
		--timeout 30 --child-stderr "$T/lambda.err" -- "$T/task/bootstrap"
	expect_eq "Lambda mode from the package: the Runtime API server saw every event answered" "$RC" 0
	local body
	body=$(wgor_body "$T/rapi.log" "$T/wgor.log")
	expect_eq "Lambda mode from the package: the redacted object reached WriteGetObjectResponse" \
		"$body" "$WANT"
	[ "$body" = "$WANT" ] || tail -n 5 "$T/lambda.err" 2>/dev/null
}
lambda_get_under_runtime_api_server

# ---- the policy key, as the stack sets it ----
# The stack passes PolicyKeyName and PolicyKey as INFLIGHT_POLICY_KEY_NAME
# and INFLIGHT_POLICY_KEY; bootstrap exports the key, byte for byte, under
# that name. The consumer is README's "Adding a consumer" example, whose
# policy reads INFLIGHT_MARKETING_KEY: packaged beside policies/, it serves
# a GET under the Runtime API server with a key of spaces, quotes, $,
# backslash, backquote, tab and a line break, and the pseudonym is the
# HMAC Python computes with that key. A name bootstrap must refuse stops
# the function at init, before the runtime starts, with one line that
# names the variable and never the key.
MKT_KEY=$'k e y "dq" \'sq\' $HOME ${PATH} `id` $(id) \\ %s *\tline\nnext '
policy_key_from_the_stack() {
	local rapi="$HERE/../servers/runtime_api.py" sink="$HERE/../servers/wgor_sink.py" pf port
	mkdir -p "$T/mkt" "$T/mkt-extra"
	awk '/^1\. Write `policies\/marketing.cfg`/ { f = 1; next }
	     f && /^   ```$/ { if (b) exit; b = 1; next }
	     b { sub(/^   /, ""); print }' README.md >"$T/mkt/marketing.cfg"
	expect_contains "README's marketing policy extracted" "$(cat "$T/mkt/marketing.cfg")" 'key_env = "INFLIGHT_MARKETING_KEY"'
	printf '%s\n' 'version = 1;' 'access_points = ( { name = "own-key"; chain = (' \
		'  { plugin = "mask_fields"; paths = [ "a" ]; op = "hmac"; key_env = "OWN_KEY"; } ); } );' \
		>"$T/mkt/own-key.cfg"
	run tools/package.sh "$BUILD" --out "$T/dist-mkt" --policies policies --policies "$T/mkt"
	expect_eq "package with README's marketing policy: exit 0" "$RC" 0
	[ "$RC" -eq 0 ] || echo "$ERR"
	expect_contains "  ... says how its stack sets the key" "$OUT" \
		"marketing.cfg reads INFLIGHT_MARKETING_KEY: deploy its stack with PolicyKeyName=INFLIGHT_MARKETING_KEY PolicyKey=<the key>"
	expect_contains "  ... and analytics' too" "$OUT" \
		"analytics.cfg reads INFLIGHT_ANALYTICS_KEY: deploy its stack with PolicyKeyName=INFLIGHT_ANALYTICS_KEY PolicyKey=<the key>"
	expect_contains "  ... warns of a key name no stack can set" "$OUT" \
		"warning: own-key.cfg reads OWN_KEY, which a stack cannot set"
	printf '%s\n' 'version = 1;' 'access_points = ( { name = "own-setting"; chain = (' \
		'  { plugin = "mask_fields"; paths = [ "a" ]; op = "hmac"; key_env = "INFLIGHT_SOURCE_TIMEOUT"; } ); } );' \
		>"$T/mkt-extra/own-setting.cfg"
	run tools/package.sh "$BUILD" --out "$T/dist-mkt-bad" --policies "$T/mkt-extra"
	expect_eq "a policy whose key is one of the runtime's settings: package fails" "$RC" 1
	expect_contains "  ... saying so" "$ERR" \
		"own-setting.cfg reads its key from INFLIGHT_SOURCE_TIMEOUT, one of the runtime's own settings"
	unpack "$T/dist-mkt" "$T/task-mkt" "$T/opt-mkt" || { not_ok "unpack" "the marketing package"; return; }

	# what the runtime is started with: bin/runtime replaced by env(1),
	# which bootstrap starts through the same loader and prints its
	# environment, NUL-separated
	cp -r "$T/task-mkt" "$T/task-env" && cp "$(command -v env)" "$T/task-env/bin/runtime"
	env -i PATH=/usr/bin:/bin INFLIGHT_POLICY_KEY_NAME=INFLIGHT_MARKETING_KEY INFLIGHT_POLICY_KEY="$MKT_KEY" \
		"$T/task-env/bootstrap" -0 >"$T/env.out" 2>"$T/env.err"
	expect_eq "the runtime's environment: the key under INFLIGHT_MARKETING_KEY, byte for byte, and once" \
		"$("$PY" - "$T/env.out" "$MKT_KEY" <<'PY'
import sys
env = [e.split(b"=", 1) for e in open(sys.argv[1], "rb").read().split(b"\0") if e]
key = sys.argv[2].encode()
print(dict(env).get(b"INFLIGHT_MARKETING_KEY") == key,
      [n.decode() for n, v in env if n == b"INFLIGHT_POLICY_KEY" or (key in v and n != b"INFLIGHT_MARKETING_KEY")])
PY
)" "True []"
	env -i PATH=/usr/bin:/bin INFLIGHT_MARKETING_KEY=set-directly \
		"$T/task-env/bootstrap" -0 >"$T/env.out" 2>"$T/env.err"
	expect_eq "  ... without INFLIGHT_POLICY_KEY_NAME, a variable set directly is left alone" \
		"$(tr '\0' '\n' <"$T/env.out" | grep -c '^INFLIGHT_MARKETING_KEY=set-directly$')" 1
	# a stack with PolicyKeyName but no PolicyKey: an empty key is no key,
	# and exported it would replace the variable with nothing
	env -i PATH=/usr/bin:/bin INFLIGHT_POLICY_KEY_NAME=INFLIGHT_MARKETING_KEY INFLIGHT_POLICY_KEY= \
		INFLIGHT_MARKETING_KEY=set-directly "$T/task-env/bootstrap" -0 >"$T/env.out" 2>"$T/env.err"
	expect_eq "  ... an empty INFLIGHT_POLICY_KEY exports nothing: a variable set directly is left alone" \
		"$(tr '\0' '\n' <"$T/env.out" | grep -c '^INFLIGHT_MARKETING_KEY=set-directly$')" 1

	# a GET under the Runtime API server, through README's marketing policy
	local ev='{"request_id": "m1", "evnt_type": "sales_event", "cust_id": 512, "category": "Books", "store_id": 1, "price": 41.5, "qty": 3, "contact_me": "x"}'
	local mkey="store_events/sales_event/dt=2026_11_28/1795867200000002.json"
	printf '%s' "$ev" >"$T/bucket/$mkey"
	[ -n "${OBJ_PORT:-}" ] || start_object_server "$T/bucket" || { not_ok "object server" "did not start"; return; }
	pf="$T/wgor-mkt.port"
	"$PY" "$sink" --port-file "$pf" --log "$T/wgor-mkt.log" --bodies "$T/wgor-mkt-bodies" \
		--access-key AKIDPKG --secret-key pkgsecret --token pkgtoken &
	_pids+=($!)
	wait_file "$pf" || { not_ok "WGOR stand-in" "did not start"; return; }
	port=$(cat "$pf")
	run "$BUILD/bin/runtime" --make-event --access-point marketing \
		--url "http://127.0.0.1:$OBJ_PORT/$mkey?X-Amz-Signature=SIG" --key "$mkey" -o "$T/ev-mkt.json"
	{ tr -d '\n' <"$T/ev-mkt.json"; echo; } >"$T/events-mkt.ndjson"
	# lambda_run NAME: bootstrap started as Lambda starts it, with the
	# marketing policy and INFLIGHT_POLICY_KEY_NAME=NAME, under the Runtime
	# API server; logs in $T/rapi-mkt.log, stderr in $T/lambda-mkt.err
	lambda_run() {
		rm -f "$T/rapi-mkt.log" "$T/lambda-mkt.err" "$T/lambda-mkt.out"
		run env -i PATH=/usr/bin:/bin AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=AKIDPKG \
			AWS_SECRET_ACCESS_KEY=pkgsecret AWS_SESSION_TOKEN=pkgtoken \
			INFLIGHT_WGOR_ENDPOINT="http://127.0.0.1:$port" \
			INFLIGHT_POLICY="$T/opt-mkt/inflight/policies/marketing.cfg" \
			INFLIGHT_PLUGIN_PATH="$T/opt-mkt/inflight/plugins" INFLIGHT_LIBRARY_PATH="$T/opt-mkt/lib" \
			INFLIGHT_POLICY_KEY_NAME="$1" INFLIGHT_POLICY_KEY="$MKT_KEY" \
			LAMBDA_TASK_ROOT="$T/task-mkt" _HANDLER=bootstrap \
			"$PY" "$rapi" --events "$T/events-mkt.ndjson" --log "$T/rapi-mkt.log" --timeout 30 \
			--child-stdout "$T/lambda-mkt.out" --child-stderr "$T/lambda-mkt.err" -- "$T/task-mkt/bootstrap"
	}
	lambda_run INFLIGHT_MARKETING_KEY
	expect_eq "marketing from the package, key from the stack's parameters: the GET is answered" "$RC" 0
	local body want
	body=$(wgor_body "$T/rapi-mkt.log" "$T/wgor-mkt.log")
	want=$("$PY" -c 'import hashlib, hmac, sys
print("{\"cust_id\": \"m:%s\", \"category\": \"Books\", \"price\": 40, \"qty\": 3,\"region\":\"us-west\"}"
      % hmac.new(sys.argv[1].encode(), b"512", hashlib.sha256).hexdigest())' "$MKT_KEY")
	expect_eq "  ... cust_id is m: and the HMAC-SHA256 of 512 under the key (Python's hmac)" \
		"$body" "$want"
	[ "$body" = "$want" ] || tail -n 5 "$T/lambda-mkt.err"

	# names bootstrap refuses: outside INFLIGHT_*, the runtime's own
	# settings (every INFLIGHT_ string of the runtime's sources, and
	# bootstrap's own variables), malformed
	local names=(PATH LD_PRELOAD LD_LIBRARY_PATH AWS_LAMBDA_RUNTIME_API AWS_SECRET_ACCESS_KEY _HANDLER
		inflight_marketing_key INFLIGHT_marketing_key INFLIGHT_ INFLIGHT_X=Y "INFLIGHT_A B"
		$'INFLIGHT_A\nB' "INFLIGHT_$(printf 'K%.0s' {1..65})")
	mapfile -t -O ${#names[@]} names < <({
		grep -ohE '"INFLIGHT_[A-Z0-9_]+"' runtime/*.[ch] core/*.[ch] core/include/inflight/*.h | tr -d '"'
		grep -oE 'INFLIGHT_[A-Z0-9_]+' "$T/task-mkt/bootstrap"; } | LC_ALL=C sort -u)
	expect_contains "  ... the names to refuse include INFLIGHT_THREADS and INFLIGHT_WGOR_ENDPOINT" \
		" ${names[*]} " " INFLIGHT_THREADS INFLIGHT_WGOR_ENDPOINT "
	local n bad=
	for n in "${names[@]}"; do
		run env -i PATH=/usr/bin:/bin INFLIGHT_POLICY_KEY_NAME="$n" INFLIGHT_POLICY_KEY="$MKT_KEY" \
			"$T/task-mkt/bootstrap" --version
		if [ "$RC" -ne 2 ] || [ -n "$OUT" ] || [ "$(wc -l <<<"$ERR")" -ne 1 ] ||
			[[ $ERR != "bootstrap: INFLIGHT_POLICY_KEY_NAME="* ]] || [[ $ERR == *"$MKT_KEY"* ]] ||
			[[ $ERR == *"k e y"* ]]; then
			bad+="[$n]: exit $RC, out [$OUT], err [$ERR]; "
		fi
	done
	expect_eq "bootstrap refuses ${#names[@]} names (exit 2, one line on stderr, no key)" "$bad" ""
	run env -i PATH=/usr/bin:/bin INFLIGHT_POLICY_KEY_NAME=INFLIGHT_THREADS INFLIGHT_POLICY_KEY="$MKT_KEY" \
		"$T/task-mkt/bootstrap" --version
	expect_eq "  ... INFLIGHT_THREADS: the runtime's own setting, named" "$ERR" \
		"bootstrap: INFLIGHT_POLICY_KEY_NAME='INFLIGHT_THREADS' is one of the runtime's own settings: give the variable the policy's key_env names"
	run env -i PATH=/usr/bin:/bin INFLIGHT_POLICY_KEY_NAME=$'INFLIGHT_A\nB' "$T/task-mkt/bootstrap" --version
	expect_contains "  ... a name that could break the line is not shown" "$ERR" \
		"bootstrap: INFLIGHT_POLICY_KEY_NAME=(not shown: not only letters, digits and _) is not a name"
	run env -i PATH=/usr/bin:/bin INFLIGHT_POLICY_KEY_NAME="INFLIGHT_$(printf 'K%.0s' {1..200})" \
		"$T/task-mkt/bootstrap" --version
	expect_contains "  ... nor one that would flood the log: its length instead" "$ERR" \
		"bootstrap: INFLIGHT_POLICY_KEY_NAME=(not shown: 209 characters) is not a name"
	run env -i PATH=/usr/bin:/bin INFLIGHT_POLICY_KEY="$MKT_KEY" "$T/task-mkt/bootstrap" --version
	expect_eq "  ... a key without a name: refused" "$RC:$ERR" \
		"2:bootstrap: INFLIGHT_POLICY_KEY is set but INFLIGHT_POLICY_KEY_NAME is not: name the variable the policy's key_env reads"
	run env -i PATH=/usr/bin:/bin INFLIGHT_POLICY_KEY_NAME="INFLIGHT_$(printf 'K%.0s' {1..64})" \
		INFLIGHT_POLICY_KEY="$MKT_KEY" "$T/task-mkt/bootstrap" --version
	expect_eq "  ... INFLIGHT_ and 64 characters is a name" "$RC" 0

	# under the Runtime API server: the function stops at init, and the
	# key is in no output
	for n in PATH INFLIGHT_THREADS inflight_marketing_key; do
		lambda_run "$n"
		"$PY" - "$T/rapi-mkt.log" <<'PY' >"$T/mkt-bad.check" 2>&1
import json, sys
rapi = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert [e["type"] for e in rapi] == ["exit"] and rapi[0]["code"] == 2, "runtime API log: %r" % rapi
print("ok")
PY
		expect_eq "PolicyKeyName=$n under the Runtime API: exits 2 at init, no invocation taken" \
			"$(tail -n 1 "$T/mkt-bad.check")" ok
		[ "$(tail -n 1 "$T/mkt-bad.check")" = ok ] || cat "$T/mkt-bad.check"
		expect_eq "  ... one line on stderr, naming the variable" \
			"$(wc -l <"$T/lambda-mkt.err"):$(grep -c "^bootstrap: INFLIGHT_POLICY_KEY_NAME='$n' is " "$T/lambda-mkt.err")" "1:1"
		expect_eq "  ... the key in no output (stdout, stderr, Runtime API log)" \
			"$(cat "$T/lambda-mkt.out" "$T/lambda-mkt.err" "$T/rapi-mkt.log" | grep -c -e 'k e y' -e 'dq')" 0
	done
}
policy_key_from_the_stack

finish
