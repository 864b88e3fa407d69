"""Files that hold secrets (a database of password hashes, a key-encryption key): made so
only the service's own user can read them — files 0600, the folders made for them 0700.

Modes are given when a file or folder is created (never widened by a umask of 0), and a
file of ours found wider than 0600 (made by an older release) is narrowed. A folder that
already exists is left as it is: others may need to pass through it (`DATA_DIR=.`, or a
volume's mount point that a root `keygen` writes the KEK into for the service's user).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["PRIVATE_DIR", "PRIVATE_FILE", "private_dir", "private_file"]

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> None:
    """Make `path` and any missing parents, each new one mode 0700."""
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
        info = path.stat()
        # Only a file of this user's can be narrowed (another's is its owner's business).
        if stat.S_IMODE(info.st_mode) & ~PRIVATE_FILE and info.st_uid == os.getuid():
            os.chmod(path, PRIVATE_FILE)
        return
    os.close(fd)
