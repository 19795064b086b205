#!/usr/bin/python3
"""A WriteGetObjectResponse endpoint for tests, on 127.0.0.1 only.

Every POST /WriteGetObjectResponse has its SigV4 signature checked by an
independent implementation, Debian's botocore (S3SigV4Auth over exactly the
client's SignedHeaders, at the client's x-amz-date), plus the rules of the
protocol: service s3-object-lambda, x-amz-content-sha256 UNSIGNED-PAYLOAD,
one x-amz-date, the token header when credentials carry one, route and
token headers present, every x-amz-* header sent signed (as S3). A bad request gets 403 SignatureDoesNotMatch (or
400). Each request is appended to --log as one JSON line: Host, the
signature's region, fwd status,
error code and message, forwarded headers, body length and a file holding
the body, whether it was complete, and the verdict.

--mode chooses misbehaviour: ok (default), 500 (answer 500 --fail-times
times, then ok), reset (close the connection without answering), hang
(never answer, up to 120 s).
"""
import argparse
import json
import os
import socket
import http.client
import http.server

import sys
import threading
import time
import urllib.parse

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from loopback import serve

# S3 takes what 2 KB of user metadata makes, a few hundred headers;
# http.server refuses more than 100 with 431
http.client._MAXHEADERS = 2000

LOCK = threading.Lock()

