#!/usr/bin/python3
"""A stand-in for the S3 side of a presigned GET, on 127.0.0.1 only.

Serves files under --root at their path. Like S3 it answers errors with
XML bodies (<Error><Code/><Message/></Error>) and refuses a request that
lacks a header the URL's X-Amz-SignedHeaders lists, or sends one
of them twice (S3 signs the repeats joined with ",", which is never the
value the URL signed): 403 SignatureDoesNotMatch. Paths starting with a
fault prefix misbehave:
  /_403/...    403 AccessDenied
  /_500/...    500 without an XML body
  /_close/...  announces the full Content-Length, sends half, closes
  /_slow/...   sends the first bytes, then nothing for 10 s (bounded)
  /_trickle/.. announces the full Content-Length, then sends 2 bytes a
               second (for at most 60 s)
  /_206/...    206 with the object's first line, whatever was asked
  /_204/...    204 No Content
  /_leak/...   403 AccessDenied whose <Message> quotes the request target,
               query (signature, credential, token) included, then the
               signature again as "X-Amz-Signature: v",
               "X-Amz-Signature%3Dv" and with '=' as XML character
               references (forms an error message may use)
  /_leakform/N/... 403 AccessDenied whose <Message> is LEAK_FORMS[N]
               with the request's X-Amz-Signature for {sig}: the ways
               a message may quote one (the last quotes none)
  /_badref/... 403 whose <Message> holds a reference XML does not
               define, then a signature after an encoded '='
  /_badcode/.. 403 whose <Code> is no S3 error code ("Access Denied:
               x-amz-fwd-error-code: 200", spaces, a colon, digits)
  /_301/...    301 PermanentRedirect (a status S3 Object Lambda cannot
               forward)
  /_noclen/... 200 without Content-Length: half the object, then closes
               (a cut body that HTTP/1 cannot tell from a whole one)
  /_twoclen/.. 200 with two Content-Length values, the whole length then
               half of it, and the whole object (libcurl takes the last)
  /_chunked/.. 200 with the whole object in chunked framing, and a
               trailer x-amz-meta-late after it
  /_clchunk/.. 200 with the whole object's Content-Length and chunked
               framing of half of it, ended well (libcurl reads the chunks)
  /_smuggle/.. the answer, then a second one nobody asked for on the same
               connection (a HEAD: as if it were the HEAD's body), holding
               SMUGGLED: read as the next request's answer, another
               caller would get it
  /_badnames/. the object, with x-amz-meta-* headers whose names are no
               HTTP tokens (a control byte, a space, UTF-8), one of
               2400 bytes, one of 2304 (one too long to forward whole),
               and x-amz-meta-ok
  /_badmeta/.. the object, with two more x-amz-meta-* headers: one whose
               name, one whose value is not UTF-8 (bytes ff fe)
  /_ssec/..... an object under the customer key SSEC_KEY: as S3, a read
               without the three SSE-C headers (algorithm AES256, the
               key, its MD5, all base64) gets 400 InvalidRequest, a key
               MD5 that is not the key's 400 InvalidArgument, another key
               403 AccessDenied; the answer carries the algorithm and
               key MD5, as S3 answers them
  /_payer/.... a requester-pays object: without x-amz-request-payer:
               requester, 403 AccessDenied; with it the answer carries
               x-amz-request-charged: requester
  /_manymeta/. the object, with 250 more x-amz-meta-* headers before
               its Content-Type, as S3 orders them (x-amz-meta-k000 ..
               x-amz-meta-k249, each value "v" and its number: 2 KB of
               metadata holds that many)
  /_toomany/.. the object, with 1100 x-amz-meta-* headers (more than S3
               ever sends)
  /_kms/...... an object under SSE-KMS with a bucket key, answered as S3
               does: x-amz-server-side-encryption: aws:kms, its
               -aws-kms-key-id and -bucket-key-enabled (names with the
               first as a prefix), and x-amz-meta-tier beside
               x-amz-meta-tier-2 (another prefix pair)
  /_repeat/... the object, with x-amz-meta-multi sent twice (one, two),
               and x-amz-tagging-count: 007 (a number with leading zeros)
  /_changed/.. as if the object were replaced right after every HEAD: a
               HEAD sees ETag ETAG, a GET NEW_ETAG (conditions are
               evaluated on that one)
  /_noetag/... the object, without an ETag header
  /_changednoetag/ as /_changed/ (a HEAD sees ETAG, a GET NEW_ETAG), but
               without an ETag header
  /_weaketag/. the object, its ETag weak (W/"..."), which an If-Match
               never matches (RFC 9110 compares it strongly): 412
  /_twoetags/. the object, with a second, different ETag header after
               its own
  /_lateetag/. the object, its ETag after 70 x-amz-meta-* headers and an
               ETag-Digest header (a name ETag starts)
  /_early/.... the object, after an interim 103 Early Hints whose headers
               carry another ETag (NEW_ETAG) and a Link
  /_ctl/...... the object, with x-amz-meta-ctl holding a terminal escape
               and a bare CR; a key holding "ctlmsg": 403 whose <Message>
               holds a terminal escape and a BEL
An If-None-Match naming the object's ETag (or "*") gets 304, an If-Match naming
another 412 PreconditionFailed, and an x-amz-expected-bucket-owner other
than 123456789012 403 AccessDenied, as from S3; x-amz-checksum-mode:
ENABLED gets the object's x-amz-checksum-crc32 (of the stored bytes).
Like S3, a key is taken literally: a path with a "." or ".." segment is
no key of the store (404), and a Range header (bytes=a-b, a-, -n) is
honoured with 206 and Content-Range.
With --log FILE every request is appended to FILE as one JSON line:
method, the request target exactly as received, and the headers (a
repeated one with its values joined by ",").
The chosen port is written to --port-file once the server listens.
"""
import argparse
import base64
import email.utils
import hashlib
import http.server
import json
import re

