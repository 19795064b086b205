#!/usr/bin/python3
"""A Lambda Runtime API for tests (shared docs §6), on 127.0.0.1 only.

Starts the runtime given after `--` with AWS_LAMBDA_RUNTIME_API pointing
here and feeds it the events of --events (one JSON per line: an event, or
{"event": {...}, "deadlineMs": N, ...} with any of: "stallPost": true, the
answer to that invocation is taken, then its HTTP reply held back for up
to 30 s, as a Runtime API that stopped answering; "requestId" and
"invocationId", ids to give instead of generated ones; "truncateBody":
true, the event is announced 100 bytes longer than it is and the
connection closed after it; "stallBody": true, the same but the
connection held open (up to 30 s) instead, as a Runtime API that
stopped sending; "postStatus": N, every /response and /error
for that invocation answered N and not taken as its answer; "padHeaders":
N, N headers of 100 bytes sent before the request id, more than libcurl
takes in one answer when N is in the thousands; "decoyHeaders": true,
after the real request id and deadline, headers whose names start with
theirs ("...-Request-IdX: decoy", "...-Deadline-Ms-X: 1"), which a
runtime must not read as them; "nextStatus": N, the /next
that would give this event answers N instead, with no request id, and the
event is dropped). It behaves like Lambda: /next blocks
and carries the request id, the epoch-ms deadline, the function ARN, the
trace id and an invocation id; /response answers 202, 400 for an unknown
id, 403 for a second answer to the same id, 413 above 6 MB; /error and
/init/error answer 202; a post to any other path 404, logged as
"unknown_post". An invocation still open at its deadline (plus a
grace of --grace-ms) gets the runtime killed, as Lambda does, and the next
event starts a new one. Every answer, kill and exit goes to --log as a JSON
line; at each /next the runtime's resident memory and open descriptors are
logged too. Exits when every event is answered, when the runtime exits on
its own with nothing left to feed, or after --timeout seconds (status 1).
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time
import uuid
import http.server

from loopback import Server

LIMIT = 6291556


def unique_members(pairs):
    """A JSON object whose members have distinct names, else ValueError:
    an answer repeating a name has no one meaning (the body is then kept
    as text, which the tests' checks refuse)."""
    names = [k for k, _ in pairs]
    if len(set(names)) != len(names):
        raise ValueError("duplicate member name")
    return dict(pairs)

class State:
    def __init__(self, events, log, deadline_ms, grace_ms):
        self.lock = threading.Condition()
        self.pending = list(events)
        self.open = {}       # request id -> deadline (epoch ms)
        self.answered = set()
        self.known = set()
        self.stall = set()   # request ids whose posts get no reply
        self.post_status = {}  # request id -> the status its posts get
        self.done = 0
        self.total = len(events)
        self.log_path = log
        self.deadline_ms = deadline_ms
        self.grace_ms = grace_ms
        self.child = None
        self.stop = False
        self.outage_after = 0   # answers after which the API goes away
        self.outage_ms = 0
        self.outage_at = None   # when it went away

    def log(self, entry):
        entry.setdefault("t", int(time.time() * 1000))
        with open(self.log_path, "a") as f:
            f.write(json.dumps(entry) + "\n")

def deleted_files(pid):
    """How many of pid's descriptors hold a file no name reaches (a
    spool's unlinked temporary file), or None."""
    try:
        d = "/proc/%d/fd" % pid
        return sum(1 for fd in os.listdir(d)
                   if os.readlink(os.path.join(d, fd)).endswith(" (deleted)"))
    except OSError:
        return None


def proc_stats(pid):
    """Resident memory, its peak (KiB) and open descriptors of pid."""
    rss = hwm = fds = None
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
        fds = len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        pass
    return rss, hwm, fds

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    st = None

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        try:
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the runtime was stopped while waiting

    def do_GET(self):
        st = self.st
        if self.path != "/2018-06-01/runtime/invocation/next":
            return self.reply(404, b'{"errorType":"NotFound"}')
        with st.lock:
            while not st.pending and not st.stop:
                st.lock.wait(0.5)
            if st.stop:
                return self.reply(500, b'{"errorType":"ShuttingDown"}')
            item = st.pending.pop(0)
            if item.get("nextStatus"):
                st.done += 1
                st.log({"type": "next_refused", "status": item["nextStatus"]})
                return self.reply(item["nextStatus"], b'{"errorType":"ServiceException"}')
            rid = item.get("requestId") or str(uuid.uuid4())
            deadline = int(time.time() * 1000) + item.get("deadlineMs", st.deadline_ms)
            st.open[rid] = deadline
            st.known.add(rid)
            if item.get("stallPost"):
                st.stall.add(rid)
            if item.get("postStatus"):
                st.post_status[rid] = item["postStatus"]
        pid = st.child.pid if st.child else None
        rss, hwm, fds = proc_stats(pid) if pid else (None, None, None)
        st.log({"type": "next", "id": rid, "deadline": deadline, "rss_kb": rss, "hwm_kb": hwm, "fds": fds,
                "deleted": deleted_files(pid) if pid else None})
        body = json.dumps(item["event"]).encode()
        if item.get("truncateBody") or item.get("stallBody"):
            self.send_response(200)
            self.send_header("Lambda-Runtime-Aws-Request-Id", rid)
            self.send_header("Lambda-Runtime-Deadline-Ms", str(deadline))
            self.send_header("Content-Length", str(len(body) + 100))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
            if item.get("stallBody"):
                with st.lock:
                    end = time.time() + 30
                    while not st.stop and rid in st.open and time.time() < end:
                        st.lock.wait(0.2)
            return
        pad = [("X-Pad-%d" % i, "p" * 100) for i in range(item.get("padHeaders", 0))]
        self.reply(200, body, pad + [
            ("Content-Type", "application/json"),
            ("Lambda-Runtime-Aws-Request-Id", rid),
            ("Lambda-Runtime-Deadline-Ms", str(deadline)),
            ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:inflight"),
            # a new trace id each time, as Lambda sends them (the runtime
            # exports it: a process serving thousands must not keep each)
            ("Lambda-Runtime-Trace-Id", "Root=1-5759e988-%s;Parent=53995c3f42cd8ad8;Sampled=1"
             % uuid.uuid4().hex[:24]),
            ("Lambda-Runtime-Invocation-Id", item.get("invocationId") or "inv-" + rid),
        ] + ([("Lambda-Runtime-Aws-Request-IdX", "decoy"), ("Lambda-Runtime-Deadline-Ms-X", "1")]
             if item.get("decoyHeaders") else []))

    def do_POST(self):
        st = self.st
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n) if n else b""
        parts = self.path.split("/")
        if self.path == "/2018-06-01/runtime/init/error":
            st.log({"type": "init_error", "errorType": self.headers.get("Lambda-Runtime-Function-Error-Type"),
                    "body": body.decode("utf-8", "replace")})
            return self.reply(202, b'{"status":"OK"}')
        if len(parts) != 6 or parts[3] != "invocation" or parts[5] not in ("response", "error"):
            st.log({"type": "unknown_post", "path": self.path})
            return self.reply(404, b'{"errorType":"NotFound"}')
        rid, kind = parts[4], parts[5]
        # read before the answer is counted: the driver may stop the
        # child as soon as the last one is
        rss, hwm, fds = proc_stats(st.child.pid) if st.child else (None, None, None)
        with st.lock:
            if rid not in st.known:
                status = 400
            elif rid in st.answered:
                status = 403
            elif kind == "response" and n > LIMIT:
                status = 413
            elif rid in st.post_status:
                status = st.post_status[rid]
            else:
                status = 202
                st.answered.add(rid)
                st.open.pop(rid, None)
                st.done += 1
                st.lock.notify_all()
        entry = {"type": kind, "id": rid, "status": status, "hwm_kb": hwm,
                 "invocationId": self.headers.get("Lambda-Runtime-Invocation-Id"),
                 "contentType": self.headers.get("Content-Type")}
        if kind == "error":
            entry["errorType"] = self.headers.get("Lambda-Runtime-Function-Error-Type")
        try:
            entry["body"] = json.loads(body, object_pairs_hook=unique_members) \
                if n <= LIMIT else "(%d bytes)" % n
        except ValueError:
            entry["body"] = body.decode("utf-8", "replace")
        st.log(entry)
        if rid in st.stall:
            end = time.time() + 30
            with st.lock:
                while not st.stop and time.time() < end:
                    st.lock.wait(0.2)
        if status == 202 and st.outage_after and st.done == st.outage_after and st.outage_at is None:
            st.outage_at = time.time()
            st.log({"type": "outage", "ms": st.outage_ms})
            self.close_connection = True
            threading.Thread(target=self.server.shutdown, daemon=True).start()
            return self.reply(202, b'{"status":"OK"}', [("Connection", "close")])
        if status == 202:
            return self.reply(202, b'{"status":"OK"}')
        names = {400: "InvalidRequestID", 403: "InvalidStateTransition", 413: "RequestEntityTooLarge"}
        self.reply(status, json.dumps({"errorType": names.get(status, "ServiceException")}).encode())

