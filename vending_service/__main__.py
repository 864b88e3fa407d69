"""`python -m vending_service serve`: run the vending machine."""

from __future__ import annotations

import argparse
import logging
import sys

from shared.settings import SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vending_service", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the vending service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8002)
    serve.add_argument("--root-path", default="", help="path prefix behind a gateway, e.g. /api")
    serve.add_argument("--access-log", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    import uvicorn

    from vending_service.app import create_app
    from vending_service.settings import VendingSettings

    try:
        settings = VendingSettings.from_env()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        root_path=args.root_path,
        proxy_headers=False,
        server_header=False,
        access_log=args.access_log,
        log_level="info",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
