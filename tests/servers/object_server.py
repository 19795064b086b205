#!/usr/bin/python3
"""A stand-in for the S3 side of a presigned GET, on 127.0.0.1 only.

Serves files under --root at their path. Like S3 it answers errors with
XML bodies (<Error><Code/><Message/></Error>) and refuses a request that
lacks a header the URL's X-Amz-SignedHeaders lists (403
SignatureDoesNotMatch). Paths starting with a fault prefix misbehave:
  /_403/...    403 AccessDenied
  /_500/...    500 without an XML body
  /_close/...  announces the full Content-Length, sends half, closes
  /_slow/...   sends the first bytes, then nothing for 10 s (bounded)
The chosen port is written to --port-file once the server listens.
"""
import argparse
import email.utils
import http.server

import os
import shutil
import sys
import time
import urllib.parse

from loopback import serve

def error_xml(code, message):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code>'
            '<Message>%s</Message><RequestId>TEST</RequestId></Error>' % (code, message)).encode()

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    root = "."

    def log_message(self, fmt, *args):
        pass

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
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        path = urllib.parse.unquote(url.path)
        signed = query.get("X-Amz-SignedHeaders", [""])[0]
        for name in filter(None, signed.lower().split(";")):
            if name != "host" and self.headers.get(name) is None:
                return self.send_body(403, error_xml(
                    "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you provided."))
        fault = None
        for prefix in ("/_403/", "/_500/", "/_close/", "/_slow/"):
            if path.startswith(prefix):
                fault, path = prefix.strip("/"), "/" + path[len(prefix):]
        if fault == "_403":
            return self.send_body(403, error_xml("AccessDenied", "Access Denied"))
        if fault == "_500":
            return self.send_body(500, b"", "text/plain")
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
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(size))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command == "HEAD":
            return
        with open(file, "rb") as f:
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
    a = ap.parse_args()
    Handler.root = a.root
    return serve(Handler, a.port_file)

if __name__ == "__main__":
    sys.exit(main())