def load_events(path):
    out = []
    with open(path) as f:
        for line in f:
            if line.strip():
                v = json.loads(line)
                out.append(v if "event" in v else {"event": v})
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--deadline-ms", type=int, default=30000)
    ap.add_argument("--grace-ms", type=int, default=300)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--child-stdout", default=os.devnull)
    ap.add_argument("--child-stderr", default=os.devnull)
    ap.add_argument("--outage", default="", help="N:MS - after N answers, refuse connections for MS ms")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    st = State(load_events(a.events), a.log, a.deadline_ms, a.grace_ms)
    if a.outage:
        st.outage_after, st.outage_ms = (int(x) for x in a.outage.split(":"))
    Handler.st = st
    srv = Server(("127.0.0.1", 0), Handler)
    port = srv.server_address[1]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    restarted = False
    env = dict(os.environ, AWS_LAMBDA_RUNTIME_API="127.0.0.1:%d" % port)
    out = open(a.child_stdout, "ab")
    err = open(a.child_stderr, "ab")

    def start():
        st.child = subprocess.Popen(cmd, env=env, stdout=out, stderr=err)

    start()
    end = time.time() + a.timeout
    status = 0
    while True:
        time.sleep(0.02)
        if st.outage_at is not None and not restarted and time.time() - st.outage_at >= st.outage_ms / 1000:
            srv.server_close()
            srv = Server(("127.0.0.1", port), Handler)
            threading.Thread(target=srv.serve_forever, daemon=True).start()
            restarted = True
            st.log({"type": "back"})
        now_ms = int(time.time() * 1000)
        with st.lock:
            overdue = [r for r, d in st.open.items() if now_ms > d + st.grace_ms]
            finished = st.done >= st.total
        if overdue:
            st.child.kill()
            st.child.wait()
            with st.lock:
                for r in overdue:
                    st.open.pop(r, None)
                    st.answered.add(r)
                    st.done += 1
            for r in overdue:
                st.log({"type": "killed", "id": r, "reason": "deadline"})
            with st.lock:
                finished = st.done >= st.total
            if not finished:
                start()
            continue
        if finished:
            break
        code = st.child.poll()
        if code is not None:
            with st.lock:
                open_ids = list(st.open)
            st.log({"type": "exit", "code": code, "open": open_ids, "left": len(st.pending)})
            break
        if time.time() > end:
            st.log({"type": "timeout"})
            status = 1
            break
    with st.lock:
        st.stop = True
        st.lock.notify_all()
    if st.child.poll() is None:
        st.child.terminate()
        try:
            st.child.wait(5)
        except subprocess.TimeoutExpired:
            st.child.kill()
            st.child.wait()
        st.log({"type": "exit", "code": st.child.returncode, "by": "server"})
    srv.shutdown()
    return status

if __name__ == "__main__":
    sys.exit(main())
