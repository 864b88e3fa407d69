"""`python -m auth_service`: serve, manage keys, migrate, set a user's tier."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from auth_service.settings import AuthSettings
from shared.web.cli import add_serve_command, run, serve_service

Command = Callable[[AuthSettings, argparse.Namespace], int]


def _serve(args: argparse.Namespace) -> int:
    from auth_service.app import create_app
    from shared.web.metrics import AuthMetrics

    settings, metrics = AuthSettings.from_env(), AuthMetrics()
    return serve_service(create_app(settings, metrics=metrics), args, settings, metrics)


def _command(name: str) -> Callable[[argparse.Namespace], int]:
    """Run `auth_service.commands.<name>` with the settings (imported only when used)."""

    def handle(args: argparse.Namespace) -> int:
        from auth_service import commands

        command: Command = getattr(commands, name)
        return command(AuthSettings.from_env(), args)

    return handle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m auth_service", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    add_serve_command(sub, name="auth service", port=8001, prefix="/auth", handler=_serve)

    keys = sub.add_parser("keys", help="signing keys: list, rotate, retire, import, ensure")
    actions = keys.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="every key, its state and dates").set_defaults(
        func=_command("list_keys")
    )
    actions.add_parser("rotate", help="a new next key (signs after its lead)").set_defaults(
        func=_command("rotate_key")
    )
    retire = actions.add_parser("retire", help="take a key out of the JWKS at once")
    retire.add_argument("kid")
    retire.add_argument(
        "--force", action="store_true", help="even the only signer (a fresh key signs first)"
    )
    retire.set_defaults(func=_command("retire_key"))
    imported = actions.add_parser("import", help="bring a PEM private key into the key store")
    imported.add_argument("pem")
    imported.add_argument("--now", action="store_true", help="sign with it at once")
    imported.set_defaults(func=_command("import_key"))
    ensure = actions.add_parser("ensure", help="create the key-encryption key file if missing")
    ensure.add_argument("--kek", help="where (default: KEY_ENCRYPTION_KEY_FILE)")
    ensure.set_defaults(func=_command("ensure_kek"))

    revoke = sub.add_parser("revoke", help="revoke a user's tokens, or one access token")
    target = revoke.add_mutually_exclusive_group(required=True)
    target.add_argument("--user", help="every token of this user issued before now")
    target.add_argument("--token", metavar="JTI", help="the access token with this jti")
    revoke.set_defaults(func=_command("revoke"))
    sub.add_parser("migrate", help="create or upgrade the database schema").set_defaults(
        func=_command("migrate")
    )
    tier = sub.add_parser("set-tier", help="make a user free or premium")
    tier.add_argument("username")
    tier.add_argument("tier", choices=["free", "premium"])
    tier.set_defaults(func=_command("set_tier"))
    return run(parser, argv, service="auth")


if __name__ == "__main__":
    sys.exit(main())
