"""The audit trail's hash chain checked end to end: `audit verify` (admin), and the scheduler nightly."""

from __future__ import annotations

from screening import access, clock
from screening.audit_chain import KeyNeeded, Walk
from screening.errors import Refused
from screening.model import Actor


def verify(app, actor: Actor) -> dict:
    """The audit trail's hash chain checked from its first row to its last (admin): whole, or the
    first row where it breaks. Reads the rows a page at a time; shows ids and times, never a case."""
    access.require_command(actor, "audit_verify")
    return check(app)


def check(app, anchor: tuple[int, bytes] | None = None) -> dict:
    """The check itself; `anchor`: the (id, link) of the last row a previous check saw, which must
    still be there (the scheduler remembers it from night to night)."""
    from screening.storage import chain

    key = app.settings.audit_key
    walk = Walk(key, anchor)
    with app.reads() as reads:
        try:
            for row in chain.rows_in_order(reads.conn):
                if not walk.feed(row):
                    break
            else:
                walk.end()
        except KeyNeeded:
            raise Refused("the audit trail is chained with a key: set SCREENING_AUDIT_KEY or "
                          "SCREENING_AUDIT_KEY_FILE to verify it") from None
        may_alter = chain.login_may_alter(reads.conn)
    return view(walk, key is not None, may_alter)


def view(walk: Walk, keyed: bool, may_alter: bool | None) -> dict:
    last = walk.last and {"id": walk.last["id"], "link": walk.last["link"].hex(),
                          "recorded_at": clock.local_iso(clock.from_db(walk.last["recorded_at"]))}
    return {"rows": walk.rows, "ok": walk.ok, "first_break": walk.first_break, "keyed": keyed,
            "unkeyed_rows": walk.unkeyed, "last": last, "login_may_alter": may_alter}


def anchor_of(checked: dict) -> tuple[int, bytes] | None:
    """What the next check must still find: the last row this one saw whole."""
    last = checked["last"]
    return None if last is None or not checked["ok"] else (last["id"], bytes.fromhex(last["link"]))
