"""What each message says and to whom: alerts, the coordinators' digest, and the messages events
cause (`notifications.routes`). Names a case, a step and a time: never anything medical."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from notifications.templates import Templates
from screening import clock
from screening.languages import language_name, municipality_name
from screening.words import Words

STEPS = {
    "sv": {
        "notify_parties": "underrätta hälsocentral, skola och förskola (steg 2)",
        "renotify_arrival_change": "meddela ändrat ankomstdatum (steg 2)",
        "book_health_conversation": "boka hälsosamtal med provtagning inom fem arbetsdagar (steg 3)",
        "results_received": "provsvar (steg 6)",
        "inform_family": "meddela familjen provsvaren (steg 6)",
        "inform_reception": "meddela mottagningsenheten att provsvaren är klara (steg 7)",
        "book_examination": "boka läkarundersökning (steg 6, 9)",
        "school_start": "skolstart (steg 8)",
        "preschool_start": "förskolestart (steg 8)",
        "vaccination_plan": "vaccinationsplan (steg 3 punkt 2)",
        "turns_18": "barnet fyller 18 år: överlämning till vuxenprocessen",
        "interpreter_order": "boka tolk (steg 3): ingen tolkförmedling är angiven för hälsocentralen eller "
                             "kommunen, så ingen tolk är beställd",
        "identity_elsewhere": "samma identitetsnummer på en annan kommuns ärende (oftast en flytt)",
    },
    "en": {
        "notify_parties": "tell the health centre, school and preschool (step 2)",
        "renotify_arrival_change": "tell them the changed arrival (step 2)",
        "book_health_conversation": "book the health conversation with samples within five working days (step 3)",
        "results_received": "sample results (step 6)",
        "inform_family": "tell the family the results (step 6)",
        "inform_reception": "tell the reception unit the results are in (step 7)",
        "book_examination": "book the doctor's examination (steps 6, 9)",
        "school_start": "school start (step 8)",
        "preschool_start": "preschool start (step 8)",
        "vaccination_plan": "vaccination plan (step 3 point 2)",
        "turns_18": "the child turns 18: hand-over to the adult process",
        "interpreter_order": "order the interpreter (step 3): no interpreter service is named for the health "
                             "centre or the municipality, so no interpreter is ordered",
        "identity_elsewhere": "the same identity number on another municipality's case (most often a move)",
    },
}
MISSING = {  # why an alert went to the coordinators instead of its owner
    "sv": {"unassigned": "Observera: ingen {party} är angiven för ärendet, så larmet går till samordnaren. "
                         "Mottagningsenheten anger den med update_details.",
           "no_address": "Observera: {party} saknar e-postadress i katalogen, så larmet går till samordnaren."},
    "en": {"unassigned": "Note: the case has no {party} assigned, so this alert goes to the coordinator. "
                         "The reception unit assigns one with update_details.",
           "no_address": "Note: {party} has no e-mail address in the directory, so this alert goes to the "
                         "coordinator."},
}
ELSEWHERE = {  # an identity number on two municipalities' cases: both named, for the coordinators only
    "sv": "Samma identitetsnummer finns på {cases}. Ärende {case} registrerades nu i {municipality}. Om barnet "
          "har flyttat avslutas det gamla ärendet med move_out (mottagningsenheten) eller close; kvittera sedan "
          "larmet.",
    "en": "The same identity number is on {cases}. Case {case} was just registered in {municipality}. If the child "
          "has moved, the old case is ended with move_out (the reception unit) or close; then acknowledge the "
          "alert.",
}
ELSEWHERE_CASE = {"sv": "ärende {id} ({municipality})", "en": "case {id} ({municipality})"}
SENDER_NAME = {"sv": "{region}, hälsoundersökning av nyanlända", "en": "{region}, screening of newly arrived children"}
KINDS = {"sv": {"reminder": "Påminnelse", "breach": "Överskriden tidsfrist", "warning": "Varning"},
         "en": {"reminder": "Reminder", "breach": "Deadline breached", "warning": "Warning"}}


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. "text/calendar; method=REQUEST"
    data: bytes


@dataclass(frozen=True)
class Message:
    key: str  # the idempotency key: one message per key, however often it is handed over
    to: tuple[str, ...]  # e-mail addresses from the directory
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = ()
    sender_name: str = ""  # the region's service, as the From header's display name
    date: datetime | None = None  # when it is sent: the Date header


@dataclass(frozen=True)
class Letterhead:
    """Who sends, in the reader's words: the region's service, whom to ask, where to see the case."""

    region: str
    contact: str  # the coordinators: name, e-mail, phone
    case_link: str | None = None  # a URL with `{case}`, where the server's case page is

    def signed(self, body: str, templates: Templates, case_id: str | None) -> str:
        _, signature = templates.render("signature", {"region": self.region, "contact": self.contact})
        link = self.case_link.format(case=case_id) if self.case_link and case_id else None
        return body.rstrip("\n") + "\n\n" + signature.rstrip("\n") + (f"\n{link}" if link else "") + "\n"

    def sender(self, templates: Templates) -> str:
        return SENDER_NAME[templates.lang].format(region=self.region)


def finished(message: Message, letterhead: Letterhead | None, templates: Templates, case_id: str | None,
             now: datetime) -> Message:
    """The message as it leaves: signed, its sender named, dated."""
    if letterhead is None:
        return replace(message, date=now)
    return replace(message, body=letterhead.signed(message.body, templates, case_id),
                   sender_name=letterhead.sender(templates), date=now)


def alert_message(key: str, alert: dict, recipients: tuple[str, ...], templates: Templates,
                  missing: str | None = None, elsewhere: list[dict] | None = None, municipality: str | None = None
                  ) -> Message:
    """`elsewhere`: the other municipalities' cases with the same identity number (`identity_elsewhere`),
    named with the alert's case and its `municipality`: ids and municipalities, nothing else of them."""
    lang, words = templates.lang, Words(templates.lang)  # the owner as a sentence names the party
    subject, body = templates.render("alert", {
        "kind": KINDS[lang][alert["kind"]], "case": alert["case_id"],
        "step": STEPS[lang].get(alert["rule"], alert["rule"]), "owner": words.the_party(alert["owner"]),
        "due": clock.local_date(alert["due"]).isoformat()})  # the deadline's day, in words
    if missing:
        owner = alert["owner"]
        party = words.party(owner) if missing == "unassigned" else words.the_party(owner)  # "ingen skola"
        body = body.rstrip("\n") + "\n\n" + MISSING[lang][missing].format(party=party) + "\n"
    if elsewhere:
        cases = ", ".join(ELSEWHERE_CASE[lang].format(id=other["id"], municipality=municipality_name(
            other["municipality"], lang)) for other in elsewhere)
        body = body.rstrip("\n") + "\n\n" + ELSEWHERE[lang].format(
            cases=cases, case=alert["case_id"], municipality=municipality_name(municipality, lang)) + "\n"
    return Message(key, recipients, subject, body)


