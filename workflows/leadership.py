"""Which scheduler is active: a leader lock (a PostgreSQL advisory lock, or a file lock beside a
SQLite database) and, on PostgreSQL, a fence held for the whole of a sweep and its dispatch."""

from __future__ import annotations

import threading
from contextlib import closing, contextmanager, suppress
from pathlib import Path

from screening.storage import db

LOCK_KEY = 0x5C4EE9  # the advisory lock's key: "screening scheduler"
FENCE_KEY = LOCK_KEY + 1  # held while a sweep and its dispatch run
# A lock's connection across a network that went silent: both ends find out within about a
# minute (not the operating system's two hours), so the server lets a dead holder's lock go and
# the holder stops working as the active one.
KEEPALIVE = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3,
             "tcp_user_timeout": 60_000}
SERVER_KEEPALIVE = ("SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10; "
                    "SET tcp_keepalives_count = 3")


def connect(url: str):
    """A connection for a lock, with keepalives on both ends."""
    import psycopg

    conn = psycopg.connect(db.psycopg_conninfo(url), autocommit=True, **KEEPALIVE)
    conn.execute(SERVER_KEEPALIVE)
    return conn


class LeaderLock:
    """Held for as long as this process is the active scheduler."""

    def __init__(self, url: str):
        self.url = url
        self._conn = None
        self._file = None
        self._guard = threading.Lock()
        self.lost = False
        self.why = ""  # why the lock is not ours: the database's error, or "" where another holds it

    def try_acquire(self) -> bool:
        if db.is_sqlite(self.url):
            import fcntl

            path = Path(db.sqlite_path(self.url) + ".scheduler.lock")
            self._file = self._file or open(path, "a+")
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                return False
        import psycopg

        self.why = ""
        try:
            if self._conn is None or self._conn.closed:
                self._conn = connect(self.url)
            acquired = bool(self._conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0])
        except psycopg.OperationalError as error:  # the server restarts, or cut this connection: try later
            self.why = first_line(error)
            self.release()
            return False
        if acquired:
            self.lost = False  # a new term as the active one
        return acquired

    def still_held(self) -> bool:
        if db.is_sqlite(self.url):
            return self._file is not None
        try:
            self._conn.execute("SELECT 1")
            return True
        except Exception as error:  # the connection was cut: the server has released the lock
            self.why = first_line(error)
            return False

    def mark_lost(self) -> bool:
        """True for the first caller only: the watch and a sweep may both notice the loss."""
        with self._guard:
            first, self.lost = not self.lost, True
        return first

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._conn is not None and not self._conn.closed:
            self._conn.close()


def first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


@contextmanager
def sweep_fence(url: str):
    """Yields whether no other process is sweeping; held until the sweep and its dispatch end.

    The leader lock alone leaves a gap: when its connection is cut during a sweep, that sweep goes on
    over another connection while a standby takes the lock and starts its catch-up sweep. Closing
    the fence's own connection releases it, even where an unlock could not be sent. On SQLite the
    file lock cannot be cut from outside, so no fence is needed.
    """
    if db.is_sqlite(url):
        yield True
        return
    import psycopg

    with closing(connect(url)) as conn:  # closing: no commit to fail
        alone = bool(conn.execute("SELECT pg_try_advisory_lock(%s)", (FENCE_KEY,)).fetchone()[0])
        try:
            yield alone
        finally:
            if alone:  # at once: the server lets go of a closed connection's locks a moment later
                with suppress(psycopg.Error):  # cut meanwhile: the server has let go already
                    conn.execute("SELECT pg_advisory_unlock(%s)", (FENCE_KEY,))
