"""What the test servers share: a threaded HTTP server bound to 127.0.0.1
only, quiet about clients that go away, and the port-file handshake the
tests wait on."""
import http.server
import os
import socket
import socketserver
import sys


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def get_request(self):
        # answers go out in several small writes: without TCP_NODELAY,
        # Nagle and the client's delayed ACK stall each one by ~40 ms
        sock, addr = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, addr

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client that went away (tests kill them on purpose)
        super().handle_error(request, client_address)


def serve(handler, port_file, port=0):
    """Listens on 127.0.0.1:port (0: any), publishes the port in port_file
    atomically, and serves until interrupted."""
    srv = Server(("127.0.0.1", port), handler)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0
