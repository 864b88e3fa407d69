"""The gallery's hand-made JSON says exactly what an encoder would, for any text."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from vending_service.auth import BearerError, _refusal, bearer_error
from vending_service.pictures import Picture
from vending_service.quota import Quota

# Any text JSON can carry: lone surrogates cannot be encoded as UTF-8, so no record has one.
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=120)


@given(title=texts, owner=texts, url=texts, width=st.integers(0, 10**6))
def test_a_records_json_decodes_to_the_record(title: str, owner: str, url: str, width: int) -> None:
    """Quotes, backslashes, controls, U+2028 and the rest come back as they went in."""
    picture = Picture("p-1", title, owner, "private", "image/png", width, 48, 1_700_000_000.5)
    text = picture.record_json(url)

    assert json.loads(text) == picture.record(url)
    assert picture.record_json(url) == text  # the kept halves give the same answer again


@given(limit=st.integers(0, 10**12), used=st.integers(0, 10**12))
def test_a_quotas_json_decodes_to_its_dict(limit: int, used: int) -> None:
    quota = Quota(limit, used, datetime(2026, 11, 30, tzinfo=UTC))
    assert json.loads(quota.as_json()) == quota.as_dict()


def test_a_kept_refusal_is_the_answer_bearer_error_gives() -> None:
    """The refusal sent from memory has the status, headers and body of a fresh one."""
    for error in [
        BearerError(401, "invalid_token", "the access token has expired"),
        BearerError(400, "invalid_request", "send exactly one Authorization header"),
        BearerError(403, "insufficient_scope", "the access token lacks cats:write", "cats:write"),
    ]:
        fresh = bearer_error(error)
        status, headers, body = _refusal(error.status, error.error, error.description, error.scope)
        assert (status, list(headers), body) == (fresh.status_code, fresh.raw_headers, fresh.body)
