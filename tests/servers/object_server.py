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
               signature again as "X-Amz-Signature: v" and
               "X-Amz-Signature%3Dv" (forms an error message may use)
  /_301/...    301 PermanentRedirect (a status S3 Object Lambda cannot
               forward)
  /_noclen/... 200 without Content-Length: half the object, then closes
               (a cut body that HTTP/1 cannot tell from a whole one)
  /_chunked/.. 200 with the whole object in chunked framing
  /_badnames/. the object, with x-amz-meta-* headers whose names are no
               HTTP tokens (a control byte, a space, UTF-8), one of
               2400 bytes, and x-amz-meta-ok
  /_badmeta/.. the object, with two more x-amz-meta-* headers: one whose
               name, one whose value is not UTF-8 (bytes ff fe)
  /_ssec/..... the object, with the SSE-C headers S3 answers for an
               object under a customer key (algorithm and key MD5)
  /_manymeta/. the object, with 50 more x-amz-meta-* headers
               (x-amz-meta-k00 .. x-amz-meta-k49: 2 KB of metadata holds
               that many)
An If-None-Match naming the object's ETag gets 304, as from S3.
Like S3, a key is taken literally: a path with a "." or ".." segment is
no key of the store (404), and a Range header (bytes=a-b, a-, -n) is
honoured with 206 and Content-Range.
With --log FILE every request is appended to FILE as one JSON line:
method, the request target exactly as received, and the headers (a
repeated one with its values joined by ",").
The chosen port is written to --port-file once the server listens.
"""
import argparse
import email.utils
import http.server
import json
import re

import os
import shutil
import sys
import threading
import time
import urllib.parse
from xml.sax.saxutils import escape

from loopback import serve

def error_xml(code, message):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code>'
            '<Message>%s</Message><RequestId>TEST</RequestId></Error>' % (code, escape(message))).encode()


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
                       "/_204/", "/_leak/", "/_301/", "/_noclen/", "/_chunked/",
                       "/_badnames/", "/_badmeta/", "/_manymeta/", "/_ssec/"):
            if path.startswith(prefix):
                fault, path = prefix.strip("/"), "/" + path[len(prefix):]
        if fault == "_403":
            return self.send_body(403, error_xml("AccessDenied", "Access Denied"))
        if fault == "_500":
            return self.send_body(500, b"", "text/plain")
        if fault == "_leak":
            sig = query.get("X-Amz-Signature", [""])[0]
            return self.send_body(403, error_xml(
                "AccessDenied", "Access Denied for %s (X-Amz-Signature: %s; X-Amz-Signature%%3D%s)"
                % (self.path, sig, sig)))
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
        headers = [
            ("Last-Modified", email.utils.formatdate(os.path.getmtime(file), usegmt=True)),
            ("ETag", '"0123456789abcdef"'),
            ("Cache-Control", "max-age=60"),
            ("x-amz-meta-store", "test"),
        ]
        if fault == "_badnames":
            # names sent as bytes (latin-1): \x01, a space, UTF-8 "\u00e9"
            headers += [("x-amz-meta-a\x01x", "1"), ("x-amz-meta-sp ace", "2"),
                        ("x-amz-meta-\u00c3\u00a9", "3"), ("x-amz-meta-" + "n" * 2389, "4"),
                        ("x-amz-meta-ok", "fine")]
        if fault == "_badmeta":  # http.server sends header text as latin-1
            headers += [("x-amz-meta-\xff\xfe", "v"), ("x-amz-meta-badval", "\xff\xfe")]
        if fault == "_ssec":
            headers += [("x-amz-server-side-encryption-customer-algorithm", "AES256"),
                        ("x-amz-server-side-encryption-customer-key-MD5", "ZjQrne1X/iTcskbY2example==")]
        if fault == "_manymeta":
            headers += [("x-amz-meta-k%02d" % i, "v%d" % i) for i in range(50)]
        if self.headers.get("If-None-Match") == '"0123456789abcdef"':
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
        if fault in ("_noclen", "_chunked"):
            with open(file, "rb") as f:
                body = f.read()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if fault == "_chunked":
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for i in range(0, len(body), 7):
                    part = body[i:i + 7]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.write(b"0\r\n\r\n")
                return
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body[:len(body) // 2])
            self.close_connection = True
            return
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(last - first + 1))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command == "HEAD":
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
