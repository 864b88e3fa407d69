"""The README's curl walkthrough, as pasted, against both services started as `make run`
starts them (real processes, on free ports): each step does what the README says."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.support.services import Stack, running_pair
from tools.processes import ROOT

SECTION = "## A walk through with curl"


def walkthrough() -> str:
    """Every `sh` block of the README's walkthrough section, in order, as one script."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    section = text[start : text.index("\n## ", start + len(SECTION))]
    blocks = re.findall(r"^```sh\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL)
    assert len(blocks) == 2, "the walkthrough and the OAuth example"
    return "\n".join(blocks)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """Auth and vending with make run's settings (issuer, JWKS and public URLs follow the
    ports), on free ports."""
    with running_pair(tmp_path) as pair:
        yield pair


def test_the_readme_walkthrough_runs_as_pasted_and_each_step_does_what_it_says(
    stack: Stack, tmp_path: Path
) -> None:
    """Register bruce and alice, log in, buy 3 cats, download one, /me, 401 without a token,
    upload + share + alice sees it, refresh, reuse revokes the chain, log in as a known
    device and log out, and the OAuth password grant: run by bash with -e and pipefail
    (stricter than pasting), with only the README's own AUTH and VENDING set."""
    workdir = tmp_path / "walk"
    workdir.mkdir()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(workdir),
        "AUTH": stack.auth.url,
        "VENDING": stack.vending.url,
    }
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", walkthrough()],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    out = result.stdout.splitlines()
    assert len(out) == 14, out

    def parsed(line: str) -> Any:
        return json.loads(line)

    assert parsed(out[0]) == {"username": "bruce"}
    assert parsed(out[1]) == {"username": "alice"}
    cats = parsed(out[2])
    assert len(cats["cats"]) == 3
    assert cats["quota"]["used"] == 3
    with Image.open(workdir / "cat.png") as picture:
        picture.verify()
    assert out[3] == "403"  # the image without its signature
    me = parsed(out[4])
    assert (me["sub"], me["quota"]["used"]) == ("bruce", 3)
    assert out[5:8] == ["401", "204", "bruce"]  # no token; shared; alice sees bruce's cat
    assert out[8] == "bruce"  # the refreshed access token works
    assert out[9:11] == ["401", "401"]  # the spent token, then the chain's newest one
    assert out[11:13] == ["204", "401"]  # logout, then its refresh token is refused
    grant = parsed(out[13])
    assert grant["scope"] == "cats:read"
    assert grant["device_token"]
