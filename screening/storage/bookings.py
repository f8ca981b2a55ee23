"""Bookings as stored: a case's appointments (one per kind) and a health centre's calendar."""

from __future__ import annotations

from datetime import datetime, timedelta

from screening import clock
from screening.storage import abstract

# Of the case only what a calendar shows: its id, its name to make initials of, and its
# municipality for who escorts the child. Never its identity numbers or notes.
APPOINTMENTS = (
    "SELECT b.uid, b.sequence, b.kind, b.status, b.starts, b.ends, b.interpreter, b.updated_at, "
    "c.id AS case_id, c.name, c.municipality "
    "FROM booking b JOIN screening_case c ON c.id = b.case_id ")
LONGEST_APPOINTMENT = timedelta(hours=12)  # bounds the index range that finds overlapping appointments


class SqlBookingRepository(abstract.BookingRepository):
    """A case's bookings (one per kind) and a health centre's booked appointments."""

    def __init__(self, conn):
        self.conn = conn

    def lock_centre(self, health_centre_id: str) -> None:
        """Hold the health centre's bookings until commit, so that two staff booking at the same
        moment cannot both take its last place (SQLite: the unit of work is the one writer)."""
        if not self.conn.sqlite:
            self.conn.execute("SELECT pg_advisory_xact_lock(hashtext(:id))", {"id": "booking:" + health_centre_id})

    def overlapping(self, health_centre_id: str, starts: datetime, ends: datetime, *,
                    besides=None) -> list[tuple[datetime, datetime]]:
        """The booked appointments that overlap [starts, ends) in time order, but `besides`
        (a case and kind: its own booking, when it is rebooked)."""
        stamp = self.conn.timestamp
        case_id, kind = besides or (None, None)
        rows = self.conn.all(
            "SELECT starts, ends FROM booking WHERE health_centre_id = :hc AND status = 'booked' AND starts > :earliest "
            "AND starts < :ends AND ends > :starts AND NOT (case_id = :case_id AND kind = :kind) ORDER BY starts",
            {"hc": health_centre_id, "starts": stamp(starts), "ends": stamp(ends), "case_id": case_id or "",
             "kind": kind or "", "earliest": stamp(starts - LONGEST_APPOINTMENT)})
        return [(clock.from_db(r["starts"]), clock.from_db(r["ends"])) for r in rows]

    def get(self, case_id: str, kind: str) -> dict | None:
        return self.conn.one("SELECT * FROM booking WHERE case_id = :case_id AND kind = :kind",
                             {"case_id": case_id, "kind": kind})

    def put(self, booking: dict) -> None:
        """Insert or update a case's booking of a kind; the caller sets its sequence."""
        stamp = self.conn.timestamp
        values = {**booking, **{k: stamp(booking[k]) for k in ("starts", "ends", "updated_at")}}
        self.conn.execute(
            "INSERT INTO booking (case_id, kind, uid, sequence, health_centre_id, starts, ends, status, interpreter, "
            "updated_at) VALUES (:case_id, :kind, :uid, :sequence, :health_centre_id, :starts, :ends, :status, "
            ":interpreter, :updated_at) ON CONFLICT (case_id, kind) DO UPDATE SET sequence = excluded.sequence, "
            "health_centre_id = excluded.health_centre_id, starts = excluded.starts, ends = excluded.ends, "
            "status = excluded.status, interpreter = excluded.interpreter, updated_at = excluded.updated_at", values)

    def appointments(self, health_centre_id: str) -> list[dict]:
        """A health centre's bookings, booked and cancelled, by start, as its calendar shows them."""
        return self.conn.all(APPOINTMENTS + "WHERE b.health_centre_id = :hc ORDER BY b.starts, b.uid",
                             {"hc": health_centre_id})

    def appointment(self, case_id: str, kind: str) -> dict | None:
        """A case's booking of a kind, as a calendar shows it; None if never booked."""
        return self.conn.one(APPOINTMENTS + "WHERE b.case_id = :case_id AND b.kind = :kind",
                             {"case_id": case_id, "kind": kind})

    def cancel(self, case_id: str, kinds: tuple[str, ...], at: datetime, after: datetime | None = None) -> None:
        """Cancel the case's booked appointments of these kinds (those that start after `after`)."""
        stamp = self.conn.timestamp
        later = "" if after is None else " AND starts > :after"
        for kind in kinds:
            self.conn.execute("UPDATE booking SET status = 'cancelled', sequence = sequence + 1, updated_at = :at "
                              f"WHERE case_id = :case_id AND kind = :kind AND status = 'booked'{later}",
                              {"case_id": case_id, "kind": kind, "at": stamp(at),
                               **({} if after is None else {"after": stamp(after)})})
