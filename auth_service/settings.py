"""The auth booth's settings: read once from the environment, frozen, validated."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from auth_service.clients import parse_clients
from auth_service.keys.model import Lifecycle
from shared.settings import (
    ConnectionLimits,
    ShutdownSettings,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_networks,
    env_store_url,
    env_str,
)

__all__ = ["AuthSettings"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
DEFAULT_ORIGINS = ("http://127.0.0.1:8000", "http://localhost:8000")
METRICS_PORT = 9001
"""The management port's default: `/metrics` is served there, never on the service's port."""


@dataclass(frozen=True)
class AuthSettings:
    """Every setting of the auth service; `from_env` documents the variable for each."""

    issuer: str = "http://127.0.0.1:8001"
    audience: str = "lanyard-vending"
    client_id: str = "lanyard-web"
    oauth_clients: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    keys_dir: Path = Path("keys")
    key_encryption_key_file: Path = Path("keys/kek")
    key_rotation_interval: int = 30 * 86400
    key_publication_margin: int = 60
    key_refresh_interval: float = 2.0
    key_bits: int = 2048
    revocation_max_age: int = 5
    revocation_list_lifetime: int = 600
    revocation_margin: int = 60
    database_url: str = field(default="sqlite+aiosqlite:///data/auth.db", repr=False)
    access_token_ttl: int = 900
    refresh_token_ttl: int = 14 * 24 * 3600
    session_max_age: int = 30 * 24 * 3600
    jwks_max_age: int = 300
    default_scopes: tuple[str, ...] = ("cats:read", "cats:write")
    throttle_user_failures: int = 5
    throttle_ip_failures: int = 50
    throttle_window: int = 900
    throttle_lockout: int = 900
    trusted_proxies: tuple[Network, ...] = ()
    cors_origins: tuple[str, ...] = DEFAULT_ORIGINS
    hash_concurrency: int = 4
    hash_queue: int = 64
    register_per_address: int = 20
    redis_url: str | None = field(default=None, repr=False)
    served_by: str | None = None
    metrics_port: int = METRICS_PORT
    access_log: bool = False
    shutdown: ShutdownSettings = field(default_factory=ShutdownSettings)
    limits: ConnectionLimits = field(default_factory=ConnectionLimits)
    reserved_usernames: frozenset[str] = field(
        default_factory=lambda: frozenset({"vending", "admin", "root", "system"})
    )

    @property
    def key_lifecycle(self) -> Lifecycle:
        """How long keys are published before they sign and after they stop."""
        return Lifecycle.for_settings(
            jwks_max_age=self.jwks_max_age,
            access_token_ttl=self.access_token_ttl,
            margin=self.key_publication_margin,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AuthSettings:
        env = os.environ if env is None else env
        data_dir = env_str(env, "DATA_DIR", "data")
        keys_dir = Path(env_str(env, "KEYS_DIR", "keys"))
        return cls(
            issuer=env_str(env, "ISSUER", "http://127.0.0.1:8001").rstrip("/"),
            audience=env_str(env, "AUDIENCE", "lanyard-vending"),
            client_id=env_str(env, "CLIENT_ID", "lanyard-web"),
            oauth_clients=parse_clients("OAUTH_CLIENTS", env.get("OAUTH_CLIENTS", "")),
            keys_dir=keys_dir,
            key_encryption_key_file=Path(
                env_str(env, "KEY_ENCRYPTION_KEY_FILE", str(keys_dir / "kek"))
            ),
            key_rotation_interval=env_int(env, "KEY_ROTATION_INTERVAL", 30 * 86400, minimum=0),
            key_publication_margin=env_int(
                env, "KEY_PUBLICATION_MARGIN", 60, minimum=0, maximum=86400
            ),
            key_refresh_interval=env_float(
                env, "KEY_REFRESH_INTERVAL", 2.0, minimum=0.1, maximum=300.0
            ),
            key_bits=env_int(env, "KEY_BITS", 2048, minimum=2048, maximum=8192),
            revocation_max_age=env_int(env, "REVOCATION_MAX_AGE", 5, minimum=1, maximum=300),
            revocation_list_lifetime=env_int(
                env, "REVOCATION_LIST_LIFETIME", 600, minimum=60, maximum=86400
            ),
            revocation_margin=env_int(env, "REVOCATION_MARGIN", 60, minimum=0, maximum=3600),
            database_url=env_store_url(
                env,
                "DATABASE_URL",
                "DATABASE_PASSWORD_FILE",
                f"sqlite+aiosqlite:///{data_dir}/auth.db",
            ),
            access_token_ttl=env_int(env, "ACCESS_TOKEN_TTL", 900, minimum=60, maximum=3600),
            refresh_token_ttl=env_int(env, "REFRESH_TOKEN_TTL", 14 * 24 * 3600, minimum=300),
            session_max_age=env_int(env, "SESSION_MAX_AGE", 30 * 24 * 3600, minimum=300),
            jwks_max_age=env_int(env, "JWKS_MAX_AGE", 300, minimum=0, maximum=86400),
            default_scopes=env_list(env, "DEFAULT_SCOPES", ("cats:read", "cats:write")),
            throttle_user_failures=env_int(env, "THROTTLE_USER_FAILURES", 5, minimum=1),
            throttle_ip_failures=env_int(env, "THROTTLE_IP_FAILURES", 50, minimum=1),
            throttle_window=env_int(env, "THROTTLE_WINDOW", 900, minimum=1),
            throttle_lockout=env_int(env, "THROTTLE_LOCKOUT", 900, minimum=1),
            trusted_proxies=env_networks(env, "TRUSTED_PROXIES"),
            cors_origins=env_list(env, "CORS_ORIGINS", DEFAULT_ORIGINS),
            hash_concurrency=env_int(env, "HASH_CONCURRENCY", 4, minimum=1, maximum=64),
            hash_queue=env_int(env, "HASH_QUEUE", 64, minimum=1, maximum=100_000),
            register_per_address=env_int(env, "REGISTER_PER_ADDRESS", 20, minimum=1),
            redis_url=env_store_url(env, "REDIS_URL", "REDIS_PASSWORD_FILE") or None,
            served_by=socket.gethostname() if env_bool(env, "SERVED_BY_HEADER", False) else None,
            metrics_port=env_int(env, "METRICS_PORT", METRICS_PORT, maximum=65535),
            access_log=env_bool(env, "ACCESS_LOG", False),
            shutdown=ShutdownSettings.from_env(env),
            limits=ConnectionLimits.from_env(env),
        )
