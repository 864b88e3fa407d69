"""The vending machine's settings: read once from the environment, frozen, validated."""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from shared.settings import (
    ConnectionLimits,
    SettingsError,
    ShutdownSettings,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_store_url,
    env_str,
    env_url,
)

__all__ = ["VendingSettings"]

DEFAULT_ORIGINS = ("http://127.0.0.1:8000", "http://localhost:8000")
METRICS_PORT = 9002
"""The management port's default: `/metrics` is served there, never on the service's port."""


def _secret_file(env: Mapping[str, str], name: str) -> bytes | None:
    """The secret in the file `name` names (surrounding whitespace dropped), or None when
    unset. Refused loudly when unreadable, shorter than 32 bytes, or open to every user;
    the message names the variable and the path, never the content."""
    path = env.get(name)
    if not path:
        return None
    try:
        mode = Path(path).stat().st_mode
        secret = Path(path).read_bytes().strip()
    except OSError:
        raise SettingsError(f"{name}: cannot read {path}") from None
    if mode & (stat.S_IROTH | stat.S_IWOTH):
        raise SettingsError(f"{name}: {path} is readable or writable by every user (chmod 600)")
    if len(secret) < 32:
        raise SettingsError(f"{name}: {path} must hold at least 32 bytes")
    return secret


@dataclass(frozen=True)
class VendingSettings:
    """Every setting of the vending service; `from_env` names the variable for each."""

    public_url: str = "http://127.0.0.1:8002"
    jwks_url: str = "http://127.0.0.1:8001/.well-known/jwks.json"
    issuer: str = "http://127.0.0.1:8001"
    audience: str = "lanyard-vending"
    leeway: float = 30.0
    max_token_lifetime: int = 3600
    jwks_cooldown: float = 30.0
    jwks_timeout: float = 5.0
    jwks_min_ttl: float = 30.0
    database_url: str = field(default="sqlite+aiosqlite:///data/vending.db", repr=False)
    quota_free: int = 300
    quota_premium: int = 3000
    catalogue_size: int = 120
    max_upload_bytes: int = 5 * 1024 * 1024
    max_image_pixels: int = 16_000_000
    max_image_side: int = 8192
    image_decode_concurrency: int = 1
    image_decode_queue: int = 16
    image_url_ttl: int = 3600
    image_url_secret: bytes | None = field(default=None, repr=False)
    """None: a random secret made per process (one replica only: see README)."""
    cors_origins: tuple[str, ...] = DEFAULT_ORIGINS
    token_cache_size: int = 10_000
    redis_url: str | None = field(default=None, repr=False)
    served_by: str | None = None
    metrics_port: int = METRICS_PORT
    access_log: bool = False
    shutdown: ShutdownSettings = field(default_factory=ShutdownSettings)
    limits: ConnectionLimits = field(default_factory=ConnectionLimits)
    quota_failure_mode: str = "closed"
    revocation_url: str = "http://127.0.0.1:8001/.well-known/revocations.jwt"
    revocation_stale_limit: float = 600.0
    revocation_fail_mode: str = "open"
    revocation_timeout: float = 5.0
    revocation_max_bytes: int = 32 * 1024 * 1024

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> VendingSettings:
        env = os.environ if env is None else env
        data_dir = env_str(env, "DATA_DIR", "data")
        issuer = env_str(env, "ISSUER", "http://127.0.0.1:8001").rstrip("/")
        return cls(
            public_url=env_url(env, "PUBLIC_URL", "http://127.0.0.1:8002"),
            jwks_url=env_str(env, "JWKS_URL", f"{issuer}/.well-known/jwks.json"),
            issuer=issuer,
            audience=env_str(env, "AUDIENCE", "lanyard-vending"),
            leeway=env_float(env, "LEEWAY", 30.0, maximum=300.0),
            max_token_lifetime=env_int(env, "MAX_TOKEN_LIFETIME", 3600, minimum=60, maximum=86400),
            jwks_cooldown=env_float(env, "JWKS_COOLDOWN", 30.0, minimum=1.0),
            jwks_timeout=env_float(env, "JWKS_TIMEOUT", 5.0, minimum=0.1, maximum=60.0),
            jwks_min_ttl=env_float(env, "JWKS_MIN_TTL", 30.0, minimum=1.0),
            database_url=env_store_url(
                env,
                "DATABASE_URL",
                "DATABASE_PASSWORD_FILE",
                f"sqlite+aiosqlite:///{data_dir}/vending.db",
            ),
            quota_free=env_int(env, "QUOTA_FREE", 300, minimum=1),
            quota_premium=env_int(env, "QUOTA_PREMIUM", 3000, minimum=1),
            catalogue_size=env_int(env, "CATALOGUE_SIZE", 120, minimum=100, maximum=1000),
            max_upload_bytes=env_int(
                env, "MAX_UPLOAD_BYTES", 5 * 1024 * 1024, minimum=1024, maximum=50 * 1024 * 1024
            ),
            max_image_pixels=env_int(
                env, "MAX_IMAGE_PIXELS", 16_000_000, minimum=1, maximum=40_000_000
            ),
            max_image_side=env_int(env, "MAX_IMAGE_SIDE", 8192, minimum=1, maximum=10_000),
            image_decode_concurrency=env_int(
                env, "IMAGE_DECODE_CONCURRENCY", 1, minimum=1, maximum=64
            ),
            image_decode_queue=env_int(env, "IMAGE_DECODE_QUEUE", 16, minimum=0, maximum=1000),
            image_url_ttl=env_int(env, "IMAGE_URL_TTL", 3600, minimum=120, maximum=3600),
            image_url_secret=_secret_file(env, "IMAGE_URL_SECRET_FILE"),
            cors_origins=env_list(env, "CORS_ORIGINS", DEFAULT_ORIGINS),
            token_cache_size=env_int(env, "TOKEN_CACHE_SIZE", 10_000, minimum=0),
            redis_url=env_store_url(env, "REDIS_URL", "REDIS_PASSWORD_FILE") or None,
            served_by=socket.gethostname() if env_bool(env, "SERVED_BY_HEADER", False) else None,
            metrics_port=env_int(env, "METRICS_PORT", METRICS_PORT, maximum=65535),
            access_log=env_bool(env, "ACCESS_LOG", False),
            shutdown=ShutdownSettings.from_env(env),
            limits=ConnectionLimits.from_env(env),
            quota_failure_mode=env_choice(
                env, "QUOTA_FAILURE_MODE", "closed", frozenset({"closed", "open"})
            ),
            revocation_url=env_str(env, "REVOCATION_URL", f"{issuer}/.well-known/revocations.jwt"),
            revocation_stale_limit=env_float(
                env, "REVOCATION_STALE_LIMIT", 600.0, minimum=10.0, maximum=86400.0
            ),
            revocation_fail_mode=env_choice(
                env, "REVOCATION_FAIL_MODE", "open", frozenset({"closed", "open"})
            ),
            revocation_timeout=env_float(env, "REVOCATION_TIMEOUT", 5.0, minimum=0.1, maximum=60.0),
            revocation_max_bytes=env_int(
                env,
                "REVOCATION_MAX_BYTES",
                32 * 1024 * 1024,
                minimum=64 * 1024,
                maximum=512 * 1024 * 1024,
            ),
        )

    def quota_limit(self, tier: str) -> int:
        return self.quota_premium if tier == "premium" else self.quota_free
