"""Helpers for reading settings once, from one mapping, failing loudly by variable name."""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import quote, urlsplit, urlunsplit

from shared.errors import LanyardError

__all__ = [
    "ConnectionLimits",
    "SettingsError",
    "ShutdownSettings",
    "env_bool",
    "env_choice",
    "env_float",
    "env_int",
    "env_list",
    "env_networks",
    "env_store_url",
    "env_str",
    "env_url",
]

Env = Mapping[str, str]
_TRUE: Final = {"1", "true", "yes", "on"}
_FALSE: Final = {"0", "false", "no", "off"}


class SettingsError(LanyardError, ValueError):
    """A setting is missing or invalid; the message names the variable."""


def env_str(env: Env, name: str, default: str | None = None) -> str:
    value = env.get(name)
    if value is None or value == "":
        if default is None:
            raise SettingsError(f"{name} is required")
        return default
    return value


def env_url(env: Env, name: str, default: str) -> str:
    """An absolute http(s) URL with no query or fragment, without its trailing slash."""
    value = env_str(env, name, default).rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SettingsError(f"{name} must be an absolute http(s) URL, got {value!r}")
    return value


def env_int(
    env: Env, name: str, default: int, *, minimum: int = 0, maximum: int | None = None
) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise SettingsError(f"{name} must be {bound}, got {value}")
    return value


def env_float(
    env: Env, name: str, default: float, *, minimum: float = 0.0, maximum: float | None = None
) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if not math.isfinite(value) or value < minimum or (maximum is not None and value > maximum):
        raise SettingsError(f"{name} is out of range: {raw!r}")
    return value


def env_bool(env: Env, name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def env_choice(env: Env, name: str, default: str, choices: frozenset[str]) -> str:
    value = env_str(env, name, default).lower()
    if value not in choices:
        raise SettingsError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return value


def env_list(env: Env, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = env.get(name)
    if raw is None:
        return default
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def env_store_url(env: Env, name: str, secret_file: str, default: str = "") -> str:
    """A store's URL (`name`), with the password read from the file that the variable
    `secret_file` names, when that is set: how Docker and Kubernetes secrets reach a
    database or Redis URL without the password appearing in the environment."""
    url = env.get(name) or default
    path = env.get(secret_file)
    if not path or not url:
        return url
    try:
        password = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError):
        raise SettingsError(f"{secret_file}: cannot read {path}") from None
    if not password:
        raise SettingsError(f"{secret_file}: {path} is empty")
    parts = urlsplit(url)
    if parts.hostname is None:
        raise SettingsError(f"{name} names no host, so {secret_file} has nowhere to go")
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{user}:{quote(password, safe='')}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def env_networks(
    env: Env, name: str, default: tuple[str, ...] = ()
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """A comma-separated list of IP addresses or CIDR networks."""
    networks = []
    for item in env_list(env, name, default):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise SettingsError(f"{name} has an invalid address or network: {item!r}") from None
    return tuple(networks)


@dataclass(frozen=True)
class ShutdownSettings:
    """How a service stops when told to (SIGTERM): see `shared.web.drain`."""

    drain_delay: float = 0.0
    """`SHUTDOWN_DRAIN_DELAY`: seconds of serving, not ready, before it stops listening."""
    timeout: int = 30
    """`SHUTDOWN_TIMEOUT`: seconds the requests in flight then have to finish."""

    @classmethod
    def from_env(cls, env: Env) -> ShutdownSettings:
        return cls(
            drain_delay=env_float(env, "SHUTDOWN_DRAIN_DELAY", 0.0, maximum=300.0),
            timeout=env_int(env, "SHUTDOWN_TIMEOUT", 30, minimum=1, maximum=3600),
        )


@dataclass(frozen=True)
class ConnectionLimits:
    """What one connection to a service's port may take: see `shared.web.limits`."""

    max_head_bytes: int = 32 * 1024
    """`MAX_REQUEST_HEAD_BYTES`: request line and headers together; more is `431`."""
    head_timeout: float = 10.0
    """`REQUEST_HEAD_TIMEOUT`: seconds a connection has to send a whole request head."""
    max_connections: int = 1000
    """`MAX_CONNECTIONS`: open connections (and requests in flight); more are `503`."""

    @classmethod
    def from_env(cls, env: Env) -> ConnectionLimits:
        return cls(
            max_head_bytes=env_int(
                env, "MAX_REQUEST_HEAD_BYTES", 32 * 1024, minimum=4096, maximum=1024 * 1024
            ),
            head_timeout=env_float(env, "REQUEST_HEAD_TIMEOUT", 10.0, minimum=0.1, maximum=300.0),
            max_connections=env_int(env, "MAX_CONNECTIONS", 1000, minimum=1, maximum=1_000_000),
        )
