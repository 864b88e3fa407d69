"""Unit tests for settings: read from one mapping, failing loudly by name, secrets hidden."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path

import pytest

from auth_service.settings import AuthSettings
from shared.settings import (
    SettingsError,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_networks,
    env_str,
)
from vending_service.settings import VendingSettings

VAR = "LANYARD_TEST_VARIABLE"
DB_PASSWORD = "hunter2-s3cret"
DB_URL = f"postgresql+asyncpg://lanyard:{DB_PASSWORD}@db.internal:5432/lanyard"

# Each case reads VAR from a mapping that holds a bad value for it.
_BAD_READS: dict[str, Callable[[], object]] = {
    "str-missing": lambda: env_str({}, VAR),
    "str-empty": lambda: env_str({VAR: ""}, VAR),
    "int-not-a-number": lambda: env_int({VAR: "ten"}, VAR, 1),
    "int-float": lambda: env_int({VAR: "1.5"}, VAR, 1),
    "int-below-minimum": lambda: env_int({VAR: "0"}, VAR, 5, minimum=1),
    "int-negative": lambda: env_int({VAR: "-1"}, VAR, 5),
    "int-above-maximum": lambda: env_int({VAR: "65"}, VAR, 4, minimum=1, maximum=64),
    "float-not-a-number": lambda: env_float({VAR: "soon"}, VAR, 1.0),
    "float-nan": lambda: env_float({VAR: "nan"}, VAR, 1.0),
    "float-below-minimum": lambda: env_float({VAR: "0.05"}, VAR, 1.0, minimum=0.1),
    "float-above-maximum": lambda: env_float({VAR: "301"}, VAR, 30.0, maximum=300.0),
    "float-infinity-above-maximum": lambda: env_float({VAR: "inf"}, VAR, 1.0, maximum=60.0),
    "bool-unknown-word": lambda: env_bool({VAR: "maybe"}, VAR, False),
    "bool-number": lambda: env_bool({VAR: "2"}, VAR, False),
    "choice-unknown": lambda: env_choice({VAR: "sideways"}, VAR, "open", frozenset({"open"})),
    "networks-bad-address": lambda: env_networks({VAR: "10.0.0.0/8, 300.1.1.1"}, VAR),
    "networks-bad-prefix": lambda: env_networks({VAR: "10.0.0.0/33"}, VAR),
}


@pytest.mark.parametrize("case", sorted(_BAD_READS))
def test_bad_or_missing_value_raises_settings_error_naming_the_variable(case: str) -> None:
    """Every reader fails with a `SettingsError` whose message names the variable."""
    with pytest.raises(SettingsError, match=VAR):
        _BAD_READS[case]()


def test_settings_error_is_a_value_error() -> None:
    """A `SettingsError` can be caught as the `ValueError` it is."""
    assert issubclass(SettingsError, ValueError)


def test_unset_or_empty_variables_take_their_defaults() -> None:
    """An unset or empty variable means the default, for every reader."""
    for env in ({}, {VAR: ""}):
        assert env_str(env, VAR, "d") == "d"
        assert env_int(env, VAR, 7) == 7
        assert env_float(env, VAR, 2.5) == 2.5
        assert env_bool(env, VAR, True) is True
        assert env_choice(env, VAR, "open", frozenset({"open", "closed"})) == "open"
    assert env_list({}, VAR, ("a", "b")) == ("a", "b")
    assert env_networks({}, VAR) == ()


def test_valid_values_are_parsed() -> None:
    """Well-formed values are read as the types they name."""
    assert env_str({VAR: "value"}, VAR) == "value"
    assert env_int({VAR: "64"}, VAR, 4, minimum=1, maximum=64) == 64
    assert env_float({VAR: "0.1"}, VAR, 1.0, minimum=0.1) == 0.1
    assert env_choice({VAR: "CLOSED"}, VAR, "open", frozenset({"open", "closed"})) == "closed"
    assert env_list({VAR: " a, ,b ,"}, VAR, ()) == ("a", "b")
    assert env_list({VAR: ""}, VAR, ("x",)) == ()
    assert env_networks({VAR: "10.0.0.0/8, ::1"}, VAR) == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        ("On", True),
        ("0", False),
        ("false", False),
        ("NO", False),
        ("off", False),
    ],
)
def test_env_bool_reads_the_usual_words(raw: str, expected: bool) -> None:
    """Booleans are 1/true/yes/on and 0/false/no/off, in any case."""
    assert env_bool({VAR: raw}, VAR, not expected) is expected


# --- service settings -------------------------------------------------------------------


def test_auth_settings_from_an_empty_environment_are_the_defaults() -> None:
    """With nothing set, the auth service runs on its documented local defaults."""
    settings = AuthSettings.from_env({})
    assert settings == AuthSettings()
    assert settings.issuer == "http://127.0.0.1:8001"
    assert settings.audience == "lanyard-vending"
    assert settings.keys_dir == Path("keys")
    assert settings.database_url == "sqlite+aiosqlite:///data/auth.db"
    assert settings.access_token_ttl == 900
    assert settings.throttle_user_failures == 5
    assert settings.throttle_ip_failures == 50
    assert settings.throttle_window == 900
    assert settings.throttle_lockout == 900
    assert settings.session_max_age == 30 * 86400
    assert settings.register_per_address == 20
    assert settings.hash_queue == 64


def test_the_abuse_limits_are_read_from_the_environment() -> None:
    """SESSION_MAX_AGE, REGISTER_PER_ADDRESS and HASH_QUEUE can each be changed."""
    env = {"SESSION_MAX_AGE": "3600", "REGISTER_PER_ADDRESS": "1000", "HASH_QUEUE": "8"}
    settings = AuthSettings.from_env(env)
    assert (settings.session_max_age, settings.register_per_address, settings.hash_queue) == (
        3600,
        1000,
        8,
    )


def test_vending_settings_from_an_empty_environment_are_the_defaults() -> None:
    """With nothing set, the vending service trusts the local auth service's JWKS."""
    settings = VendingSettings.from_env({})
    assert settings == VendingSettings()
    assert settings.jwks_url == "http://127.0.0.1:8001/.well-known/jwks.json"
    assert settings.issuer == "http://127.0.0.1:8001"
    assert settings.audience == "lanyard-vending"
    assert settings.leeway == 30.0
    assert settings.max_token_lifetime == 3600
    assert settings.database_url == "sqlite+aiosqlite:///data/vending.db"
    assert (settings.quota_free, settings.quota_premium) == (300, 3000)


