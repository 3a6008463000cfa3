"""The same requests, side by side: this API and Auth0's Express quickstart on
``express-oauth2-jwt-bearer`` 1.10 (``express/``), both on loopback, both trusting the same
JWKS server and keys.

- ``servers.py``: the two kinds of server, each in the configurations compared;
- ``corpus.py``: the requests (headers, tokens, DPoP proofs), each run against both sides;
- ``wire.py``: sending a request byte for byte and reading what a client sees;
- ``compare.py``: the aspects compared, and the differences between two answers;
- ``__main__.py``: ``python -m tests.parity`` prints every case and difference.

``tests/demo/test_express_parity.py`` runs it and holds the table of documented differences.
"""
