"""`python -m auth_service`: serve, manage keys, set a user's tier."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from auth_service.settings import AuthSettings
from shared.web.cli import add_serve_command, run, serve

if TYPE_CHECKING:
    from auth_service.accounts.sql import SQLAccountStore

T = TypeVar("T")


def _serve(args: argparse.Namespace) -> int:
    from auth_service.app import create_app
    from shared.web.metrics import AuthMetrics

    settings, metrics = AuthSettings.from_env(), AuthMetrics()
    app = create_app(settings, metrics=metrics)
    return serve(app, args, metrics=metrics, metrics_port=settings.metrics_port)


def _keys(args: argparse.Namespace) -> int:
    from auth_service.keys import KeyRing, ensure_key, generate_key

    folder = Path(args.dir) if args.dir else AuthSettings.from_env().keys_dir
    if args.action == "generate":
        print(f"created {generate_key(folder, bits=args.bits)}")
    elif args.action == "ensure":
        path = ensure_key(folder, bits=args.bits)
        print(f"created {path}" if path else f"a key already exists in {folder}")
    else:
        ring = KeyRing.load(folder)
        for key in ring.keys:
            marker = "signing" if key is ring.signing else "published"
            print(f"{key.kid}  {key.path.name}  {marker}")
    return 0


def _with_accounts(work: Callable[[SQLAccountStore], Awaitable[T]]) -> T:
    """`work(store)` on the configured database, migrated first, closed after."""
    from auth_service.accounts.sql import SQLAccountStore
    from shared.stores.db import create_engine

    async def run() -> T:
        store = SQLAccountStore(create_engine(AuthSettings.from_env().database_url))
        try:
            await store.migrate()
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(run())


def _set_tier(args: argparse.Namespace) -> int:
    from shared.errors import InvalidInput
    from shared.usernames import canonical_username

    try:
        username = canonical_username(args.username)
    except InvalidInput as exc:
        print(f"invalid username: {exc.detail}", file=sys.stderr)
        return 1
    if not _with_accounts(lambda store: store.set_tier(username, args.tier)):
        print(f"no such user: {username}", file=sys.stderr)
        return 1
    print(f"{username} is now {args.tier}")
    return 0


def _migrate(args: argparse.Namespace) -> int:
    async def nothing(store: SQLAccountStore) -> None:
        return None

    _with_accounts(nothing)
    print("the auth schema is up to date")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m auth_service", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    add_serve_command(sub, name="auth service", port=8001, prefix="/auth", handler=_serve)
    keys = sub.add_parser("keys", help="manage signing keys")
    keys.add_argument("action", choices=["generate", "ensure", "list"])
    keys.add_argument("--dir", help="keys folder (default: KEYS_DIR or ./keys)")
    keys.add_argument("--bits", type=int, default=2048)
    keys.set_defaults(func=_keys)
    migrate = sub.add_parser("migrate", help="create or upgrade the database schema")
    migrate.set_defaults(func=_migrate)
    tier = sub.add_parser("set-tier", help="make a user free or premium")
    tier.add_argument("username")
    tier.add_argument("tier", choices=["free", "premium"])
    tier.set_defaults(func=_set_tier)
    return run(parser, argv, service="auth")


if __name__ == "__main__":
    sys.exit(main())
