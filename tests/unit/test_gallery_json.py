"""The gallery's hand-made JSON says exactly what an encoder would, for any text."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from vending_service.pictures import Picture
from vending_service.quotas import Quota
from vending_service.views import PictureRecords, quota_json, quota_record

# Any text JSON can carry: lone surrogates cannot be encoded as UTF-8, so no record has one.
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=120)


@given(title=texts, owner=texts, base=texts, width=st.integers(0, 10**6))
def test_a_records_json_decodes_to_the_record(
    title: str, owner: str, base: str, width: int
) -> None:
    """Quotes, backslashes, controls, U+2028 and the rest come back as they went in."""
    records = PictureRecords(base)
    picture = Picture("p-1", title, owner, "private", "image/png", width, 48, 1_700_000_000.5)
    text = records.json(picture)

    assert json.loads(text) == records.record(picture)
    assert records.json(picture) == text  # the kept halves give the same answer again


def test_a_changed_picture_with_the_same_id_is_encoded_afresh() -> None:
    """Kept JSON belongs to one picture object: another with the same id is not served it."""
    records = PictureRecords("http://vending.test")
    first = Picture("p-1", "before", "alice", "private", "image/png", 1, 1, 1.0)
    second = Picture("p-1", "after", "alice", "public", "image/png", 1, 1, 1.0)
    records.json(first)
    assert json.loads(records.json(second))["title"] == "after"


def test_kept_records_are_bounded() -> None:
    """No more than `max_pictures` records are kept, however many pictures pass."""
    records = PictureRecords("http://vending.test", max_pictures=8)
    for index in range(100):
        records.json(Picture(f"p-{index}", "t", "o", "public", "image/png", 1, 1, 1.0))
    assert len(records._halves) <= 8


@given(limit=st.integers(0, 10**12), used=st.integers(0, 10**12))
def test_a_quotas_json_decodes_to_its_record(limit: int, used: int) -> None:
    quota = Quota(limit, used, datetime(2026, 11, 30, tzinfo=UTC))
    assert json.loads(quota_json(quota)) == quota_record(quota)
