"""A stand-in replica behind the real gateway (tests/e2e/gateway): `answer` replies 200
naming itself; `drop` reads each request whole, writes its method to /tmp/seen, and closes
the connection without a reply (a replica that died mid-request). Standard library only:
it runs in the python image as it is."""

from __future__ import annotations

import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Replica(BaseHTTPRequestHandler):
    mode = "answer"

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        with open("/tmp/seen", "a", encoding="ascii") as seen:
            seen.write(self.command + "\n")
        if self.mode == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        body = f"{self.mode} {socket.gethostname()}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _handle

    def log_message(self, format: str, *args: object) -> None:
        return


if __name__ == "__main__":
    Replica.mode = sys.argv[1]
    ThreadingHTTPServer(("0.0.0.0", int(sys.argv[2])), Replica).serve_forever()  # noqa: S104