def test_issuer_trailing_slash_is_dropped_and_the_jwks_url_follows_it() -> None:
    """ISSUER is compared exactly, so a trailing slash is trimmed; JWKS_URL defaults from it."""
    auth = AuthSettings.from_env({"ISSUER": "https://auth.example/"})
    vending = VendingSettings.from_env({"ISSUER": "https://auth.example/"})
    assert auth.issuer == vending.issuer == "https://auth.example"
    assert vending.jwks_url == "https://auth.example/.well-known/jwks.json"


def test_data_dir_sets_the_default_database_location() -> None:
    """DATA_DIR moves both default SQLite databases."""
    assert AuthSettings.from_env({"DATA_DIR": "/var/lib/x"}).database_url.endswith(
        "/var/lib/x/auth.db"
    )
    assert VendingSettings.from_env({"DATA_DIR": "/var/lib/x"}).database_url.endswith(
        "/var/lib/x/vending.db"
    )


@pytest.mark.parametrize("settings_class", [AuthSettings, VendingSettings])
def test_settings_repr_does_not_show_the_database_url(
    settings_class: type[AuthSettings] | type[VendingSettings],
) -> None:
    """DATABASE_URL may hold a password, so neither repr nor str shows it."""
    settings = settings_class.from_env({"DATABASE_URL": DB_URL})
    assert settings.database_url == DB_URL
    for text in (repr(settings), str(settings)):
        assert DB_PASSWORD not in text
        assert "db.internal" not in text


@pytest.mark.parametrize(
    ("settings_class", "name", "value"),
    [
        (AuthSettings, "ACCESS_TOKEN_TTL", "59"),
        (AuthSettings, "ACCESS_TOKEN_TTL", "3601"),
        (AuthSettings, "THROTTLE_USER_FAILURES", "0"),
        (AuthSettings, "HASH_CONCURRENCY", "many"),
        (AuthSettings, "SESSION_MAX_AGE", "299"),
        (AuthSettings, "REGISTER_PER_ADDRESS", "0"),
        (AuthSettings, "HASH_QUEUE", "none"),
        (AuthSettings, "TRUSTED_PROXIES", "not-an-ip"),
        (VendingSettings, "LEEWAY", "301"),
        (VendingSettings, "LEEWAY", "-1"),
        (VendingSettings, "MAX_TOKEN_LIFETIME", "86401"),
        (VendingSettings, "QUOTA_FREE", "0"),
        (VendingSettings, "JWKS_COOLDOWN", "abc"),
        (AuthSettings, "METRICS_PORT", "65536"),
        (VendingSettings, "METRICS_PORT", "-1"),
        (VendingSettings, "ACCESS_LOG", "sometimes"),
    ],
)
def test_service_settings_fail_loudly_naming_the_bad_variable(
    settings_class: type[AuthSettings] | type[VendingSettings], name: str, value: str
) -> None:
    """A bad value in the environment stops start-up with an error naming the variable."""
    with pytest.raises(SettingsError, match=name):
        settings_class.from_env({name: value})


