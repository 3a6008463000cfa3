"""Run every case of the corpus against both sides of its pair and compare the answers."""
from dataclasses import dataclass

from tests.parity.compare import differences
from tests.parity.corpus import CASES, Side, Tenant
from tests.parity.servers import Servers
from tests.parity.wire import Answer


@dataclass
class Result:
    case: object
    ours: Answer
    sdk: Answer
    diff: dict  # {aspect: (ours, sdk)}


def compare_all(jwks, signing, stranger, workdir, cases=CASES):
    """``[Result]`` in the order of ``cases``; ``jwks`` serves ``signing``'s key."""
    tenant = Tenant(jwks, signing, stranger)
    with Servers(jwks.url, workdir) as servers:
        pairs = servers.pairs()
        return [compare_one(case, tenant, pairs[case.pair]) for case in cases]


def compare_one(case, tenant, pair):
    # The SDK's side first: a case whose difference rests on the SDK's clock tolerance gets
    # the SDK's answer within the first second after minting.
    sdk = case.run(Side(tenant, pair.sdk.port))
    ours = case.run(Side(tenant, pair.ours.port))
    return Result(case, ours, sdk, differences(ours, sdk))
