#!/usr/bin/env python3
"""A stand-in ERP for the two-instance run: takes `POST /orders` (ltc's
generic ERP document), answers `{"order_ref": ...}` after a short delay, and
appends every request's Idempotency-Key to a log, so a job that ran twice
shows up as a key posted twice.

    fake_erp.py PORT LOGFILE
"""

import http.server
import json
import sys
import threading
import time

LOCK = threading.Lock()


def main():
    port, log_path = int(sys.argv[1]), sys.argv[2]
    log = open(log_path, "a", buffering=1)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            length = int(self.headers.get("content-length", "0"))
            self.rfile.read(length)
            key = self.headers.get("idempotency-key", "")
            with LOCK:
                log.write(key + "\n")
            time.sleep(0.01)
            reply = json.dumps({"order_ref": "SO-" + key[-12:]}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