import os
import shutil
import sys
import threading
import time
import urllib.parse
import zlib
from xml.sax.saxutils import escape

from loopback import serve

SSEC_KEY = base64.b64encode(bytes(range(32))).decode()
SSEC_KEY_MD5 = base64.b64encode(hashlib.md5(bytes(range(32))).digest()).decode()
OWNER = "123456789012"
KMS_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ETAG = '"0123456789abcdef"'
NEW_ETAG = '"fedcba9876543210"'  # /_changed/: the version a GET finds
SMUGGLED = b'{"smuggled": true}\n'
SMUGGLED_ANSWER = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                   b"Content-Length: %d\r\n\r\n%s" % (len(SMUGGLED), SMUGGLED))


def ssec_refusal(headers):
    """(status, code, message) S3 answers a read of an object under
    SSEC_KEY with these request headers, or None to serve it."""
    pre = "x-amz-server-side-encryption-customer-"
    alg, key, md5 = (headers.get(pre + n) for n in ("algorithm", "key", "key-MD5"))
    if not (alg and key and md5):
        return (400, "InvalidRequest", "The object was stored using a form of Server Side Encryption. "
                "The correct parameters must be provided to retrieve the object.")
    if alg != "AES256":
        return (400, "InvalidEncryptionAlgorithmError", "The encryption request you specified is not valid.")
    try:
        raw = base64.b64decode(key, validate=True)
    except ValueError:
        raw = b""
    if base64.b64encode(hashlib.md5(raw).digest()).decode() != md5:
        return (400, "InvalidArgument", "The calculated MD5 hash of the key did not match the hash that was provided.")
    if key != SSEC_KEY:
        return (403, "AccessDenied", "Access Denied")
    return None


