"""``python -m tests.parity``: run every case against both sides and print each answer pair
and difference (``--markdown``: the differences as the table rows of docs/from-express.md).
Needs node and npm; installs the pinned SDK into ``express/node_modules`` when missing."""
import argparse
import sys
import tempfile
import time

from tests.keys import SigningKey
from tests.jwks_server import JWKSServer
from tests.parity.compare import aspects, render
from tests.parity.run import compare_all
from tests.parity.servers import install_sdk, node_missing


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    if node_missing():
        sys.exit(node_missing())
    install_sdk()
    signing = SigningKey("key-1")
    jwks = JWKSServer().start()
    jwks.serve_keys(signing.jwk())
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory() as workdir:
            results = compare_all(jwks, signing, SigningKey("key-2"), workdir)
    finally:
        jwks.stop()
    for result in results:
        if args.markdown:
            if result.diff:
                print(f"| {result.case.name} | {render(result.diff)} |")
            continue
        print(f"== {result.case.name} [{result.case.pair}]: {result.case.about}")
        for side, answer in (("ours", result.ours), ("sdk ", result.sdk)):
            print(f"   {side} {aspects(answer)}")
            print(f"        www-authenticate: {answer.headers.get('www-authenticate', '-')}")
            if side == "ours" and isinstance(answer.body, dict) and "error" in answer.body:
                print(f"        body: {answer.body}")
        print(f"   DIFF {render(result.diff) or 'none'}")
    print(f"{len(results)} cases, {sum(bool(r.diff) for r in results)} with differences, "
          f"{time.monotonic() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
