"""The family's invitation letter (`case letter`): the PDF of the letter made when the appointment
was booked, printed again as it was made; each print recorded in the audit trail (it holds a name
and a time)."""

from __future__ import annotations

from screening import access, model
from screening.errors import Refused
from screening.model import Actor, AuditEntry


def letter(app, actor: Actor, case_id: str, kind: str = "conversation") -> dict:
    """The current letter of the case's booked conversation (or examination), for its health centre
    or a coordinator: `{"pdf", "sequence", "languages", "fallback", "unchecked"}`. `fallback`: the
    family's language, when there is no letter in it (the letter is in Swedish and English);
    `unchecked`: the languages whose text no authorised translator has checked yet."""
    from notifications.letters import compose
    from notifications.pdf import letter_pdf

    case_id, now = model.case_id(case_id), app.clock.now()
    access.require_command(actor, "letter")
    simulation = app.simulation
    with app.uow() as uow:
        case = uow.cases.get(case_id)
        access.require_visible(actor, case, case_id)  # a centre: its own cases only
        current = next((kept for kept in uow.letters.letters(case_id, kind) if kept["superseded_at"] is None), None)
        if current is None:
            raise Refused("case {case} has no booked {appointment} to invite the family to", case=case_id,
                          appointment=kind)
        made = compose(current["facts"], kind, app.settings.templates.folder)
        header = f"{current['facts']['region']} · {current['facts']['centre']}"
        if simulation:  # a simulation's letter says so above all else
            header = f"SIMULERING – inget verkligt brev\n{header}"
        pdf = letter_pdf(made, current["made_at"], header)
        uow.audit.record(AuditEntry(case_id, "letter", None, now, app.clock.real(), actor.user_id,
                                    {"kind": kind, "sequence": current["sequence"]}))
        uow.commit()
    return {"pdf": pdf, "sequence": current["sequence"], "languages": [s.lang for s in made.sections],
            "fallback": made.fallback, "unchecked": list(made.unchecked)}
