"""`python -m vending_service`: serve the vending machine, or migrate its schema."""

from __future__ import annotations

import argparse
import asyncio
import sys

from shared.web.cli import add_serve_command, run, serve_service


def _serve(args: argparse.Namespace) -> int:
    from shared.web.metrics import VendingMetrics
    from vending_service.app import create_app
    from vending_service.settings import VendingSettings

    settings, metrics = VendingSettings.from_env(), VendingMetrics()
    return serve_service(create_app(settings, metrics=metrics), args, settings, metrics)


def _migrate(args: argparse.Namespace) -> int:
    from shared.stores.db import create_engine
    from shared.stores.migrations import migrate
    from vending_service.app import MIGRATIONS, VERSION_TABLE
    from vending_service.settings import VendingSettings

    async def run() -> None:
        engine = create_engine(VendingSettings.from_env().database_url)
        try:
            await migrate(engine, MIGRATIONS, VERSION_TABLE)
        finally:
            await engine.dispose()

    asyncio.run(run())
    print("the vending schema is up to date")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vending_service", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    add_serve_command(sub, name="vending service", port=8002, prefix="/api", handler=_serve)
    migrate = sub.add_parser("migrate", help="create or upgrade the database schema")
    migrate.set_defaults(func=_migrate)
    return run(parser, argv, service="vending")


if __name__ == "__main__":
    sys.exit(main())
