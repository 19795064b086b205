#!/usr/bin/python3
"""An HTTPS proxy for tests, on 127.0.0.1 only: answers CONNECT to any
host, terminates TLS itself with --cert/--key (a certificate the client
trusts through CURL_CA_BUNDLE) and relays the plain HTTP inside to
127.0.0.1:--upstream. So a client can be pointed at a real AWS host name
(https_proxy) and the request it sends there, Host header and signature
included, is checked by a local test server. Each CONNECT target goes to
--log as one JSON line."""
import argparse
import json
import os
import select
import socket
import socketserver
import ssl
import sys
import threading

LOCK = threading.Lock()


class Handler(socketserver.BaseRequestHandler):
    cfg = None
    ctx = None

    def handle(self):
        conn = self.request
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 16384:
            b = conn.recv(1)
            if not b:
                return
            head += b
        parts = head.split(b"\r\n", 1)[0].decode("latin-1").split()
        with LOCK, open(self.cfg.log, "a") as f:
            f.write(json.dumps({"method": parts[0] if parts else "", "target": parts[1] if len(parts) > 1 else ""})
                    + "\n")
        if len(parts) < 2 or parts[0] != "CONNECT":
            conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        try:
            tls = self.ctx.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            return
        up = socket.create_connection(("127.0.0.1", self.cfg.upstream))
        try:
            relay(tls, up)
        finally:
            up.close()


def relay(tls, up):
    """Copies bytes both ways until either side closes."""
    while True:
        r, _, _ = select.select([tls, up], [], [], 120)
        if not r:
            return
        if tls in r:
            while True:
                try:
                    data = tls.recv(65536)
                except ssl.SSLWantReadError:
                    break
                except (ssl.SSLError, OSError):
                    return
                if not data:
                    return
                up.sendall(data)
                if not tls.pending():
                    break
        if up in r:
            try:
                data = up.recv(65536)
            except OSError:
                return
            if not data:
                return
            tls.sendall(data)


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--upstream", type=int, required=True)
    cfg = ap.parse_args()
    Handler.cfg = cfg
    Handler.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    Handler.ctx.load_cert_chain(cfg.cert, cfg.key)
    srv = Server(("127.0.0.1", 0), Handler)
    tmp = cfg.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, cfg.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