# XML text of <Message>s quoting a signature ({sig}) as S3-compatible
# servers might: quoted, as JSON, its name percent-encoded, its '='
# encoded twice or as a reference, in prose, in an Authorization header,
# the value alone; the last, S3's own for a bad signature, quotes none
LEAK_FORMS = [
    'Bad request X-Amz-Signature=&quot;{sig}&quot; here',
    'Query {{&quot;X-Amz-Signature&quot;:&quot;{sig}&quot;}} refused',
    'Target /k?X%2DAmz%2DSignature%3D{sig}&amp;x=1',
    'Target /k?X-Amz-Signature%253D{sig}',
    'Target /k?X-Amz-Signature&amp;#61;{sig}',
    'the X-Amz-Signature is {sig}',
    'Authorization: AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/x, Signature={sig}',
    'Denied for {sig}',
    'The request signature we calculated does not match the signature you provided.',
]


def error_xml(code, message, raw=""):
    """raw: XML appended to the escaped message as it is"""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code>'
            '<Message>%s%s</Message><RequestId>TEST</RequestId></Error>' % (code, escape(message), raw)).encode()


def byte_range(header, size):
    """(first, last) for a satisfiable single bytes range, None to send
    the whole object, or "416"."""
    m = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", header or "")
    if not m or not (m.group(1) or m.group(2)):
        return None
    if m.group(1):
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) else size - 1
        if last < first:
            return None
        if first >= size:
            return "416"
        return first, min(last, size - 1)
    n = int(m.group(2))
    if n == 0 or size == 0:
        return "416"
    return max(0, size - n), size - 1

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    root = "."
    log = None
    log_lock = threading.Lock()

    def log_message(self, fmt, *args):
        pass

    def log_request_line(self):
        if not self.log:
            return
        headers = {}
        for k, v in self.headers.items():  # a repeated header: its values joined with ","
            headers[k.lower()] = headers[k.lower()] + "," + v if k.lower() in headers else v
        entry = {"method": self.command, "target": self.path, "headers": headers}
        with self.log_lock, open(self.log, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def send_body(self, status, body, ctype="application/xml", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        self.log_request_line()
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        path = urllib.parse.unquote(url.path)
        signed = query.get("X-Amz-SignedHeaders", [""])[0]
        for name in filter(None, signed.lower().split(";")):
            if name != "host" and len(self.headers.get_all(name) or []) != 1:
                return self.send_body(403, error_xml(
                    "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you provided."))
        fault = None
        for prefix in ("/_403/", "/_500/", "/_close/", "/_slow/", "/_trickle/", "/_206/",
                       "/_204/", "/_leak/", "/_leakform/", "/_badref/", "/_badcode/", "/_301/", "/_noclen/", "/_twoclen/", "/_chunked/", "/_clchunk/", "/_smuggle/",
                       "/_badnames/", "/_badmeta/", "/_manymeta/", "/_ssec/", "/_payer/",
                       "/_kms/", "/_repeat/", "/_changed/", "/_noetag/", "/_weaketag/",
                       "/_twoetags/", "/_lateetag/", "/_changednoetag/", "/_early/", "/_ctl/",
                       "/_toomany/"):
            if path.startswith(prefix):
                fault, path = prefix.strip("/"), "/" + path[len(prefix):]
        if fault == "_early":  # an interim answer: its headers are not the object's
            self.wfile.write(b'HTTP/1.1 103 Early Hints\r\nETag: %s\r\nLink: </x.css>; rel=preload\r\n\r\n'
                             % NEW_ETAG.encode())
        if fault == "_403":
            return self.send_body(403, error_xml("AccessDenied", "Access Denied"))
        owner = self.headers.get("x-amz-expected-bucket-owner")
        if owner is not None and owner != OWNER:
            return self.send_body(403, error_xml("AccessDenied", "Access Denied"))
        refusal = ssec_refusal(self.headers) if fault == "_ssec" else None
        if refusal:
            return self.send_body(refusal[0], error_xml(refusal[1], refusal[2]))
        if fault == "_payer" and self.headers.get("x-amz-request-payer") != "requester":
            return self.send_body(403, error_xml("AccessDenied", "Access Denied"))
        if fault == "_500":
            return self.send_body(500, b"", "text/plain")
        if fault == "_leak":
            sig = query.get("X-Amz-Signature", [""])[0]
            return self.send_body(403, error_xml(
                "AccessDenied", "Access Denied for %s (X-Amz-Signature: %s; X-Amz-Signature%%3D%s"
                % (self.path, sig, sig), "; X-Amz-Signature&#61;%s; X-Amz-Signature&#x3D;%s)" % (sig, sig)))
        if fault == "_leakform":
            form, path = path.lstrip("/").split("/", 1)
            sig = query.get("X-Amz-Signature", [""])[0]
            return self.send_body(403, error_xml("AccessDenied", "", LEAK_FORMS[int(form)].format(sig=sig)))
        if fault == "_badref":
            return self.send_body(403, error_xml("AccessDenied", "Denied ", "&bogus; X-Amz-Signature&#61;SECRETSIG"))
        if fault == "_badcode":
            return self.send_body(403, error_xml("Access Denied: x-amz-fwd-error-code: 200", "Denied"))
        if fault == "_ctl" and self.command == "GET" and "ctlmsg" in path:
            return self.send_body(403, error_xml("AccessDenied", "Denied\x1b[2J\x07 here"))
        if fault == "_301":
            return self.send_body(301, error_xml("PermanentRedirect", "Use the other endpoint."))
        if fault == "_204":
            self.send_response(204)
            self.end_headers()
            return
        if any(seg in (".", "..") for seg in path.split("/")):
            return self.send_body(404, error_xml("NoSuchKey", "The specified key does not exist."))
        file = os.path.realpath(os.path.join(self.root, path.lstrip("/")))
        if not file.startswith(os.path.realpath(self.root) + os.sep) or not os.path.isfile(file):
            return self.send_body(404, error_xml("NoSuchKey", "The specified key does not exist."))
        size = os.path.getsize(file)
        etag = NEW_ETAG if fault in ("_changed", "_changednoetag") and self.command == "GET" else ETAG
        headers = [
            ("Last-Modified", email.utils.formatdate(os.path.getmtime(file), usegmt=True)),
            ("ETag", etag),
            ("Cache-Control", "max-age=60"),
            ("x-amz-meta-store", "test"),
        ]
        if fault in ("_noetag", "_changednoetag"):
            headers = [h for h in headers if h[0] != "ETag"]
        if fault == "_weaketag":
            etag = "W/" + etag
            headers = [("ETag", etag) if h[0] == "ETag" else h for h in headers]
        if fault == "_twoetags":
            headers += [("ETag", NEW_ETAG)]
        if fault == "_lateetag":
            headers = ([("ETag-Digest", "x")] + [("x-amz-meta-l%02d" % i, "v") for i in range(70)] +
                       [h for h in headers if h[0] != "ETag"] + [("ETag", etag)])
        if fault == "_badnames":
            # names sent as bytes (latin-1): \x01, a space, UTF-8 "\u00e9"
            headers += [("x-amz-meta-a\x01x", "1"), ("x-amz-meta-sp ace", "2"),
                        ("x-amz-meta-\u00c3\u00a9", "3"), ("x-amz-meta-" + "n" * 2389, "4"),
                        # one byte too long to copy whole (2304 with the prefix): not cut
                        ("x-amz-meta-" + "m" * 2293, "5"),
                        ("x-amz-meta-ok", "fine")]
        if fault == "_badmeta":  # http.server sends header text as latin-1
            headers += [("x-amz-meta-\xff\xfe", "v"), ("x-amz-meta-badval", "\xff\xfe")]
        if fault == "_ssec":
            headers += [("x-amz-server-side-encryption-customer-algorithm", "AES256"),
                        ("x-amz-server-side-encryption-customer-key-MD5", SSEC_KEY_MD5)]
        if fault == "_payer":
            headers += [("x-amz-request-charged", "requester")]
        if fault == "_kms":
            headers += [("x-amz-server-side-encryption", "aws:kms"),
                        ("x-amz-server-side-encryption-aws-kms-key-id", KMS_KEY_ARN),
                        ("x-amz-server-side-encryption-bucket-key-enabled", "true"),
                        ("x-amz-meta-tier", "gold"), ("x-amz-meta-tier-2", "silver")]
        if fault == "_repeat":
            headers += [("x-amz-meta-multi", "one"), ("x-amz-meta-multi", "two"),
                        ("x-amz-tagging-count", "007")]
        early = []  # headers sent before Content-Type
        if fault == "_manymeta":
            early = [("x-amz-meta-k%03d" % i, "v%d" % i) for i in range(250)]
        if fault == "_toomany":
            early = [("x-amz-meta-t%04d" % i, "v") for i in range(1100)]
        if fault == "_ctl":  # a terminal escape and a bare CR in a value
            headers += [("x-amz-meta-ctl", "a\x1b[2Jb\rstatus: 200")]
        if (self.headers.get("x-amz-checksum-mode") or "").upper() == "ENABLED":
            # as S3: the stored object's checksum, over the source's bytes
            with open(file, "rb") as f:
                crc = zlib.crc32(f.read()).to_bytes(4, "big")
            headers += [("x-amz-checksum-crc32", base64.b64encode(crc).decode())]
        if self.headers.get("If-Match") not in (None, "*", etag) or \
                (fault == "_weaketag" and self.headers.get("If-Match") not in (None, "*")):
            return self.send_body(412, error_xml("PreconditionFailed",
                                                 "At least one of the pre-conditions you specified did not hold"))
        if self.headers.get("If-None-Match") in ("*", etag):
            self.send_response(304)
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            return
        first, last = 0, size - 1
        status = 200
        rng = byte_range(self.headers.get("Range"), size)
        if fault == "_206":
            with open(file, "rb") as f:
                rng = (0, len(f.readline()) - 1) if size else None
        if rng == "416":
            return self.send_body(416, error_xml("InvalidRange", "The requested range is not satisfiable"))
        if rng:
            first, last = rng
            status = 206
            headers.append(("Content-Range", "bytes %d-%d/%d" % (first, last, size)))
        if fault in ("_noclen", "_chunked", "_twoclen", "_clchunk"):
            with open(file, "rb") as f:
                body = f.read()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if fault == "_twoclen":
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Content-Length", str(len(body) // 2))
                self.end_headers()
                self.wfile.write(body)
                return
            if fault in ("_chunked", "_clchunk"):
                if fault == "_clchunk":
                    self.send_header("Content-Length", str(len(body)))
                    body = body[:len(body) // 2]
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for i in range(0, len(body), 7):
                    part = body[i:i + 7]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                # a trailer after the body: not the object's metadata
                self.wfile.write(b"0\r\nx-amz-meta-late: trailer\r\n\r\n")
                return
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body[:len(body) // 2])
            self.close_connection = True
            return
        self.send_response(status)
        for k, v in early:
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(last - first + 1))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command == "HEAD":
            if fault == "_smuggle":
                self.wfile.write(SMUGGLED_ANSWER)
            return
        with open(file, "rb") as f:
            if status == 206:
                f.seek(first)
                self.wfile.write(f.read(last - first + 1))
                return
            if fault == "_trickle":
                end = time.monotonic() + 60
                while time.monotonic() < end:
                    chunk = f.read(2)
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    self.wfile.flush()
                    time.sleep(1)
                self.close_connection = True
                return
            if fault == "_close":
                self.wfile.write(f.read(size // 2))
                self.wfile.flush()
                self.close_connection = True
                return
            if fault == "_slow":
                self.wfile.write(f.read(min(16, size)))
                self.wfile.flush()
                time.sleep(10)
                self.close_connection = True
                return
            shutil.copyfileobj(f, self.wfile, 1 << 20)
            if fault == "_smuggle":
                self.wfile.flush()
                self.wfile.write(SMUGGLED_ANSWER)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    a = ap.parse_args()
    Handler.root = a.root
    Handler.log = a.log
    return serve(Handler, a.port_file)

if __name__ == "__main__":
    sys.exit(main())
