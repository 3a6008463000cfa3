"""nginx as the TLS-terminating proxy in front of gunicorn, on 127.0.0.1: it asks for a client
certificate, passes it on in the ``Client-Cert`` header and replaces any ``Client-Cert`` a
client sent, as a deployment for certificate-bound tokens (RFC 8705) must."""
import os
import shutil
import socket
import subprocess

import pytest

from tests.processes import free_port, stop, wait_for

CONFIG = """
daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {server_cert};
        ssl_certificate_key {server_key};
        # RFC 8705 section 2.2: self-signed client certificates are fine, the token names the
        # one it is bound to; the proxy asks for one but does not judge it.
        ssl_verify_client optional_no_ca;
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            # The URL-encoded PEM, or nothing (an empty value drops the header); a Client-Cert
            # sent by the client is never passed on.
            proxy_set_header Client-Cert $ssl_client_escaped_cert;
        }}
    }}
}}
"""


def nginx_binary():
    """The nginx binary; missing is a failure under CI (``.ci/run`` installs it)."""
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx")
                                       else None)
    if binary is None:
        message = "nginx is not installed (apt-get install nginx)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return binary


class TLSProxy:
    """``nginx`` with TLS on a free loopback port, proxying to ``upstream_port``."""

    def __init__(self, directory, upstream_port, server_cert, server_key):
        self.port = free_port()
        config = directory / "nginx.conf"
        config.write_text(CONFIG.format(dir=directory, port=self.port, upstream=upstream_port,
                                        server_cert=server_cert, server_key=server_key))
        self.error_log = directory / "error.log"
        self.process = subprocess.Popen(
            [nginx_binary(), "-p", str(directory), "-e", str(self.error_log), "-c", str(config)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.listening, "nginx", timeout=15, process=self.process)

    def listening(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=1):
            return True

    def url(self, path):
        return f"https://127.0.0.1:{self.port}{path}"

    def stop(self):
        stop(self.process)
