"""The supported production topology, end to end: real nginx with the shipped configuration
(``deploy/nginx/gunicorn_proxy.conf``) in front of real gunicorn sync workers, on 127.0.0.1.

One gunicorn (two sync workers) and one nginx for the module. Slow clients send a byte a
second; every phase is bounded in time (about 20 s for the module).
"""
import contextlib
import datetime
import json
import os
import socket
import subprocess
import threading
import time

import pytest

from tests.dpop_client import DPoPKey
from tests.gunicorn_server import GunicornServer, production_environ
from tests.jwks_server import JWKSServer
from tests.keys import AUDIENCE, ISSUER, mint
from deploy.local_proxy import PROXY_CONF
from tests.processes import NginxServer, nginx_binary, wait_for
from tests.traffic import SLOW_BODY, SLOW_BODY_HEAD, SlowClients, Traffic, request

DEPLOY = PROXY_CONF.parent
# Normal answers take a few milliseconds here; the bound leaves room for a loaded machine.
PROMPT = 1.0
ROUTES = ("/api/private", "/healthz", "/readyz")
# gunicorn's access log also records what it received as proxy headers (GUNICORN_CMD_ARGS
# overrides the config's format); "%(r)s" is the request line with the raw target.
ACCESS_FORMAT = ('"%(r)s" %(s)s xff=%({x-forwarded-for}i)s xfp=%({x-forwarded-proto}i)s '
                 'xfssl=%({x-forwarded-ssl}i)s xfhost=%({x-forwarded-host}i)s')


@pytest.fixture(scope="module")
def tenant(signing_key):
    server = JWKSServer().start()
    server.serve_keys(signing_key.jwk())
    yield server
    server.stop()