def digest_message(key: str, summary: dict, recipients: tuple[str, ...], templates: Templates) -> Message:
    groups = "\n".join(f"  {g['municipality']}, {g['health_centre_id'] or '–'}: {g['new'] or 0} / {g['still_open']}"
                       for g in summary["groups"]) or "  –"
    subject, body = templates.render("digest", {"day": summary["day"], "open_breaches": summary["open_breaches"],
                                                "new_breaches": summary["new_breaches"], "groups": groups})
    return Message(key, recipients, subject, body)


def audit_break_message(key: str, found: dict, recipients: tuple[str, ...], templates: Templates) -> Message:
    """The audit trail's hash chain is broken: at which row, why, whole up to when; no case in it."""
    subject, body = templates.render("audit_break", {
        "row": found["row"], "reason": Words(templates.lang).audit_break(found["reason"]),
        "checked_at": found["checked_at"], "since": found["since"], "after": found["after"]})
    return Message(key, recipients, subject, body)


def event_message(key: str, payload: dict, recipients: tuple[str, ...], templates: Templates,
                  attachments: tuple[Attachment, ...] = ()) -> Message:
    fields = dict(payload["fields"])
    fields["language"] = language_name(fields.get("language"), templates.lang)  # "tigrinja", not "ti"
    fields["interpreter_need"] = _interpreter_need(fields.get("interpreter"), fields["language"], templates.lang)
    if fields.get("visit"):  # a booking's message: the kind of visit in words
        fields["visit"] = VISITS[templates.lang].get(fields["visit"], fields["visit"])
    municipality = fields.get("municipality")
    fields["municipality_name"] = municipality_name(municipality, templates.lang) if municipality else None
    subject, body = templates.render(payload["template"], fields)
    return Message(key, recipients, subject, body, attachments)


VISITS = {"sv": {"conversation": "hälsosamtal med provtagning", "examination": "läkarundersökning"},
          "en": {"conversation": "health conversation with samples", "examination": "doctor's examination"}}
INTERPRETER = {"sv": ("behövs, {language}", "behövs", "behövs inte"),
               "en": ("needed, {language}", "needed", "not needed")}


def _interpreter_need(needed: bool | None, language: str | None, lang: str) -> str | None:
    """'behövs, tigrinja', 'behövs' (no language known), 'behövs inte'; None when not known."""
    if needed is None:
        return None
    with_language, without, none = INTERPRETER[lang]
    return (with_language.format(language=language) if language else without) if needed else none
