"""Step 3: "Tolk bokas". Which interpreter service takes a case's orders, the warning where none
does, and the orders a corrected interpreter need causes; the orders themselves are messages
(route party `interpreter_service`), made when they are sent (`notifications.outbox`)."""

from __future__ import annotations

from datetime import datetime

from screening import clock
from screening.model import Case


def need_changed(uow, case: Case, event: str, now: datetime) -> None:
    """An interpreter needed after the appointments were booked is ordered for those still to come; one
    no longer needed is cancelled (step 3: "Tolk bokas")."""
    from notifications.routes import interpreter_messages
    from workflows.records import APPOINTMENTS

    booked = {}
    for kind in APPOINTMENTS:
        row = uow.bookings.get(case.id, kind)
        if row is not None and row["status"] == "booked" and clock.from_db(row["starts"]) > now:
            booked[kind] = clock.from_db(row["starts"])
    for message in interpreter_messages(case, event, booked):
        if case.interpreter and not orderable(uow, case, message, now):
            continue  # none to order from: the health centre is warned
        if not case.interpreter and uow.directory.interpreter_service(case.health_centre_id, case.municipality) is None:
            continue  # none was ordered
        uow.outbox.queue(message["key"], "event", now, case_id=message["case_id"], payload=message["payload"])


def orderable(uow, case: Case, message: dict, now: datetime) -> bool:
    """Whether an interpreter service takes the case's orders (step 3: "Tolk bokas"): the one its
    health centre names, else its municipality's. Where none does, a booking is not left without
    an interpreter quietly: the health centre (and the coordinators) get a warning at once, due at the
    appointment's start."""
    if uow.directory.interpreter_service(case.health_centre_id, case.municipality) is not None:
        return True
    booking = uow.bookings.get(case.id, message["payload"]["booking"]["kind"])
    if booking is not None and booking["status"] == "booked":
        alert_id = uow.alerts.raise_warning(case.id, "interpreter_order", "health_centre",
                                            clock.from_db(booking["starts"]), now)
        if alert_id is not None:
            uow.outbox.queue(f"alert:{alert_id}:1", "alert", now, ref=alert_id)
    return False
