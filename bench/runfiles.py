"""The files a benchmark run serves and loads: the tokens of each workload, the key set,
and the signed revocation list the vending services wait for before they are ready."""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from shared.tokens.jws import sign
from shared.tokens.revocations import REVOCATIONS_TYPE, revocations_payload
from tests.support.tokens import TokenMinter

if TYPE_CHECKING:
    from bench.suite import Plan

__all__ = ["AUDIENCE", "ISSUER", "KID", "QUOTA", "write_run_files"]

ISSUER = "http://bench.lanyard.test"
AUDIENCE = "lanyard-vending"
KID = "bench-key"
# Far beyond anything a run can use: the benchmark never meets a 429.
QUOTA = 10**9
# The empty revocation list outlives any run (the booth signs one for 10 minutes and
# re-signs it; nothing here re-signs).
REVOCATION_LIST_LIFETIME = 6 * 3600


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def write_run_files(plan: Plan, workdir: Path) -> tuple[TokenMinter, dict[str, Path]]:
    """The token files of each workload, minted for the bench issuer; and the minter."""
    minter = TokenMinter(issuer=ISSUER, audience=AUDIENCE, kid=KID)
    # Same kid, another key: well-formed tokens whose signature fails, the dearest refusal.
    forger = TokenMinter(issuer=ISSUER, audience=AUDIENCE, kid=KID)
    exp = int(time.time()) + 3600
    valid = [minter.mint(f"user{i:04d}", exp=exp) for i in range(plan.users)]
    forged = [forger.mint(f"user{i:04d}", exp=exp) for i in range(plan.users)]
    mixed = [forged[i] if i % 10 == 9 else token for i, token in enumerate(valid)]
    # Valid header and claims under a random signature (as costly to check as a forged
    # one), so many that no token comes back while the verifier still remembers it.
    fresh = [
        f"{valid[i % plan.users].rpartition('.')[0]}.{_b64url(os.urandom(256))}"
        for i in range(plan.fresh_tokens)
    ]
    files = {}
    for name, tokens in {
        "one": valid[:1],
        "many": valid,
        "mixed": mixed,
        "invalid": forged,
        "fresh": fresh,
    }.items():
        files[name] = workdir / f"tokens-{name}.txt"
        files[name].write_text("\n".join(tokens) + "\n")
    (workdir / "jwks.json").write_text(json.dumps({"keys": [minter.jwk]}))
    # What the booth publishes beside its keys: a signed revocation list, here empty. The
    # vending services stay unready until they hold one (REVOCATION_FAIL_MODE aside).
    revoked = revocations_payload(
        issuer=ISSUER,
        issued_at=int(time.time()),
        lifetime=REVOCATION_LIST_LIFETIME,
        sids=[],
        jtis=[],
        kids=[],
        subs={},
    )
    token = sign({"kid": minter.kid, "typ": REVOCATIONS_TYPE}, revoked, minter.key)
    (workdir / "revocations.jwt").write_text(token)
    return minter, files
