"""A disabled admin restores no backup and loads no directory (issue 18, people): a backup's users are
read as the backup holds them, the disabled among them too. SQLite and PostgreSQL; every name invented."""

from __future__ import annotations

from tests.e2e import test_backup_cli
from tests.e2e.support import NOW, assert_one_line_error
from tests.security.test_restore import nothing_restored

worked, new_database = test_backup_cli.worked, test_backup_cli.new_database  # the backup tests' databases


def test_a_backups_disabled_admin_restores_nothing_and_another_admin_does(run, worked, new_database, tmp_path,
                                                                          monkeypatch):
    monkeypatch.setenv("SCREENING_LANGUAGE", "en")
    _, url = worked
    assert run("user", "add", "admin-2", "--role", "admin", "--org", "region-coordinator", "--name", "Berit Ek",
               db=url, user="admin").code == 0
    assert run("user", "disable", "admin", db=url, user="admin-2", now=NOW).code == 0
    copy = tmp_path / "region.backup"
    assert run("backup", "--out", str(copy), db=url, user="admin-2", now=NOW).code == 0

    error = assert_one_line_error(run("restore", str(copy), db=new_database, user="admin"), 1)

    assert error["code"] == "refused" and "disabled" in error["message"]
    assert nothing_restored(new_database)
    restored = run("restore", str(copy), db=new_database, user="admin-2")
    assert restored.code == 0, restored.err
