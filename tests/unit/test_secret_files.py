"""Files that hold secrets are the service user's alone: 0600 files in 0700 folders."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import text

from auth_service.accounts.sql import SQLAccountStore
from auth_service.keys import KeyEncryptionKey
from shared.files import private_file
from shared.stores.db import create_engine


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_auth_database_and_its_folder_are_created_owner_only(tmp_path: Path) -> None:
    """A first start makes data/ 0700 and auth.db, its WAL and migration lock 0600."""
    data = tmp_path / "data"
    store = SQLAccountStore(create_engine(f"sqlite+aiosqlite:///{data}/auth.db"))
    try:
        await store.migrate()
        async with store.engine.begin() as conn:
            await conn.execute(text("SELECT 1"))
        files = sorted(p.name for p in data.iterdir())
        assert {"auth.db", "auth.db-wal", "auth.db.migrate.lock"} <= set(files)
        assert mode(data) == 0o700
        assert {name: mode(data / name) for name in files} == dict.fromkeys(files, 0o600)
    finally:
        await store.close()


def test_a_database_file_left_readable_by_an_older_release_is_narrowed(tmp_path: Path) -> None:
    """An auth.db found 0644 (as releases before this one made it) becomes 0600."""
    database = tmp_path / "auth.db"
    database.write_bytes(b"")
    database.chmod(0o644)
    create_engine(f"sqlite+aiosqlite:///{database}")
    assert mode(database) == 0o600


def test_the_key_encryption_key_is_0600_in_a_folder_made_0700(tmp_path: Path) -> None:
    """`keys ensure` writes the KEK 0600, making its folder 0700 when it has to make it."""
    keys = tmp_path / "keys"
    assert KeyEncryptionKey.create(keys / "kek")
    assert (mode(keys), mode(keys / "kek")) == (0o700, 0o600)


def test_a_folder_that_is_there_already_is_left_as_it_is(tmp_path: Path) -> None:
    """A mount point or a shared folder keeps its mode (others may need to pass through);
    the secret file in it is still 0600."""
    shared = tmp_path / "volume"
    shared.mkdir()
    shared.chmod(0o755)
    assert KeyEncryptionKey.create(shared / "kek")
    assert (mode(shared), mode(shared / "kek")) == (0o755, 0o600)


def test_missing_parent_folders_are_each_made_0700(tmp_path: Path) -> None:
    """Every folder made on the way to a secret file is owner-only."""
    private_file(tmp_path / "a" / "b" / "secret")
    assert (mode(tmp_path / "a"), mode(tmp_path / "a" / "b")) == (0o700, 0o700)
    assert mode(tmp_path / "a" / "b" / "secret") == 0o600
