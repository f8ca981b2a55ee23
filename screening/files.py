"""Files the product writes for people (messages, calendars, reports, charts, backups): readable by
their owner only, never written through a link someone planted.

The process's umask is 077 (set at the edges, `private_umask`), so every file it creates (the SQLite
database and its journal too) is 0600 unless the operator grants a group (`SCREENING_FILE_GROUP=1`:
umask 027, files 0640). A file is written whole or not at all: into a new partial file beside it
(`O_CREAT | O_EXCL | O_NOFOLLOW`: a planted file or link there is refused, not followed), then
renamed over the target; a symbolic link at the target or as the folder is refused.
"""

from __future__ import annotations

import os
from pathlib import Path

from screening.errors import BadInput

PRIVATE, GROUP = 0o077, 0o027
_mode = 0o600  # of the files `write_whole` makes: the owner's (0640 with a group granted)


def private_umask(group: bool = False) -> None:
    """Files created from now on by this process: the owner's only (or the owner's group's too)."""
    global _mode
    os.umask(GROUP if group else PRIVATE)
    _mode = 0o640 if group else 0o600


def refuse_link(path: Path) -> None:
    if path.is_symlink():
        raise BadInput("{path} is a symbolic link; the product does not write through links", path=str(path))


def write_whole(path: str | Path, body: bytes, what: str = "file") -> Path:
    """`body` into `path`, all of it or nothing; a link at `path` or as its folder is refused."""
    target = Path(path)
    if not target.name:
        raise BadInput("{what}: '{path}' names no file", what=what, path=str(path))
    refuse_link(target)
    refuse_link(target.parent)
    partial = target.with_name(f".{target.name}.partial")
    try:
        if partial.is_symlink() or partial.exists():
            partial.unlink()  # left by a write that died (or planted): removed, never followed
        handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, _mode)
        with os.fdopen(handle, "wb") as out:
            out.write(body)
        os.replace(partial, target)
    except OSError as error:
        if partial.parent.is_dir():
            partial.unlink(missing_ok=True)
        raise BadInput("cannot write {path}: {reason}", path=str(path), reason=error.strerror or str(error)) from None
    return target
