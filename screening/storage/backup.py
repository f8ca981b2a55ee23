"""Backup and restore: a consistent copy of the whole database, and
back into a new, empty one.

SQLite uses its online backup API: one consistent copy while staff keep working. PostgreSQL
uses pg_dump's custom format and a single-transaction pg_restore, so a restore happens in
full or not at all. A backup holds medical content, so its file is readable by its owner only.
Both write to a file beside the target and move it into place, so a failed run leaves no
half-written file.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, unquote, urlsplit

from screening.errors import BadInput, ScreeningError
from screening.storage import db, guards


class BackupFailed(ScreeningError):
    code, exit_code = "backup", 2


def backup(url: str, target: str) -> dict:
    """Copy the database at `url` to the file `target`; returns what it holds."""
    from screening.files import refuse_link

    path = Path(target)
    refuse_link(path)
    partial = _partial(path)
    try:
        if db.is_sqlite(url):
            source = sqlite3.connect(db.sqlite_path(url))
            try:
                copy = sqlite3.connect(_private(partial))
                with copy:
                    source.backup(copy)
                copy.close()
            finally:
                source.close()
        else:
            schema = _schema(url)
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={_private(partial)}",
                  *([f"--schema={schema}"] if schema else []), f"--dbname={_conninfo(url)}"], "pg_dump")
        partial.replace(path)
    except OSError as error:
        raise BadInput("cannot write the backup {path}: {reason}", path=target,
                       reason=error.strerror or str(error)) from None
    finally:
        partial.unlink(missing_ok=True)
    return {"backup": str(path), **(_counts(path) if db.is_sqlite(url) else {})}


def restore(source: str, url: str, admitted: Callable[[dict[str, dict]], None] | None = None) -> dict:
    """Restore the backup file `source` into the database at `url`, which must be new and empty.
    `admitted` is given the backup's users (id -> id, role, org_id) once the file is checked and before
    anything is written: it raises to refuse the restore."""
    path = Path(source)
    if not path.is_file():
        raise BadInput("no backup file at {path}", path=source)
    if db.is_sqlite(url):
        target = Path(db.sqlite_path(url))
        if target.exists() and target.stat().st_size > 0:
            raise BadInput("{path} exists: restore into a new database (a file that does not exist yet)", path=target)
        _check_sqlite_backup(path)
        guards.check_sqlite(path)  # exactly the product's schema: anything else is refused before a byte is written
        if admitted is not None:
            admitted(_sqlite_users(path))
        partial = _partial(target)
        try:
            backup_conn, copy = sqlite3.connect(path), sqlite3.connect(_private(partial))
            with copy:
                backup_conn.backup(copy)
            backup_conn.close()
            copy.close()
            partial.replace(target)
        except OSError as error:
            raise BadInput("cannot write {path}: {reason}", path=target, reason=error.strerror or str(error)) from None
        finally:
            partial.unlink(missing_ok=True)
        return {"restored": str(target), **_counts(target), "guards_restored": guards.ensure(url)}
    if _has_tables(url):
        raise BadInput("the database already holds the product's tables: restore into a new, empty database")
    guards.check_postgres_listing(_listing(path), str(path))
    if admitted is not None:
        admitted(_dumped_users(path))
    _run(["pg_restore", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
          f"--dbname={_conninfo(url)}", str(path)], "pg_restore")
    restored_guards = guards.ensure(url)
    conn = db.connect_raw(url)
    try:
        return {"restored": db.redact(url), "cases": conn.scalar("SELECT COUNT(*) FROM screening_case"),
                "audit_rows": conn.scalar("SELECT COUNT(*) FROM audit"), "guards_restored": restored_guards}
    finally:
        conn.close()


def _listing(path: Path) -> str:
    """What a custom-format dump holds: the table of contents pg_restore lists."""
    if shutil.which("pg_restore") is None:
        raise BackupFailed("{tool} is not installed here: install the PostgreSQL client tools "
                           "(the same major version as the server, or newer)", tool="pg_restore")
    result = subprocess.run(["pg_restore", "--list", str(path)], capture_output=True, text=True)
    if result.returncode != 0:
        raise BadInput("{path} is not a backup of a screening database", path=str(path))
    return result.stdout


def _sqlite_users(path: Path) -> dict[str, dict]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        rows = [dict(row) for row in conn.execute("SELECT * FROM app_user")]  # any version's columns
    except sqlite3.Error:
        raise BadInput("{path} is not a backup of a screening database", path=str(path)) from None
    finally:
        conn.close()
    return {row["id"]: {"id": row["id"], "role": row["role"], "org_id": row["org_id"],
                        "disabled_at": row.get("disabled_at")} for row in rows}


_COPY = re.compile(r"COPY (?:\S+\.)?app_user \((?P<columns>[^)]*)\) FROM stdin;")
_COPY_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _dumped_users(path: Path) -> dict[str, dict]:
    """The users a custom-format dump holds: its app_user data as pg_restore writes it (COPY text)."""
    result = subprocess.run(["pg_restore", "--data-only", "--table=app_user", "--file=-", str(path)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise BadInput("{path} is not a backup of a screening database", path=str(path))
    users, columns = {}, None
    for line in result.stdout.splitlines():
        if columns is None:
            if found := _COPY.fullmatch(line):
                columns = [name.strip().strip('"') for name in found["columns"].split(",")]
            continue
        if line == "\\.":
            break
        values = line.split("\t")
        row = dict(zip(columns, (re.sub(r"\\(.)", lambda m: _COPY_ESCAPES.get(m[1], m[1]), value)
                                 for value in values)))
        disabled = dict(zip(columns, values)).get("disabled_at", "\\N") != "\\N"  # COPY writes NULL as \N
        users[row["id"]] = {"id": row["id"], "role": row["role"], "org_id": row["org_id"],
                            "disabled_at": row["disabled_at"] if disabled else None}
    return users


def _counts(path: Path) -> dict:
    conn = sqlite3.connect(path)
    try:
        return {"cases": conn.execute("SELECT COUNT(*) FROM screening_case").fetchone()[0],
                "audit_rows": conn.execute("SELECT COUNT(*) FROM audit").fetchone()[0]}
    except sqlite3.Error:
        return {}
    finally:
        conn.close()


def _check_sqlite_backup(path: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            has_cases = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'screening_case'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        ok, has_cases = False, None
    if not ok or not has_cases:
        raise BadInput("{path} is not a backup of a screening database", path=path)


def _has_tables(url: str) -> bool:
    conn = db.connect_raw(url)
    try:
        return conn.scalar("SELECT to_regclass('screening_case') IS NOT NULL") is True
    finally:
        conn.close()


def _run(command: list[str], tool: str) -> None:
    if shutil.which(tool) is None:
        raise BackupFailed("{tool} is not installed here: install the PostgreSQL client tools "
                           "(the same major version as the server, or newer)", tool=tool)
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["failed"])[-1]
        raise BackupFailed("{tool}: {detail}", tool=tool, detail=detail[:300])


def _conninfo(url: str) -> str:
    """The libpq URI of a psycopg URL, without the search_path option (pg_dump is given the schema)."""
    parts = urlsplit(db.psycopg_conninfo(url))
    pairs = [f"{k}={v}" for k, values in parse_qs(parts.query).items() for v in values
             if not (k == "options" and "search_path" in v)]
    if not any(pair.startswith("connect_timeout=") for pair in pairs):
        pairs.append("connect_timeout=10")  # a server that does not answer fails the command, not hangs it
    query = "&".join(pairs)
    return parts._replace(query=query).geturl()


def _schema(url: str) -> str | None:
    """The schema a URL's `options=-csearch_path=…` names, if any (one schema per database user)."""
    for option in parse_qs(urlsplit(url).query).get("options", []):
        for word in unquote(option).split():
            if word.startswith("-csearch_path="):
                return word.split("=", 1)[1].split(",")[0]
    return None


def _partial(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


def _private(path: Path) -> str:
    """Create the file empty, readable and writable by its owner only (it holds medical content)."""
    path.unlink(missing_ok=True)  # a link planted there is removed, not followed
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
    return str(path)
