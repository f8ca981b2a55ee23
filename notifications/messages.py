"""What an alert says and to whom. Names a case, a rule and a date: never anything medical."""

from __future__ import annotations

from dataclasses import dataclass

from screening import clock

RULES_SV = {
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
}
KINDS_SV = {"reminder": "Påminnelse", "breach": "Överskriden tidsfrist", "warning": "Varning"}


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


def alert_message(key: str, alert: dict, recipients: tuple[str, ...]) -> Message:
    what = RULES_SV.get(alert["rule"], alert["rule"])
    due = clock.local(alert["due"]).strftime("%Y-%m-%d %H:%M")
    subject = f"{KINDS_SV[alert['kind']]}: ärende {alert['case_id']}, {what}"
    body = (f"{KINDS_SV[alert['kind']]} för ärende {alert['case_id']}.\n\n"
            f"Steg: {what}\nAnsvarig part: {alert['owner']}\nSenast: {due}\n\n"
            "Se ärendet med: screening case show " + alert["case_id"] + "\n")
    return Message(key, recipients, subject, body)
