"""The audit trail as a hash chain in SQL: rows appended with their links, read back a page at a time.

Appends are serialised, so that id order is chain order: on PostgreSQL by a transaction-level advisory
lock taken before the newest link is read (held until commit); on SQLite by the write transaction
itself (every write begins with BEGIN IMMEDIATE: `screening.storage.db`).
"""

from __future__ import annotations

from typing import Iterable, Iterator

from screening.audit_chain import content, link

APPEND_LOCK = 0x5C4EF0  # the advisory lock's key: "screening audit" (the scheduler's are 0x5C4EE9, +1)
PAGE = 5000  # rows read at a time by a check (a million rows are never in memory at once)

INSERT = ("INSERT INTO audit (case_id, kind, at, recorded_at, user_no, detail, chain, door) "
          "VALUES (:case_id, :kind, :at, :recorded_at, :user_no, :detail, :chain, :door)")
PAGE_SQL = ("SELECT a.id, a.case_id, k.action, k.event, a.at, a.recorded_at, u.id AS user_id, a.detail, a.chain, "
            "a.door "
            "FROM audit a LEFT JOIN audit_kind k ON k.no = a.kind LEFT JOIN app_user u ON u.no = a.user_no "
            "WHERE a.id > :after ORDER BY a.id LIMIT :size")


def newest_link(conn) -> bytes | None:
    """The newest row's link, with every other append held off until this transaction ends."""
    if not conn.sqlite:
        conn.execute("SELECT pg_advisory_xact_lock(:key)", {"key": APPEND_LOCK})
    value = conn.scalar("SELECT chain FROM audit ORDER BY id DESC LIMIT 1")
    return None if value is None else bytes(value)


def append(conn, key: bytes | None, rows: Iterable[dict]) -> None:
    """Insert audit rows, each linked to the one before. A row gives the columns as stored (`case_id`,
    `kind`, `at`, `recorded_at`, `user_no`, `detail`, optionally `door`) and, for its link, `action`,
    `event`, `user_id`; it is given its `chain`. Inside the caller's transaction; `rows` may be a generator (taken as it
    comes)."""
    previous = newest_link(conn)

    def linked() -> Iterator[dict]:
        nonlocal previous
        for row in rows:
            previous = link(key, previous, content(row["case_id"], row["action"], row["event"], row["at"],
                                                   row["recorded_at"], row["user_id"], row["detail"],
                                                   row.setdefault("door", None)))
            row["chain"] = previous  # the row's other keys are left for the INSERT to ignore
            yield row

    conn.many(INSERT, linked())


def rows_in_order(conn, size: int | None = None) -> Iterator[dict]:
    """Every audit row in id order with what its link covers, read a page (`PAGE` rows) at a time."""
    after, size = 0, size or PAGE
    while True:
        page = conn.all(PAGE_SQL, {"after": after, "size": size})
        yield from page
        if len(page) < size:
            return
        after = page[-1]["id"]


def login_may_alter(conn) -> bool | None:
    """PostgreSQL: whether the login connected may UPDATE, DELETE or TRUNCATE the audit trail (the owner
    may drop its triggers, too). None on SQLite, where whoever can write the file can."""
    if conn.sqlite:
        return None
    return bool(conn.scalar(
        "SELECT has_table_privilege(current_user, 'audit', 'UPDATE') OR has_table_privilege(current_user, "
        "'audit', 'DELETE') OR has_table_privilege(current_user, 'audit', 'TRUNCATE') OR pg_has_role("
        "current_user, (SELECT relowner FROM pg_class WHERE oid = to_regclass('audit')), 'USAGE')"))
