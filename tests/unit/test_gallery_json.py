"""The gallery's hand-made JSON and headers say exactly what the general means would."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from hypothesis import given
from hypothesis import strategies as st

from vending_service.pictures import Picture
from vending_service.quotas import Quota
from vending_service.routes import _query_values
from vending_service.views import (
    PictureRecords,
    quota_json,
    quota_record,
    rate_limit_headers,
    rate_limit_raw_headers,
)

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


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["count", "Count", "x", "", "count=", "access_token"]),
            st.text(st.sampled_from("0123456789=;&%+ab"), max_size=6),
        ),
        max_size=5,
    ),
    st.booleans(),
)
def test_the_query_split_reads_what_parse_qsl_reads(
    pairs: list[tuple[str, str]], trailing: bool
) -> None:
    """The split without escapes finds the same `count` values as `parse_qsl`, for any
    query (escaped ones go to `parse_qsl` itself)."""
    query = "&".join(f"{key}={value}" if value else key for key, value in pairs)
    query += "&" if trailing else ""
    expected = [v for k, v in parse_qsl(query, keep_blank_values=True) if k == "count"]

    assert _query_values(query.encode("latin-1"), "count") == expected


@given(limit=st.integers(0, 10**6), used=st.integers(0, 10**6), now=st.floats(0, 1_764_547_199))
def test_the_raw_rate_limit_headers_say_what_the_mapping_says(
    limit: int, used: int, now: float
) -> None:
    """Raw or as a mapping, the same five headers, lower-cased names, the same values."""
    quota = Quota(limit, used, datetime(2025, 12, 1, tzinfo=UTC))
    raw = rate_limit_raw_headers(quota, now)

    assert {name.decode(): value.decode() for name, value in raw} == {
        name.lower(): value for name, value in rate_limit_headers(quota, now).items()
    }
    assert (
        dict(raw)[b"ratelimit"]
        == f'"daily";r={quota.remaining};t={quota.seconds_to_reset(now)}'.encode()
    )
    assert dict(raw)[b"x-ratelimit-reset"] == str(quota.reset_epoch).encode()
