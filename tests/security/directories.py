"""A region's directory file with some of its text replaced: what a hostile or careless editor of the
directory could load with `init --directory`."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from screening.directory import BUNDLED


def bundled_with(tmp_path: Path, replacements: dict[str, str], name: str = "directory.toml") -> Path:
    """The bundled directory with each quoted TOML string `"old"` replaced by `new` (written as a TOML
    string, escapes and all), everywhere it occurs; checked to still be valid TOML."""
    text = BUNDLED.read_text(encoding="utf-8")
    for old, new in replacements.items():
        quoted = json.dumps(old, ensure_ascii=False)
        assert quoted in text, old
        text = text.replace(quoted, _toml_string(new))
    tomllib.loads(text)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _toml_string(value: str) -> str:
    """A TOML basic string: JSON's escapes (\\", \\n, \\t, \\uXXXX…) are TOML's too."""
    return json.dumps(value, ensure_ascii=True)


def old_database_with_users(url: str, revision: str = "0015") -> None:
    """A database of an older version (before directory changes needed an admin) holding the bundled
    directory, an admin and a health centre's user, written as that version's code did."""
    from screening.directory import load_directory
    from screening.storage import db, migrate
    from screening.storage.organisations import SqlDirectoryRepository

    migrate.upgrade(url, revision)
    conn = db.connect_raw(url)
    try:
        conn.begin()
        directory = SqlDirectoryRepository(conn)
        directory.replace(load_directory(None))
        for no, (user, role, org) in enumerate([("admin", "admin", "region-coordinator"),
                                                ("hc-lugnvik", "health_centre", "hc-lugnvik")], start=1):
            conn.execute("INSERT INTO app_user (id, no, role, org_id) VALUES (:id, :no, :role, :org)",
                         {"id": user, "no": no, "role": role, "org": org})  # that version's columns
        conn.commit()
    finally:
        conn.close()
