"""The booth's operator commands: keys, schema, tiers. `__main__.py` parses, these act.

Each opens the configured database (migrating it first), does one thing, prints what it did
in a sentence, and returns the exit status: 0 done, 1 refused (with the reason on stderr).
They work against a running deployment: the replicas read the key store every
`KEY_REFRESH_INTERVAL` seconds, so nothing needs a restart.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from auth_service.accounts.sql import SQLAccountStore
from auth_service.keys import (
    KeyEncryptionKey,
    KeyKeeper,
    KeyRing,
    KeyState,
    Position,
)
from auth_service.keys.files import read_private_key
from auth_service.keys.sql import SQLKeyStore
from auth_service.revocations import Revoker
from auth_service.revocations.sql import SQLRevocationStore
from auth_service.settings import AuthSettings
from shared.errors import LanyardError
from shared.stores.db import create_engine
from shared.usernames import canonical_username

__all__ = [
    "ensure_kek",
    "import_key",
    "list_keys",
    "migrate",
    "retire_key",
    "rotate_key",
    "set_tier",
]

T = TypeVar("T")


def _when(moment: float | None) -> str:
    if moment is None:
        return "-"
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _with_store(settings: AuthSettings, work: Callable[[SQLAccountStore], Awaitable[T]]) -> T:
    """`work(store)` on the configured database, migrated first, closed after."""

    async def run() -> T:
        store = SQLAccountStore(create_engine(settings.database_url))
        try:
            await store.migrate()
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(run())


def _keeper(settings: AuthSettings, store: SQLAccountStore) -> KeyKeeper:
    ring = KeyRing(
        SQLKeyStore(store.engine),
        KeyEncryptionKey.read(settings.key_encryption_key_file),
        settings.key_lifecycle,
    )
    return KeyKeeper(ring, interval=settings.key_rotation_interval, bits=settings.key_bits)


def _refuse(error: LanyardError) -> int:
    print(f"refused: {error.detail}", file=sys.stderr)
    return 1


def _describe(position: Position) -> str:
    record = position.record
    return (
        f"{record.kid}  {position.state.value:<8}  gen {record.generation:<3}  "
        f"created {_when(record.created_at)}  signs from {_when(record.activates_at)}  "
        f"stopped {_when(position.stopped_at)}  published until "
        f"{_when(position.published_until) if position.state is not KeyState.NEXT else '-'}  "
        f"retired {_when(record.retired_at)}"
    )


def ensure_kek(settings: AuthSettings, args: argparse.Namespace) -> int:
    """Create the key-encryption key file (mode 0600) unless it exists."""
    path = Path(args.kek) if args.kek else settings.key_encryption_key_file
    created = KeyEncryptionKey.create(path)
    print(f"created {path}" if created else f"{path} exists")
    return 0


def list_keys(settings: AuthSettings, args: argparse.Namespace) -> int:
    """Every key with its state and dates; unusable rows are named on stderr."""

    async def work(store: SQLAccountStore) -> int:
        keeper = _keeper(settings, store)
        await keeper.ring.refresh()
        for position in keeper.ring.positions(keeper.clock()):
            print(_describe(position))
        usable = {r.kid for r in keeper.ring.timeline.records}
        for record in await keeper.ring.store.load():
            if record.kid not in usable:
                print(f"{record.kid}  unusable here (another KEK, or damaged)", file=sys.stderr)
        return 0

    return _with_store(settings, work)


def rotate_key(settings: AuthSettings, args: argparse.Namespace) -> int:
    """A new next key, published now, signing once its lead has passed."""

    async def work(store: SQLAccountStore) -> int:
        rotation = await _keeper(settings, store).rotate()
        record = rotation.record
        verb = "new next key" if rotation.created else "a next key already waits:"
        print(f"{verb} {record.kid}, published now, signs from {_when(record.activates_at)}")
        return 0

    return _with_store(settings, work)


def _revoker(settings: AuthSettings, store: SQLAccountStore) -> Revoker:
    return Revoker(
        SQLRevocationStore(store.engine),
        store,
        access_token_ttl=settings.access_token_ttl,
        margin=settings.revocation_margin,
    )


def retire_key(settings: AuthSettings, args: argparse.Namespace) -> int:
    """Take a key out at once: it leaves the JWKS and the revocation list names it, so every
    verifier refuses its tokens within the revocation bound. Refused for the only signer
    without `--force`, which makes a fresh key that signs at once first."""

    async def work(store: SQLAccountStore) -> int:
        try:
            record = await _keeper(settings, store).retire(args.kid, force=args.force)
        except LanyardError as exc:
            return _refuse(exc)
        await _revoker(settings, store).key(record.kid)
        print(
            f"retired {record.kid} at {_when(record.retired_at)}: it is out of the JWKS and "
            f"its tokens are on the revocation list"
        )
        return 0

    return _with_store(settings, work)


def import_key(settings: AuthSettings, args: argparse.Namespace) -> int:
    """Bring a PEM private key into the key store."""

    async def work(store: SQLAccountStore) -> int:
        try:
            key = read_private_key(Path(args.pem))
            record = await _keeper(settings, store).import_key(key, activate_now=args.now)
        except LanyardError as exc:
            return _refuse(exc)
        print(f"imported {record.kid}, signs from {_when(record.activates_at)}")
        return 0

    return _with_store(settings, work)


def revoke(settings: AuthSettings, args: argparse.Namespace) -> int:
    """`--user NAME`: every token of that user issued before now (refresh chains too);
    `--token JTI`: one access token. Verifiers refuse them within the revocation bound."""

    async def work(store: SQLAccountStore) -> int:
        revoker = _revoker(settings, store)
        if args.token:
            await revoker.token(args.token)
            print(f"revoked the access token {args.token}")
            return 0
        try:
            username = canonical_username(args.user)
        except LanyardError as exc:
            return _refuse(exc)
        not_before = await revoker.user(username)
        print(f"revoked every token of {username} issued before {_when(not_before)}")
        return 0

    return _with_store(settings, work)


def migrate(settings: AuthSettings, args: argparse.Namespace) -> int:
    async def nothing(store: SQLAccountStore) -> int:
        return 0

    _with_store(settings, nothing)
    print("the auth schema is up to date")
    return 0


def set_tier(settings: AuthSettings, args: argparse.Namespace) -> int:
    try:
        username = canonical_username(args.username)
    except LanyardError as exc:
        return _refuse(exc)

    async def work(store: SQLAccountStore) -> int:
        return 0 if await store.set_tier(username, args.tier) else 1

    if _with_store(settings, work):
        print(f"no such user: {username}", file=sys.stderr)
        return 1
    print(f"{username} is now {args.tier}")
    return 0
