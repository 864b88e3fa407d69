"""Files that hold secrets (a database of password hashes, a key-encryption key): made so
only the service's own user can read them — files 0600, the folders made for them 0700.

Modes are given when a file or folder is created (never widened by a umask of 0), and a
file of ours found wider than 0600 (made by an older release) is narrowed. A folder that
already exists is left as it is (it may be one the operator chose to share, `DATA_DIR=.`)
unless it is one only for secrets (`narrow`: the key-encryption key's folder).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["PRIVATE_DIR", "PRIVATE_FILE", "private_dir", "private_file"]

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path, *, narrow: bool = False) -> None:
    """Make `path` and any missing parents, each new one mode 0700; `narrow`: also make
    `path` 0700 if it is there already (a folder that is only for secrets, such as keys/)."""
    if narrow and path.is_dir():
        info = path.stat()
        # Never a shared folder (sticky, like /tmp), one of someone else's, or the cwd.
        shared = info.st_mode & stat.S_ISVTX or info.st_uid != os.getuid()
        mine = not shared and path.resolve() != Path.cwd().resolve()
        if mine and stat.S_IMODE(info.st_mode) != PRIVATE_DIR:
            os.chmod(path, PRIVATE_DIR)
        return
    missing = []
    for folder in [path, *path.parents]:
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            continue  # another process made it first: it made it private too
        os.chmod(folder, PRIVATE_DIR)  # mkdir's mode passes through the umask


def private_file(path: Path) -> None:
    """Make `path` (empty) mode 0600 if it is missing, in a private folder; narrow it to
    0600 if it is there and wider."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        if stat.S_IMODE(path.stat().st_mode) & ~PRIVATE_FILE:
            os.chmod(path, PRIVATE_FILE)
        return
    os.close(fd)
