"""A real JWKS server on 127.0.0.1 for the tests, with knobs for faults."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class JWKSServer:
    """Serves ``self.document`` at any path; counts hits; can fail, stall or redirect."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()
        handler = type("Handler", (_Handler,), {"server_state": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/.well-known/jwks.json"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def reset(self):
        with self.lock:
            self.document = {"keys": []}
            self.status = 200
            self.body = None  # raw bytes overriding the document
            self.content_type = "application/json"
            self.delay = 0.0
            self.headers = {}
            self.hits = 0

    def serve_keys(self, *jwks):
        self.document = {"keys": list(jwks)}

    def response(self):
        with self.lock:
            self.hits += 1
            body = self.body if self.body is not None else json.dumps(self.document).encode()
            return self.status, body, self.content_type, self.delay, dict(self.headers)


class _Handler(BaseHTTPRequestHandler):
    server_state = None

    def do_GET(self):
        status, body, content_type, delay, headers = self.server_state.response()
        if delay:
            time.sleep(delay)
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass
