"""The deadline rule table's versions: an admin loads a region's file as a new version; the newest
is in force, and each deadline records the version it was computed under."""

from __future__ import annotations

from screening import access
from screening.model import Actor, AuditEntry


def load(app, actor: Actor, path: str) -> dict:
    """The bundled table with the file's values over it, checked whole, stored as the next version
    (admin), with who and when in the audit trail. The same table as the one in force is no new
    version. A file in error stores nothing."""
    from workflows.deadlines import rule_table, rules_from

    access.require_command(actor, "rules")
    table = rule_table(path)
    rules_from(table, path)  # every rule checked before anything is stored
    with app.uow() as uow:
        stored = uow.rules.store(table, actor.user_id, app.clock.real())
        if stored["new"]:
            uow.audit.record(AuditEntry(None, "rules", None, app.clock.now(), app.clock.real(), actor.user_id,
                                        {"version": stored["version"]}))
        uow.commit()
    return stored
