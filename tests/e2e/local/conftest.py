"""Both services as real uvicorn processes on free ports, stopped by pid."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.services import Stack, running_pair


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """A fresh auth service and vending service, both ready."""
    with running_pair(tmp_path, vending_env={"JWKS_COOLDOWN": "30"}) as pair:
        yield pair
