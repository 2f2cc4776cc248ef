"""Safe file writing and checksums, shared by datasets, checkpoints and videos.

Every file the project writes goes through `atomic_write` (or `atomic_path`, for encoders that
open files by name): a temporary file in the same directory, flushed and fsynced, then renamed
over the target, so a crash leaves the old file and an error leaves no temporary behind.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path

from .errors import UserError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """A temporary sibling of `path`, with its extension, for writers that open files by name
    (OpenCV, ffmpeg); once the block ends without error it is fsynced and renamed to `path`."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=f".tmp{path.suffix.lower()}")
        os.close(fd)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
    except OSError as e:
        raise UserError(f"cannot write {path}: {e.strerror or e}") from None
    try:
        yield Path(tmp)
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):  # disk full, quota, read-only file system: the user can act
            raise UserError(f"cannot write {path}: {e.strerror or e}") from None
        raise
    with contextlib.suppress(OSError):  # not every file system lets a directory be fsynced
        _fsync(path.parent)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb"):
    """Open a temporary sibling of `path` for writing; on success it replaces `path`."""
    with atomic_path(path) as tmp, open(tmp, mode) as f:
        yield f


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync(path: str | os.PathLike) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json(path: str | os.PathLike, data) -> None:
    with atomic_write(path, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")


def read_json(path: str | os.PathLike, what: str = "file") -> dict:
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"{what} {path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UserError(f"{what} {path} is not readable JSON ({e})") from None


def sha256(path: str | os.PathLike, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()
