"""A webhook receiver on 127.0.0.1, in a thread of the test process: it checks each post's signature as a
receiver would, and counts deliveries by their id (the de-duplication the README asks receivers for)."""

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from crm.webhooks.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, verify


class Receiver:
    """`answers`: the status of each post in turn (the last one repeats); `delay`: seconds before answering."""

    def __init__(self, secret="", answers=(200,), delay=0.0):
        self.secret, self.answers, self.delay = secret, list(answers), delay
        self.posts = []  # every post: headers, body, whether the signature held
        self.accepted = Counter()  # delivery id -> posts answered 2xx
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    signed = verify(receiver.secret, self.headers.get(SIGNATURE_HEADER, ""), body)
                    status = receiver.answers[min(len(receiver.posts), len(receiver.answers) - 1)]
                    if not signed:
                        status = 401
                    receiver.posts.append({"headers": self.headers, "body": body, "signed": signed})
                    if 200 <= status < 300:
                        receiver.accepted[self.headers[DELIVERY_HEADER]] += 1
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Type", "text/plain")
                reply = b"ok" if 200 <= status < 300 else f"refused {status}".encode()
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def events(self):
        return [(post["headers"][EVENT_HEADER], json.loads(post["body"])) for post in self.posts]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
