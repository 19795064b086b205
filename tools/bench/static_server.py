#!/usr/bin/python3
"""A static file server for `make bench`, on 127.0.0.1 only.

Answers GET with the file under --root at the request's path, sent with
os.sendfile so that the server is not what limits the `runtime --event`
row (tests/servers/object_server.py reads the whole object into Python
first). No ranges, no keep-alive: one response per connection. The port
is written to --port-file once the server listens.

usage: static_server.py --root DIR --port-file FILE
"""
import argparse
import os
import socketserver
import sys
import urllib.parse


class Handler(socketserver.StreamRequestHandler):
    root = "."

    def reply(self, status, body=b""):
        self.wfile.write(b"HTTP/1.1 %s\r\nContent-Type: application/xml\r\n"
                         b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                         % (status, len(body), body))

    def handle(self):
        line = self.rfile.readline(8192).decode("latin-1").split()
        for _ in range(100):  # the request's headers, bounded
            if self.rfile.readline(8192) in (b"\r\n", b"\n", b""):
                break
        if len(line) != 3 or line[0] != "GET":
            return self.reply(b"405 Method Not Allowed")
        path = urllib.parse.unquote(urllib.parse.urlsplit(line[1]).path)
        root = os.path.realpath(self.root)
        file = os.path.realpath(os.path.join(root, path.lstrip("/")))
        if not file.startswith(root + os.sep) or not os.path.isfile(file):
            return self.reply(b"404 Not Found", b"<Error><Code>NoSuchKey</Code></Error>")
        with open(file, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\nConnection: close\r\n\r\n" % size)
            self.wfile.flush()
            sent = 0
            while sent < size:
                n = os.sendfile(self.connection.fileno(), f.fileno(), sent, size - sent)
                if n <= 0:
                    break
                sent += n


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--port-file", required=True)
    a = ap.parse_args()
    Handler.root = a.root
    srv = Server(("127.0.0.1", 0), Handler)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(a.port_file + ".tmp", a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
