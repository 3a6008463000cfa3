"""One HTTP request to a server on 127.0.0.1, sent byte for byte as given.

``http.client`` puts ``target`` on the request line unchanged (no percent-encoding, no
normalising), sends headers in order (a name may repeat) and adds nothing but what is asked:
how the end-to-end tests send requests a browser or ``requests`` would rewrite.
"""
import http.client


def send(port, method, target, headers=(), body=None, host=None):
    """``(status, headers, body bytes)``. ``host`` replaces the ``Host`` header; a ``body``
    gets its ``Content-Length`` unless ``headers`` declare one (a length with no body behind
    it is a test of its own)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.putrequest(method, target, skip_host=host is not None,
                              skip_accept_encoding=True)
        if host is not None:
            connection.putheader("Host", host)
        for name, value in headers:
            connection.putheader(name, value)
        if body is not None and not any(name == "Content-Length" for name, _ in headers):
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()
