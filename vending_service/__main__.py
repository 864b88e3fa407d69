"""`python -m vending_service`: serve the vending machine, or migrate its schema."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from shared.settings import SettingsError


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from vending_service.app import create_app
    from vending_service.settings import VendingSettings

    uvicorn.run(
        create_app(VendingSettings.from_env()),
        host=args.host,
        port=args.port,
        root_path=args.root_path,
        proxy_headers=False,
        server_header=False,
        access_log=args.access_log,
        log_level="info",
    )
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from shared.db import create_engine
    from shared.migrations import migrate
    from vending_service.app import MIGRATIONS
    from vending_service.settings import VendingSettings

    async def run() -> None:
        engine = create_engine(VendingSettings.from_env().database_url)
        try:
            await migrate(engine, MIGRATIONS, "alembic_version_vending")
        finally:
            await engine.dispose()

    asyncio.run(run())
    print("the vending schema is up to date")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vending_service", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the vending service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8002)
    serve.add_argument("--root-path", default="", help="path prefix behind a gateway, e.g. /api")
    serve.add_argument("--access-log", action="store_true")
    serve.set_defaults(func=_serve)
    migrate = sub.add_parser("migrate", help="create or upgrade the database schema")
    migrate.set_defaults(func=_migrate)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per JWKS fetch is noise
    try:
        result: int = args.func(args)
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    sys.exit(main())