def test_the_management_port_and_access_log_default_and_can_be_changed() -> None:
    """Metrics on 9001 (auth) and 9002 (vending) unless METRICS_PORT says otherwise (0:
    none); no per-request log line unless ACCESS_LOG is true."""
    assert (AuthSettings.from_env({}).metrics_port, VendingSettings.from_env({}).metrics_port) == (
        9001,
        9002,
    )
    assert AuthSettings.from_env({"METRICS_PORT": "0"}).metrics_port == 0
    changed = VendingSettings.from_env({"METRICS_PORT": "19102", "ACCESS_LOG": "true"})
    assert (changed.metrics_port, changed.access_log) == (19102, True)
    assert not AuthSettings.from_env({}).access_log


def test_settings_are_frozen() -> None:
    """Settings are read once and cannot be changed afterwards."""
    settings = VendingSettings.from_env({})
    with pytest.raises(AttributeError):
        settings.issuer = "http://evil.test"  # type: ignore[misc]


@pytest.mark.parametrize("settings_class", [AuthSettings, VendingSettings])
def test_store_passwords_come_from_secret_files_into_the_urls(
    settings_class: type[AuthSettings] | type[VendingSettings], tmp_path: Path
) -> None:
    """DATABASE_PASSWORD_FILE and REDIS_PASSWORD_FILE put the file's password (trailing
    newline dropped, percent-encoded) into the URLs; repr shows neither."""
    (tmp_path / "pg").write_text("p@ss:w/rd\n")
    (tmp_path / "redis").write_text("r3dis")
    settings = settings_class.from_env(
        {
            "DATABASE_URL": "postgresql+asyncpg://lanyard@postgres:5432/db",
            "DATABASE_PASSWORD_FILE": str(tmp_path / "pg"),
            "REDIS_URL": "redis://redis:6379/1",
            "REDIS_PASSWORD_FILE": str(tmp_path / "redis"),
        }
    )
    assert settings.database_url == "postgresql+asyncpg://lanyard:p%40ss%3Aw%2Frd@postgres:5432/db"
    assert settings.redis_url == "redis://:r3dis@redis:6379/1"
    assert "r3dis" not in repr(settings)
    assert "p%40ss" not in repr(settings)


@pytest.mark.parametrize("content", [None, ""], ids=["missing", "empty"])
def test_an_unreadable_or_empty_password_file_names_its_variable(
    content: str | None, tmp_path: Path
) -> None:
    """A password file that cannot be read, or is empty, stops the service naming it."""
    secret = tmp_path / "pg"
    if content is not None:
        secret.write_text(content)
    with pytest.raises(SettingsError, match="DATABASE_PASSWORD_FILE"):
        AuthSettings.from_env(
            {"DATABASE_URL": "postgresql+asyncpg://u@h/db", "DATABASE_PASSWORD_FILE": str(secret)}
        )


@pytest.mark.parametrize("settings_class", [AuthSettings, VendingSettings])
def test_shutdown_settings_default_to_no_drain_and_are_read_from_the_environment(
    settings_class: type[AuthSettings] | type[VendingSettings],
) -> None:
    """No drain delay by default (make run, tests); SHUTDOWN_DRAIN_DELAY and
    SHUTDOWN_TIMEOUT are read, and out-of-range values are refused by name."""
    assert settings_class.from_env({}).shutdown.drain_delay == 0
    shutdown = settings_class.from_env(
        {"SHUTDOWN_DRAIN_DELAY": "6", "SHUTDOWN_TIMEOUT": "20"}
    ).shutdown
    assert (shutdown.drain_delay, shutdown.timeout) == (6.0, 20)
    with pytest.raises(SettingsError, match="SHUTDOWN_TIMEOUT"):
        settings_class.from_env({"SHUTDOWN_TIMEOUT": "0"})
