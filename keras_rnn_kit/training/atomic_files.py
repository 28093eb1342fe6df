"""Writes files so that a crash leaves either the old file or the new one, whole.

A file is written under a temporary name in the same directory, flushed to disk and
renamed over the target (`os.replace` is atomic on POSIX and Windows). A `SIGKILL`
at any moment leaves at worst a stray `.tmp-*` file, which `remove_stale` deletes.
"""

import json
import os
import tempfile
from collections.abc import Callable

TMP_PREFIX = ".tmp-"


def _fsync_dir(directory: str) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str, write: Callable[[str], None]) -> None:
    """Calls `write(tmp_path)` and renames `tmp_path` onto `path` once it is whole.

    The temporary name keeps `path`'s suffix (Keras checks that weights files end in
    `.weights.h5` and models in `.keras`).

    Args:
        path: the final file path.
        write: a callable that writes the complete file at the path it is given.
    """
    directory, name = os.path.split(os.path.abspath(path))
    fd, tmp_path = tempfile.mkstemp(
        prefix=f"{TMP_PREFIX}", suffix=f"-{name}", dir=directory
    )
    os.close(fd)
    try:
        write(tmp_path)
        with open(tmp_path, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
        _fsync_dir(directory)
    finally:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)


def atomic_write_json(path: str, obj) -> None:
    """Writes `obj` as JSON to `path` atomically."""

    def write(tmp_path):
        with open(tmp_path, "w") as f:
            json.dump(obj, f)

    atomic_write(path, write)


def read_json(path: str):
    """Returns the JSON object stored at `path`, or `None` when there is no file."""
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def remove_stale(directory: str) -> list[str]:
    """Deletes temporary files a killed writer left in `directory`; returns them."""
    if not os.path.isdir(directory):
        return []
    stale = [n for n in os.listdir(directory) if n.startswith(TMP_PREFIX)]
    for name in stale:
        os.remove(os.path.join(directory, name))
    return stale
