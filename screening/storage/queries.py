"""The read model: plain SQL over a DB-API connection, for the commands staff run most.

No SQLAlchemy here, so that `case show` and `case list` start fast. Every case read is
written to the audit trail (patientdatalagen 4 kap. 3 §) before anything is shown.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Iterator

from screening import access, clock
from screening.errors import NotFound, Refused
from screening.identity import ELSEWHERE
from screening.model import Actor
from screening.storage import chain, db, sql
from screening.storage.codec import alerts_from_db, audit_kind, user_number
from screening.storage.codec import case_from_db as _coerce

LIST_CHUNK = 1000  # cases read at a time by a list (their rows, deadlines and notes in memory at once)
DEADLINE_COLUMNS = ("d.case_id, d.rule, d.owner, d.starts, d.due, d.status, d.met_at, d.attributed_to, "
                    "d.rules_version")


class ReadModel:
    """Reads on a pooled connection outside any write transaction (no lock held on SQLite)."""

    def __init__(self, url: str, audit_key: bytes | None = None, door: str | None = None):
        self.url = url
        self.audit_key = audit_key  # the audit trail's chain key (`screening.audit_chain`)
        self.door = door  # where the reads came in (`cli:<account>`, `api`, `page`): on every audit row
        self.conn = db.checkout(url)
        try:
            db.ensure_schema(url, self.conn)
        except BaseException:
            db.release(url, self.conn)
            raise

    def close(self) -> None:
        db.release(self.url, self.conn)

    def __enter__(self) -> "ReadModel":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def actor_row(self, user_id: str) -> dict | None:
        """The user with what their organisation decides about their scope (one query)."""
        return self.conn.one(sql.ACTOR, {"id": user_id})

    def organisations(self) -> list[dict]:
        return self.conn.all("SELECT id, kind, name, municipality, details FROM organisation ORDER BY municipality, kind, id")

    def organisation(self, org_id: str) -> dict:
        row = self.conn.one("SELECT id, kind, name, municipality FROM organisation WHERE id = :id", {"id": org_id})
        if row is None:
            raise NotFound("unknown organisation '{org}'", org=org_id)
        return row

    def municipality(self, name: str) -> str:
        """The canonical name of a municipality of the region (as the directory spells it)."""
        from screening.storage.organisations import SqlDirectoryRepository

        return SqlDirectoryRepository(self.conn).municipality(name)

    def report_groups(self, by: str) -> tuple[str, list[str]]:
        """The region's name and its municipalities (in the region's order) or health centres."""
        import json

        region = self.conn.one("SELECT name, municipalities FROM region") or {"name": "", "municipalities": "[]"}
        if by == "municipality":
            return region["name"], list(json.loads(region["municipalities"]))
        centres = self.conn.all("SELECT id FROM organisation WHERE kind = 'health_centre' ORDER BY position")
        return region["name"], [row["id"] for row in centres]

    def users(self) -> list[dict]:
        users = self.conn.all("SELECT id, role, org_id AS org, name, email, hsa_id, disabled_at FROM app_user ORDER BY id")
        for user in users:
            user["disabled_at"] = clock.from_db(user["disabled_at"])
        return users

    def case(self, actor: Actor, case_id: str, *, at: datetime, recorded_at: datetime) -> dict:
        row = self.conn.one("SELECT * FROM screening_case WHERE id = :id", {"id": case_id})
        access.require_visible(actor, row, case_id)
        self.record_reads(actor, [case_id], "show", at, recorded_at)
        row = _coerce(row)
        self._attach(actor, [row], "d.case_id = :id", {"id": case_id})
        if actor.role in access.ORDERS_READERS:
            row["interpreter_orders"] = self.interpreter_orders(case_id)
        return row

    def interpreter_orders(self, case_id: str) -> dict[str, str]:
        """Where each appointment's interpreter order stands (step 3: "Tolk bokas"), from the outbox:
        `ordering` (queued), `ordered`, `amended`, `cancelled` (as the last message sent said), `failed`
        (given up: a coordinator retries it). An appointment none was ordered for is not named."""
        found: dict[str, str] = {}
        for row in self.conn.all("SELECT status, payload FROM outbox WHERE case_id = :id AND topic = 'event' "
                                 "AND key LIKE :orders ORDER BY id", {"id": case_id, "orders": "%:interpreter_service%"}):
            payload = json.loads(row["payload"] or "{}")
            kind = payload.get("booking", {}).get("kind")
            if kind is None or row["status"] == "replaced":
                continue
            learned = payload.get("learned")
            found[kind] = {"queued": "ordering", "dead": "failed"}.get(row["status"]) or \
                {"booked": "ordered", "rebooked": "amended", "cancelled": "cancelled"}.get(learned, "ordered")
        return found

    def cases(self, actor: Actor, **filters) -> list[dict]:
        """The cases in the actor's scope, as `each_case` gives them, in a list."""
        return list(self.each_case(actor, **filters))

    def each_case(self, actor: Actor, *, municipality: str | None = None, health_centre: str | None = None,
                  overdue: bool = False, open_only: bool = False, limit: int | None = None, after: str | None = None,
                  at: datetime, recorded_at: datetime, rules: dict | None = None,
                  owners: tuple[str, ...] | None = None, unit: str | None = None) -> Iterator[dict]:
        """The cases in the actor's scope, by notice and id. `overdue`: with a past-due step still
        owed (as the sweep counts: not on a case that ended, not a declined child's health step);
        `rules`: the rule table that says what is still owed; `open_only`: not closed or moved out;
        `limit` and `after` (a case id): one page, the cases after that one; `owners`: overdue only with a
        step owed by one of these parties; `unit`: only those whose catch-up vaccinations this unit (BVC or
        school health) is responsible for now (vacc 2, `workflows.routing.responsible_unit`). Every case
        listed is recorded as read before the first is given; then they are read LIST_CHUNK at a time, so
        that a long list needs the memory of one chunk."""
        ids = self._case_ids(actor, municipality=municipality, health_centre=health_centre, overdue=overdue,
                             open_only=open_only, limit=limit, after=after, at=at, rules=rules, owners=owners,
                             unit=unit)
        self.record_reads(actor, ids, "list", at, recorded_at)
        for first in range(0, len(ids), LIST_CHUNK):
            yield from self._read_cases(actor, ids[first:first + LIST_CHUNK])

    def _case_ids(self, actor: Actor, *, municipality: str | None, health_centre: str | None, overdue: bool,
                  open_only: bool, limit: int | None, after: str | None, at: datetime,
                  rules: dict | None, owners: tuple[str, ...] | None = None, unit: str | None = None) -> list[str]:
        where, params = [], {}
        scope = access.scope_filter(actor)
        if scope is not None:
            where.append(f"{scope[0]} = :scope")
            params["scope"] = scope[1]
        if municipality is not None:
            where.append("municipality = :municipality")
            params["municipality"] = municipality
        if health_centre is not None:
            where.append("health_centre_id = :health_centre")
            params["health_centre"] = health_centre
        if overdue:  # a step past due and still owed (`still_owed_sql`; on SQLite checked in two parts, below)
            from workflows.deadlines import health_steps_sql, load_rules, still_owed_sql

            owned = ""
            if owners:
                owned = " AND {d}.owner IN (" + ", ".join(f":owner{i}" for i in range(len(owners))) + ")"
                params.update({f"owner{i}": owner for i, owner in enumerate(owners)})
            home = municipality if municipality is not None else (
                scope[1] if scope is not None and scope[0] == "municipality" else None)
            if home is not None:  # a range of the municipality's open steps (ix_deadline_municipality_open)
                bound = "d.municipality = :home AND d.due < :now"
                params["home"] = home
            else:  # the region's: the sweep's index (ix_deadline_open_next_alert)
                bound = "d.next_alert_at < :now AND d.due < :now"
            if self.conn.sqlite:
                # The past-due steps are read from the index alone (no case read for each: over a municipality
                # they are tens of thousands); the case's part of "still owed" is checked on the cases listed:
                # not ended, and a declined child owes only steps outside the health track.
                where.append(f"ended_at IS NULL AND id IN (SELECT d.case_id FROM deadline d WHERE {bound} "
                             f"AND d.status = 'open'{owned.format(d='d')}) AND (declined_at IS NULL OR EXISTS ("
                             "SELECT 1 FROM deadline h WHERE h.case_id = screening_case.id AND h.status = 'open' "
                             f"AND h.due < :now{owned.format(d='h')} AND h.rule NOT IN "
                             f"({health_steps_sql(rules or load_rules())})))")
            else:  # PostgreSQL walks the cases in list order and looks up each one's steps by key (written as
                # above, it hashes the declined children's steps of the whole range first: 0.2-0.3 s)
                owed = still_owed_sql(rules or load_rules(), "d", "owner_case")
                where.append("id IN (SELECT d.case_id FROM deadline d JOIN screening_case owner_case ON "
                             f"owner_case.id = d.case_id WHERE {bound}{owned.format(d='d')} AND {owed})")
            params["now"] = self.conn.timestamp(at)
        if open_only:
            where.append("ended_at IS NULL")
        if unit is not None:
            from workflows.routing import age_bounds, responsible_unit_sql

            where.append(f"{responsible_unit_sql('screening_case')} = :unit")
            params.update({name: self.conn.day(bound) for name, bound in age_bounds(clock.local_date(at)).items()},
                          unit=unit)
        if after is not None:
            mark = self.conn.one("SELECT * FROM screening_case WHERE id = :after", {"after": after})
            access.require_visible(actor, mark, after)
            # the first condition bounds the index's range; the second leaves the cases up to `after`
            where.append("notice_at >= :after_notice AND (notice_at > :after_notice OR id > :after)")
            params.update(after=after, after_notice=mark["notice_at"])
        page = ""
        if limit is not None:
            page = " LIMIT :limit"
            params["limit"] = limit
        condition = " AND ".join(where) or "1 = 1"
        cursor = self.conn.execute(f"SELECT id FROM screening_case WHERE {condition} ORDER BY notice_at, id{page}", params)
        return [case_id for (case_id,) in cursor]  # ids only, as they come: a country's list holds a million

    def listed(self, actor: Actor, ids: list[str], *, at: datetime, recorded_at: datetime) -> list[dict]:
        """These cases, found in the actor's scope by the caller (a search), in this order: recorded as
        read (`list`) before they are read."""
        if not ids:
            return []
        self.record_reads(actor, ids, "list", at, recorded_at)
        return self._read_cases(actor, ids)

    def _read_cases(self, actor: Actor, ids: list[str]) -> list[dict]:
        """These cases, in this order, with their deadlines and the notes the actor may read."""
        params = {f"c{i}": case_id for i, case_id in enumerate(ids)}
        listed = ", ".join(f":{name}" for name in params)
        found = {row["id"]: _coerce(row) for row in self.conn.all(
            f"SELECT * FROM screening_case WHERE id IN ({listed})", params)}
        rows = [found[case_id] for case_id in ids if case_id in found]
        self._attach(actor, rows, f"d.case_id IN ({listed})", params)
        return rows

    def _attach(self, actor: Actor, rows: list[dict], condition: str, params: dict) -> None:
        """Each case's deadlines, and its notes where the actor may read medical content."""
        by_id = {row["id"]: row for row in rows}
        for row in rows:
            row["deadlines"], row["notes"] = [], None
        for d in self.conn.all(f"SELECT {DEADLINE_COLUMNS} FROM deadline d WHERE {condition} ORDER BY d.due", params):
            if d["case_id"] in by_id:
                d["starts"], d["due"], d["met_at"] = map(clock.from_db, (d["starts"], d["due"], d["met_at"]))
                by_id[d["case_id"]]["deadlines"].append(d)
        readable = {row["id"]: access.readable_notes(actor, row) for row in rows}
        if not any(readable.values()):
            return  # the notes are not even read for a role that may not see them
        for row in rows:
            row["notes"] = [] if readable[row["id"]] else None
        notes_condition = condition.replace("d.case_id", "n.case_id")
        for note in self.conn.all(f"SELECT n.case_id, n.kind, n.text, n.at FROM case_note n "
                                  f"WHERE {notes_condition} ORDER BY n.id", params):
            row = by_id.get(note["case_id"])
            if row is not None and note["kind"] in readable[row["id"]]:
                row["notes"].append({"kind": note["kind"], "text": note["text"], "at": clock.from_db(note["at"])})

    def history(self, actor: Actor, case_id: str, *, include_reads: bool, at: datetime,
                recorded_at: datetime) -> list[dict]:
        row = self.conn.one("SELECT * FROM screening_case WHERE id = :id", {"id": case_id})
        access.require_visible(actor, row, case_id)
        if include_reads and actor.role not in access.READ_LOG_READERS:
            raise Refused("the access log of a case is for its health centre, the coordinators and admins")
        self.record_reads(actor, [case_id], "history", at, recorded_at)
        sql = ("SELECT action, event, at, recorded_at, user_id, user_name, org_id, detail FROM audit_trail "
               "WHERE case_id = :id")
        if not include_reads:
            sql += " AND action = 'event'"
        entries = [entry for entry in self.conn.all(sql + " ORDER BY id", {"id": case_id})
                   if self._acknowledgement_shown(actor, row, entry)]
        for entry in entries:
            entry["at"], entry["recorded_at"] = clock.from_db(entry["at"]), clock.from_db(entry["recorded_at"])
            del entry["detail"]  # never shown (it names what only coordinators may know: identity_elsewhere)
        return entries

    def _acknowledgement_shown(self, actor: Actor, case: dict, entry: dict) -> bool:
        """An alert's acknowledgement is in the history of those who receive the alert only: a coordinator's
        warning acknowledged must not hint at what it warned of (a case in another municipality)."""
        if entry["event"] != "acknowledge_alert" or not entry["detail"]:
            return True
        alert = self.conn.one("SELECT owner FROM alert WHERE id = :id", {"id": json.loads(entry["detail"])["alert"]})
        return alert is None or access.may_see_alert(actor, alert, case)

    def alerts(self, actor: Actor, *, open_only: bool, at: datetime, recorded_at: datetime) -> list[dict]:
        """The alerts of the cases in the actor's scope that the actor's kind of party receives; each
        case shown is recorded as read (an alert names the case and its step)."""
        where, params = [], {}
        scope = access.scope_filter(actor)
        if scope is not None:
            where.append(f"c.{scope[0]} = :scope")
            params["scope"] = scope[1]
        owner = access.alert_owner_filter(actor)
        if owner is not None:
            where.append("a.owner = :owner")
            params["owner"] = owner
        if open_only:
            where.append("a.acknowledged_at IS NULL")
        rows = self.conn.all(
            "SELECT a.id, a.case_id, a.rule, a.kind, a.owner, a.due, a.raised_at, a.last_raised_at, "
            "a.raise_count, a.acknowledged_at FROM alert a JOIN screening_case c ON c.id = a.case_id "
            f"WHERE {' AND '.join(where) or '1 = 1'} ORDER BY a.due, a.id", params)
        named = [row["case_id"] for row in rows]
        if actor.role in access.ALL_CASES:  # a number on two municipalities' cases: the warning names both
            elsewhere = self._elsewhere([row["case_id"] for row in rows if row["rule"] == ELSEWHERE])
            for row in rows:
                if row["rule"] == ELSEWHERE:
                    row["elsewhere"] = elsewhere.get(row["case_id"], [])
                    named += row["elsewhere"]
        self.record_reads(actor, list(dict.fromkeys(named)), "alerts", at, recorded_at)
        return alerts_from_db(rows)

    def _elsewhere(self, case_ids: list[str]) -> dict[str, list[str]]:
        """For each case, the other municipalities' cases with one of its identity numbers, by id."""
        found: dict[str, list[str]] = {}
        if not case_ids:
            return found
        params = {f"c{i}": case_id for i, case_id in enumerate(dict.fromkeys(case_ids))}
        for row in self.conn.all(
                "SELECT c.id AS case_id, o.id FROM screening_case c JOIN screening_case o "
                "ON o.municipality <> c.municipality AND (o.personnummer = c.personnummer "
                "OR o.samordningsnummer = c.samordningsnummer OR o.dossier = c.dossier) "
                f"WHERE c.id IN ({', '.join(':' + name for name in params)}) ORDER BY o.id", params):
            found.setdefault(row["case_id"], []).append(row["id"])
        return found

    def record_reads(self, actor: Actor, case_ids: list[str], action: str, at: datetime,
                      recorded_at: datetime) -> None:
        stamp = self.conn.timestamp
        base = {"kind": audit_kind(self.conn, action, None), "at": stamp(at), "recorded_at": stamp(recorded_at),
                "user_no": user_number(self.conn, actor.user_id), "action": action, "event": None,
                "user_id": actor.user_id, "detail": None, "door": self.door}
        if case_ids:  # one row a case, made as they are inserted: a country's list is a million rows
            self.conn.begin()  # one transaction; on SQLite BEGIN IMMEDIATE, which serialises the chain's appends
            try:
                chain.append(self.conn, self.audit_key, (dict(base, case_id=case_id) for case_id in case_ids))
            except BaseException:
                self.conn.rollback()
                raise
            self.conn.commit()