@pytest.fixture(scope="module")
def gunicorn(tenant, tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("gunicorn-behind-nginx")
    env = production_environ(
        log_dir / "static", AUTH0_ISSUER=ISSUER, AUTH0_AUDIENCE=AUDIENCE,
        AUTH0_JWKS_URL=tenant.url, AUTH0_JWKS_WARMUP="true", AUTH0_DPOP_MODE="allowed",
        DJANGO_BEHIND_PROXY="true", DJANGO_SECURE_HSTS_SECONDS="3600",
        DJANGO_LOG_FORMAT="plain", GUNICORN_CMD_ARGS=f"--access-logformat '{ACCESS_FORMAT}'")
    server = GunicornServer(env, log_dir).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def proxy(gunicorn, tmp_path_factory):
    server = NginxServer(tmp_path_factory.mktemp("nginx"), f"127.0.0.1:{gunicorn.port}")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bearer(signing_key):
    return {"Authorization": f"Bearer {mint(signing_key)}"}


def normal_clients(port, bearer, seconds):
    """One client per route (API with a token, both probes), back to back for ``seconds``."""
    with contextlib.ExitStack() as stack:
        traffic = [stack.enter_context(Traffic(
            port, path, bearer if path.startswith("/api/") else None, threads=1,
            max_seconds=seconds, timeout=5)) for path in ROUTES]
        time.sleep(seconds)
    return [answer for clients in traffic for answer in clients.answers]


def assert_prompt(answers):
    assert len(answers) >= 3 * len(ROUTES)
    assert [a.status for a in answers if a.status != 200] == []
    assert {a.status for a in answers} == {200}
    slowest = max(a.latency for a in answers)
    assert slowest < PROMPT, f"slowest answer {slowest:.3f} s"


# -- slow clients ----------------------------------------------------------------------------


def test_fifty_slow_headers_leave_the_api_and_probes_answering_through_the_proxy(
        proxy, bearer):
    with SlowClients(proxy.port, count=50, max_seconds=20) as slow:
        time.sleep(1.2)  # each slow connection has sent a byte or two
        answers = normal_clients(proxy.port, bearer, seconds=2.5)
        open_during = slow.still_open()
    assert open_during == 50  # the attack lasted the whole measurement
    assert_prompt(answers)


def test_slow_request_bodies_are_read_by_the_proxy_not_by_a_worker(proxy, bearer):
    with SlowClients(proxy.port, count=20, max_seconds=20, head=SLOW_BODY_HEAD,
                     dribble=SLOW_BODY) as slow:
        time.sleep(1.2)
        answers = normal_clients(proxy.port, bearer, seconds=2.0)
        open_during = slow.still_open()
    assert open_during == 20
    assert_prompt(answers)


def test_the_same_slow_headers_straight_at_gunicorn_leave_everything_unanswered(
        gunicorn, bearer):
    """Why the proxy: without it, sync workers read the slow headers themselves."""
    with SlowClients(gunicorn.port, count=50, max_seconds=20):
        time.sleep(0.5)
        answers = [None] * len(ROUTES)

        def ask(index, path):
            answers[index] = request(gunicorn.port, path, bearer, timeout=2.0)

        threads = [threading.Thread(target=ask, args=item) for item in enumerate(ROUTES)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    assert [a.status for a in answers] == ["TimeoutError"] * len(ROUTES)
    # Once the slow clients are gone, the workers serve again.
    wait_for(lambda: request(gunicorn.port, "/healthz", timeout=2).status == 200,
             "gunicorn answering again", timeout=15)


# -- what reaches gunicorn -------------------------------------------------------------------


def test_the_request_target_reaches_gunicorn_exactly_as_sent(proxy, gunicorn):
    target = "/api/public/%3B%2F%25;x//y?raw-target=%2F%3B%25"
    answer = request(proxy.port, target)
    assert answer.status == 404
    assert json.loads(answer.body) == {"error": "not_found", "message": "Not found"}
    wait_for(lambda: f'"GET {target} HTTP/1.1" 404 xff=' in gunicorn.access_log(),
             "the access log line with the raw target", timeout=5)


def test_a_dpop_proof_for_the_url_the_client_used_verifies_through_the_proxy(proxy,
                                                                            signing_key):
    # DPoP's htu names scheme, host and port as the client used them (RFC 9449 section 4.3):
    # a proxy that replaced the Host (or dropped its port) would make every proof fail.
    key = DPoPKey()
    token = mint(signing_key, cnf={"jkt": key.thumbprint()}, org_id="org_123")
    path = "/api/org/org%5F123"
    answer = request(proxy.port, path, {"Authorization": f"DPoP {token}",
                                        "DPoP": key.proof(htu=proxy.url(path),
                                                          access_token=token)})
    assert answer.status == 200, answer.body
    assert json.loads(answer.body) == {"message": "Organization access granted"}


def test_forwarded_headers_are_the_proxys_whatever_the_client_sends(proxy, gunicorn):
    spoofed = {"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on",
               "X-Forwarded-For": "203.0.113.66", "X-Forwarded-Host": "evil.example"}
    # Straight at gunicorn, DJANGO_BEHIND_PROXY believes them: the request counts as https.
    assert "Strict-Transport-Security" in request(gunicorn.port, "/api/public", spoofed).headers
    proxied = request(proxy.port, "/api/public?forwarded-check", spoofed)
    assert proxied.status == 200
    assert "Strict-Transport-Security" not in proxied.headers  # plain http, as it came
    wait_for(lambda: "?forwarded-check" in gunicorn.access_log(), "the access log", timeout=5)
    [line] = [line for line in gunicorn.access_log().splitlines() if "?forwarded-check" in line]
    assert line.endswith(" xff=127.0.0.1 xfp=http xfssl=- xfhost=-")
    # The security log takes the client's address from X-Forwarded-For: the proxy's peer.
    assert request(proxy.port, "/api/private", spoofed).status == 401
    wait_for(lambda: "reason=credentials_missing" in gunicorn.app_log(), "the security log",
             timeout=5)
    security = [line for line in gunicorn.app_log().splitlines() if "auth0_jwt.security" in line]
    assert security[-1].endswith("client_ip=127.0.0.1")
    assert "203.0.113.66" not in gunicorn.app_log()


# -- sizes and nginx's own answers -----------------------------------------------------------


def test_a_16_kb_token_passes_the_proxy(proxy, signing_key):
    token = mint(signing_key, padding="x" * 11_800)
    assert 16_000 < len(token) <= 16_384  # the verifier's MAX_TOKEN_LENGTH
    answer = request(proxy.port, "/api/private", {"Authorization": f"Bearer {token}"})
    assert answer.status == 200, answer.body


def test_a_header_line_beyond_gunicorns_limit_is_431_json_from_the_proxy(proxy):
    answer = request(proxy.port, "/api/private", {"Authorization": "Bearer " + "a" * 30_000})
    assert answer.status == 431
    assert answer.headers["Content-Type"] == "application/json"
    assert json.loads(answer.body) == {"error": "invalid_request",
                                       "message": "Request header fields too large"}


def test_a_body_over_the_limit_is_413_json_from_the_proxy(proxy):
    answer = request(proxy.port, "/api/public", {"Content-Length": str(2 * 1024 * 1024)})
    assert answer.status == 413
    assert json.loads(answer.body) == {"error": "invalid_request",
                                       "message": "Request body too large"}


def raw_exchange(port, data):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), head.decode("latin-1"), json.loads(body)


@pytest.mark.parametrize("data, status, message", [
    (b"NOT AN HTTP REQUEST\r\n\r\n", 400, "Bad request"),
    (b"GET /" + b"a" * 30_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414,
     "Request line too long"),
])
def test_a_request_nginx_cannot_take_gets_a_json_refusal(proxy, gunicorn, data, status,
                                                          message):
    answered, head, body = raw_exchange(proxy.port, data)
    assert answered == status
    assert "Content-Type: application/json" in head
    assert body == {"error": "invalid_request", "message": message}


def request_line(length):
    """A GET of /api/public whose request line (without CRLF) is ``length`` bytes long."""
    prefix, suffix = b"GET /api/public?q=", b" HTTP/1.1"
    return prefix + b"a" * (length - len(prefix) - len(suffix)) + suffix


def test_a_request_line_gunicorn_would_refuse_in_html_is_a_json_414_from_the_proxy(proxy):
    # gunicorn's hard maximum is 8190 bytes and its refusal is an HTML page; nginx admits
    # 20 KB, so it must refuse the lines in between itself.
    answered, head, body = raw_exchange(
        proxy.port, request_line(8191) + b"\r\nHost: 127.0.0.1\r\n\r\n")
    assert answered == 414
    assert "Content-Type: application/json" in head
    assert body == {"error": "invalid_request", "message": "Request line too long"}


def test_the_longest_request_line_gunicorn_takes_reaches_the_app(proxy):
    # Not raw_exchange: a client that half-closes while nginx is still proxying a request
    # this long is taken as gone (499). Connection: close ends the exchange instead.
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(request_line(8190) + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert json.loads(body)["message"].startswith("Hello from a public endpoint!")


def test_trace_refused_by_nginx_is_a_json_405(proxy):
    answered, head, body = raw_exchange(
        proxy.port, b"TRACE /api/public HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert answered == 405
    assert "Content-Type: application/json" in head
    assert body == {"error": "method_not_allowed", "message": "Method not allowed"}


# -- the production site file ----------------------------------------------------------------


def self_signed(directory):
    """A throwaway certificate and key for api.example.com, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "api.example.com")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    (directory / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "privkey.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))


def test_the_production_site_file_passes_nginx_configuration_test(tmp_path):
    """deploy/nginx/api.conf as shipped, with only the certificate folder and the snippet's
    place (/etc/nginx/snippets/) pointed at this test's files."""
    self_signed(tmp_path)
    site = (DEPLOY / "api.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/api.example.com", str(tmp_path))
    site = site.replace("include snippets/gunicorn_proxy.conf;", f"include {PROXY_CONF};")
    (tmp_path / "api.conf").write_text(site)
    user = "user root;" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(
        f"{user}\npid {tmp_path}/nginx.pid;\nevents {{}}\n"
        f"http {{ client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy; "
        f"include {tmp_path}/api.conf; }}\n")
    result = subprocess.run([nginx_binary(), "-t", "-p", str(tmp_path), "-c",
                             str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
