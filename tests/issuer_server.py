"""A whole issuer on 127.0.0.1 for the tests: its metadata documents (OIDC discovery, RFC 8414)
and its JWKS, each at its own path, with hit counts per path and knobs for faults."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OIDC_PATH = "/.well-known/openid-configuration"
OAUTH_PATH = "/.well-known/oauth-authorization-server"
JWKS_PATH = "/keys/jwks.json"


class IssuerServer:
    """``routes[path] = (status, body)``; a dict body is served as JSON. Unknown paths: 404.

    ``issuer`` is ``http://127.0.0.1:<port>/`` (with the trailing slash, as Auth0 writes it);
    ``publish(*jwks)`` serves OIDC metadata naming ``JWKS_PATH`` and the keys there.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.routes = {}
        self.hits = {}
        handler = type("Handler", (_Handler,), {"state": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def issuer(self):
        return self.base + "/"

    @property
    def jwks_url(self):
        return self.base + JWKS_PATH

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def publish(self, *jwks, issuer=None, metadata_path=OIDC_PATH):
        with self.lock:
            self.routes = {
                metadata_path: (200, {"issuer": issuer or self.issuer,
                                      "jwks_uri": self.jwks_url,
                                      "id_token_signing_alg_values_supported": ["RS256"]}),
                JWKS_PATH: (200, {"keys": list(jwks)}),
            }
            self.hits = {}

    def set_route(self, path, status, body):
        with self.lock:
            self.routes[path] = (status, body)

    def hit_count(self, path=None):
        with self.lock:
            return sum(self.hits.values()) if path is None else self.hits.get(path, 0)

    def respond(self, path):
        with self.lock:
            self.hits[path] = self.hits.get(path, 0) + 1
            status, body = self.routes.get(path, (404, {"error": "not found"}))
        return status, body if isinstance(body, bytes) else json.dumps(body).encode()


class _Handler(BaseHTTPRequestHandler):
    state = None

    def do_GET(self):
        status, body = self.state.respond(self.path)
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass
