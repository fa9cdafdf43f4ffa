#!/usr/bin/python3
"""rpc_stub.py - a threaded XML-RPC server for client/rpc.c's tests.

    rpc_stub.py [SECRET]

Listens on 127.0.0.1, a free port, which it prints as the first line of stdout. Methods:
echo(x) -> x; sleep(ms) -> ms after sleeping ms milliseconds; fail() -> fault 42 "boom".
With SECRET, a call without HTTP Basic auth "ddf:SECRET" gets fault 401 "authentication
required". Exits when stdin closes (the test process is gone)."""
import base64
import sys
import threading
import time
from socketserver import ThreadingMixIn
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer
import xmlrpc.client

SECRET = sys.argv[1] if len(sys.argv) > 1 else None


class Handler(SimpleXMLRPCRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        if SECRET is not None:
            want = "Basic " + base64.b64encode(("ddf:" + SECRET).encode()).decode()
            if self.headers.get("Authorization") != want:
                body = xmlrpc.client.dumps(xmlrpc.client.Fault(401, "authentication required"),
                                           methodresponse=True).encode()
                length = int(self.headers.get("Content-Length", "0"))
                self.rfile.read(length)
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
        super().do_POST()


class Server(ThreadingMixIn, SimpleXMLRPCServer):
    daemon_threads = True


def fail(*args):
    raise xmlrpc.client.Fault(42, "boom")


def sleep(ms):
    time.sleep(ms / 1000.0)
    return ms


def main():
    server = Server(("127.0.0.1", 0), requestHandler=Handler, logRequests=False)
    server.register_function(lambda x: x, "echo")
    server.register_function(sleep, "sleep")
    server.register_function(fail, "fail")
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # returns when the test closes its end or dies


if __name__ == "__main__":
    main()