def parse_authorization(value):
    if not value or not value.startswith("AWS4-HMAC-SHA256 "):
        raise ValueError("Authorization is not AWS4-HMAC-SHA256")
    fields = {}
    for part in value[len("AWS4-HMAC-SHA256 "):].split(","):
        k, _, v = part.strip().partition("=")
        fields[k] = v
    akid, date, region, service, term = fields["Credential"].split("/")
    if term != "aws4_request":
        raise ValueError("bad credential scope")
    return akid, date, region, service, fields["SignedHeaders"].split(";"), fields["Signature"]

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    cfg = None

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, code=None, message=""):
        body = b""
        if code:
            body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s</Code><Message>%s</Message></Error>"
                    % (code, message)).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first (hang mode, timeouts)

    def read_body(self, out):
        """Copies the body into the file `out`; returns (length, complete)."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            total = 0
            while True:
                line = self.rfile.readline()
                if not line:
                    return total, False
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return total, True
                chunk = self.rfile.read(size + 2)
                out.write(chunk[:size])
                total += min(len(chunk), size)
                if len(chunk) < size + 2:
                    return total, False
        n = int(self.headers.get("Content-Length", "0"))
        total = 0
        while total < n:
            try:
                chunk = self.rfile.read(min(1 << 20, n - total))
            except (ConnectionError, socket.timeout):
                break
            if not chunk:
                break
            out.write(chunk)
            total += len(chunk)
        return total, total == n

    def verify(self, path):
        """Returns None when the request is right, else (status, code, why)."""
        h = self.headers
        try:
            akid, date, region, service, signed, signature = parse_authorization(h.get("Authorization"))
        except Exception as e:  # noqa: BLE001 - any malformed header is a refusal
            return 403, "AccessDenied", "bad Authorization: %s" % e
        if service != "s3-object-lambda":
            return 400, "InvalidSignature", "signed for service %r, not s3-object-lambda" % service
        if len(h.get_all("x-amz-date") or []) != 1:
            return 400, "InvalidSignature", "x-amz-date missing or repeated"
        if h.get("x-amz-content-sha256") != "UNSIGNED-PAYLOAD":
            return 400, "InvalidSignature", "x-amz-content-sha256 is %r" % h.get("x-amz-content-sha256")
        need = {"host", "x-amz-content-sha256", "x-amz-date"}
        if self.cfg.token:
            need.add("x-amz-security-token")
            if h.get("x-amz-security-token") != self.cfg.token:
                return 403, "InvalidToken", "session token missing or wrong"
        missing = need - set(signed)
        if missing:
            return 403, "SignatureDoesNotMatch", "not signed: %s" % ",".join(sorted(missing))
        unsigned = sorted({k.lower() for k in h.keys() if k.lower().startswith("x-amz-")} - set(signed))
        if unsigned:  # as S3: every x-amz-* header sent must be signed
            return 403, "AccessDenied", "There were headers present in the request which were not signed: %s" % (
                ",".join(unsigned))
        if not h.get("x-amz-request-route") or not h.get("x-amz-request-token"):
            return 400, "ValidationError", "route or token header missing"
        if akid != self.cfg.access_key:
            return 403, "InvalidAccessKeyId", "unknown key id"
        headers = {}
        for name in signed:
            values = h.get_all(name)
            if values is None:
                return 403, "SignatureDoesNotMatch", "signed header %s not sent" % name
            headers[name] = ",".join(values)
        url = "http://%s%s" % (h.get("Host"), path)
        req = AWSRequest(method=self.command, url=url, headers=headers, data=b"")
        req.context["timestamp"] = h.get("x-amz-date")
        if req.context["timestamp"][:8] != date:
            return 403, "SignatureDoesNotMatch", "scope date differs from x-amz-date"
        auth = S3SigV4Auth(Credentials(self.cfg.access_key, self.cfg.secret_key, self.cfg.token or None),
                           service, region)
        canonical = auth.canonical_request(req)
        expect = auth.signature(auth.string_to_sign(req, canonical), req)
        if expect != signature:
            return 403, "SignatureDoesNotMatch", "signature differs; canonical request was:\n" + canonical
        return None

    def do_POST(self):
        path = self.path
        parsed = urllib.parse.urlsplit(path)
        if parsed.path != "/WriteGetObjectResponse":
            self.answer(405, "MethodNotAllowed", "not a WriteGetObjectResponse")
            return
        problem = self.verify(path)
        mode = self.cfg.mode
        with LOCK:
            self.cfg.seen += 1
            n = self.cfg.seen
        token = self.headers.get("x-amz-request-token", "none")
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in token)[:80]
        body_file = os.path.join(self.cfg.bodies, "%d-%s.body" % (n, safe))
        if mode == "reset" and not problem:
            open(body_file, "wb").close()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            self.record(n, token, problem, body_file, 0, False, "reset")
            return
        with open(body_file, "wb") as out:
            length, complete = self.read_body(out)
        if mode == "hang" and not problem:
            self.record(n, token, problem, body_file, length, complete, "hang")
            time.sleep(120)
            return
        if mode == "500" and not problem and n <= self.cfg.fail_times:
            self.record(n, token, problem, body_file, length, complete, "500")
            self.answer(500, "InternalError", "test failure")
            return
        self.record(n, token, problem, body_file, length, complete, "ok" if not problem else "refused")
        if problem:
            self.answer(problem[0], problem[1], problem[2].split("\n")[0])
        else:
            self.answer(200)

    def region(self):
        """The region of the signature's credential scope, or None."""
        try:
            return parse_authorization(self.headers.get("Authorization"))[2]
        except (ValueError, KeyError):
            return None

    def record(self, n, token, problem, body_file, length, complete, answer):
        fwd = {k: v for k, v in self.headers.items()
               if k.lower().startswith("x-amz-fwd-header-") or k.lower().startswith("x-amz-meta-")}
        entry = {
            "n": n,
            "route": self.headers.get("x-amz-request-route"),
            "host": self.headers.get("Host"),
            "region": self.region(),
            "token": token,
            "status": int(self.headers.get("x-amz-fwd-status", "200")),
            "errorCode": self.headers.get("x-amz-fwd-error-code"),
            "errorMessage": self.headers.get("x-amz-fwd-error-message"),
            "headers": fwd,
            "contentLength": self.headers.get("Content-Length"),
            "bodyLen": length,
            "bodyFile": body_file,
            "complete": complete,
            "signature": "ok" if not problem else "refused: %s %s" % (problem[1], problem[2]),
            "answer": answer,
            "t": time.time(),
        }
        with LOCK:
            with open(self.cfg.log, "a") as f:
                f.write(json.dumps(entry) + "\n")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--bodies", required=True)
    ap.add_argument("--mode", default="ok", choices=["ok", "500", "reset", "hang"])
    ap.add_argument("--fail-times", type=int, default=1000000)
    ap.add_argument("--access-key", default=os.environ.get("AWS_ACCESS_KEY_ID", "AKIDTEST"))
    ap.add_argument("--secret-key", default=os.environ.get("AWS_SECRET_ACCESS_KEY", "secret"))
    ap.add_argument("--token", default=os.environ.get("AWS_SESSION_TOKEN", ""))
    cfg = ap.parse_args()
    cfg.seen = 0
    os.makedirs(cfg.bodies, exist_ok=True)
    Handler.cfg = cfg
    return serve(Handler, cfg.port_file)

if __name__ == "__main__":
    sys.exit(main())
