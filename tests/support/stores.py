"""In-memory stores for unit tests of `Booth`, `Machine` and `PictureCache`.

Each keeps its port's contract (the same suites in tests/backends run against them and
the real adapters), so a unit test on them says something true about the services.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import replace

from auth_service.accounts import RefreshRecord, Spend, Spent, User
from auth_service.errors import UsernameTaken
from auth_service.keys import KeyRecord
from auth_service.revocations import Revocation
from vending_service.pictures import Picture
from vending_service.quotas import Quota, QuotaExceeded, quota_day

__all__ = [
    "MemoryAccountStore",
    "MemoryKeyStore",
    "MemoryPictureStore",
    "MemoryQuotaStore",
    "MemoryRevocationStore",
]


class MemoryAccountStore:
    """`AccountStore` in a dict. Every method runs without an await: atomic on one loop."""

    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.refresh: dict[str, RefreshRecord] = {}
        self.spent: dict[str, float] = {}
        self.revoked: dict[str, float] = {}

    async def create_user(self, user: User) -> None:
        if user.username in self.users:
            raise UsernameTaken()
        self.users[user.username] = user

    async def get_user(self, username: str) -> User | None:
        return self.users.get(username)

    async def set_password_hash(self, username: str, password_hash: str) -> None:
        if username in self.users:
            self.users[username] = replace(self.users[username], password_hash=password_hash)

    async def set_tier(self, username: str, tier: str) -> bool:
        if username not in self.users:
            return False
        self.users[username] = replace(self.users[username], tier=tier)
        return True

    async def add_refresh(self, record: RefreshRecord) -> None:
        self.refresh[record.token_hash] = record

    async def find_refresh(self, token_hash: str) -> RefreshRecord | None:
        return self.refresh.get(token_hash)

    async def spend_refresh(self, token_hash: str, successor: RefreshRecord, now: float) -> Spend:
        record = self.refresh.get(token_hash)
        if record is None:
            return Spend(Spent.INVALID)
        if token_hash in self.spent:
            return Spend(Spent.REUSED, record.family_id, record.username)
        if token_hash in self.revoked or record.expires_at <= now:
            return Spend(Spent.INVALID)
        self.spent[token_hash] = now
        ends = record.session_ends_at
        self.refresh[successor.token_hash] = replace(
            successor,
            family_id=record.family_id,
            username=record.username,
            scope=record.scope,
            session_ends_at=ends,
            expires_at=successor.expires_at if ends is None else min(successor.expires_at, ends),
        )
        return Spend(Spent.FRESH, record.family_id, record.username, record.scope)

    async def revoke_family(self, family_id: str, now: float) -> None:
        for token_hash, record in self.refresh.items():
            if record.family_id == family_id:
                self.revoked.setdefault(token_hash, now)

    async def revoke_family_of(self, token_hash: str, now: float) -> str | None:
        record = self.refresh.get(token_hash)
        if record is None:
            return None
        await self.revoke_family(record.family_id, now)
        return record.family_id

    async def revoke_user(self, username: str, now: float) -> None:
        for token_hash, record in self.refresh.items():
            if record.username == username:
                self.revoked.setdefault(token_hash, now)

    async def ready(self) -> bool:
        return True

    async def close(self) -> None:
        return None


class MemoryKeyStore:
    """`KeyStore` in a dict; generations and kids unique, as the SQL table keeps them."""

    def __init__(self) -> None:
        self.records: dict[str, KeyRecord] = {}

    async def load(self) -> list[KeyRecord]:
        return list(self.records.values())

    async def add(self, record: KeyRecord) -> bool:
        taken = {r.generation for r in self.records.values()}
        if record.kid in self.records or record.generation in taken:
            return False
        self.records[record.kid] = record
        return True

    async def retire(self, kid: str, now: float) -> bool:
        record = self.records.get(kid)
        if record is None:
            return False
        if record.retired_at is None:
            self.records[kid] = replace(record, retired_at=now)
        return True


class MemoryRevocationStore:
    """`RevocationStore` in a list; the version is how many were ever added."""

    def __init__(self) -> None:
        self.entries: list[Revocation] = []

    async def add(self, revocations: Sequence[Revocation]) -> None:
        self.entries.extend(revocations)

    async def live(self, now: float) -> list[Revocation]:
        return [entry for entry in self.entries if entry.expires_at > now]

    async def version(self) -> int:
        return len(self.entries)


class MemoryQuotaStore:
    """`QuotaStore` in a dict of (subject, day) -> used."""

    def __init__(self) -> None:
        self.used: dict[tuple[str, str], int] = {}

    async def charge(self, subject: str, amount: int, limit: int, now: float) -> Quota:
        day, resets_at = quota_day(now)
        used = self.used.get((subject, day), 0)
        if used + amount > limit:
            raise QuotaExceeded(Quota(limit, used, resets_at), amount, now)
        self.used[subject, day] = used + amount
        return Quota(limit, used + amount, resets_at)

    async def usage(self, subject: str, limit: int, now: float) -> Quota:
        day, resets_at = quota_day(now)
        return Quota(limit, self.used.get((subject, day), 0), resets_at)

    async def ready(self) -> bool:
        return True


class MemoryPictureStore:
    """A `CatalogueSource` in memory, with the visibility rules of the SQL store and its
    version, raised by every write. Writing to it directly, not through a cache, is what
    another replica does behind the cache's back. It counts its loads, and can be told to
    hold them (`hold_loads`), so tests can race a load against a write."""

    def __init__(self, *pictures: Picture) -> None:
        self.pictures = {p.id: p for p in pictures}
        self.images: dict[str, bytes] = {}
        self.shares: set[tuple[str, str]] = set()
        self.version = 0
        self.version_reads = 0
        self.public_loads = 0
        self.personal_loads = 0
        self.hold_loads: asyncio.Event | None = None
        self.loading = asyncio.Event()

    def visible(self, viewer: str) -> list[Picture]:
        return [
            p
            for p in self.pictures.values()
            if p.visibility == "public" or p.owner == viewer or (p.id, viewer) in self.shares
        ]

    async def changes(self) -> int:
        self.version_reads += 1
        return self.version

    async def public_pictures(self) -> list[Picture]:
        self.public_loads += 1
        snapshot = [p for p in self.pictures.values() if p.visibility == "public"]
        await self._loaded()
        return snapshot

    async def personal(self, viewer: str) -> list[Picture]:
        self.personal_loads += 1
        snapshot = [p for p in self.visible(viewer) if p.visibility != "public"]
        await self._loaded()
        return snapshot

    async def _loaded(self) -> None:
        self.loading.set()
        if self.hold_loads is not None:
            await self.hold_loads.wait()

    async def sample_visible(self, viewer: str, count: int) -> list[Picture]:
        visible = self.visible(viewer)
        return random.sample(visible, min(count, len(visible)))

    async def add(self, picture: Picture, image: bytes) -> None:
        self.pictures[picture.id] = picture
        self.images[picture.id] = image
        self.version += 1

    async def add_catalogue(self, pictures: list[tuple[Picture, bytes]]) -> None:
        for item, image in pictures:
            self.pictures.setdefault(item.id, item)
            self.images.setdefault(item.id, image)
        self.version += 1

    async def catalogue_size(self, owner: str) -> int:
        return sum(p.owner == owner for p in self.pictures.values())

    async def get_visible(self, picture_id: str, viewer: str) -> Picture | None:
        return next((p for p in self.visible(viewer) if p.id == picture_id), None)

    async def image(self, picture_id: str, viewer: str) -> tuple[str, bytes] | None:
        found = await self.get_visible(picture_id, viewer)
        return None if found is None else (found.content_type, self.images.get(found.id, b""))

    def _owned(self, picture_id: str, owner: str) -> bool:
        found = self.pictures.get(picture_id)
        return found is not None and found.owner == owner

    async def delete_own(self, picture_id: str, owner: str) -> bool:
        if not self._owned(picture_id, owner):
            return False
        del self.pictures[picture_id]
        self.images.pop(picture_id, None)
        self.shares = {s for s in self.shares if s[0] != picture_id}
        self.version += 1
        return True

    async def share(self, picture_id: str, owner: str, username: str) -> bool:
        if not self._owned(picture_id, owner):
            return False
        if (picture_id, username) not in self.shares:
            self.shares.add((picture_id, username))
            self.version += 1
        return True

    async def unshare(self, picture_id: str, owner: str, username: str) -> bool:
        if not self._owned(picture_id, owner):
            return False
        if (picture_id, username) in self.shares:
            self.shares.discard((picture_id, username))
            self.version += 1
        return True

    async def ready(self) -> bool:
        return True
