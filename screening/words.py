"""The product's words for people, in Swedish (the default) and English: the tracks and their states,
the deadlines' steps and statuses, the parties, the events, the alerts and the outbox, and times
in local form ("ons 25 nov 10:00"). The contract's names (JSON, options, event names typed on the
command line) stay as they are; these are what a person reads on a screen, in a message or a page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from screening import clock

LANGUAGES = ("sv", "en")

STATES = {
    "sv": {
        "health": {
            "registered": "registrerad", "verifying_previous": "kontrollerar tidigare screening",
            "parties_notified": "parterna underrättade", "conversation_booked": "hälsosamtal bokat",
            "samples_taken": "prover tagna", "results_received": "provsvar klara",
            "examination_booked": "läkarundersökning bokad", "examined": "undersökt", "declined": "avböjt",
            "moved_out": "utflyttad", "closed": "avslutad"},
        "school": {
            "not_started": "ej påbörjad", "intro_invited": "inbjuden till inskolningssamtal",
            "intro_held": "inskolningssamtal hållet", "plan_made": "inskolningsplan klar", "started": "har börjat",
            "started_adapted": "har börjat med anpassningar", "postponed": "start uppskjuten"},
        "vaccination": {
            "not_started": "ej påbörjad", "records_requested": "journaler begärda", "assessed": "bedömd",
            "plan_made": "vaccinationsplan klar", "in_progress": "kompletterande vaccination pågår",
            "complete": "klar", "not_needed": "behövs inte"},
    },
    "en": {
        "health": {
            "registered": "registered", "verifying_previous": "verifying previous screening",
            "parties_notified": "parties notified", "conversation_booked": "health conversation booked",
            "samples_taken": "samples taken", "results_received": "results received",
            "examination_booked": "examination booked", "examined": "examined", "declined": "declined",
            "moved_out": "moved out", "closed": "closed"},
        "school": {
            "not_started": "not started", "intro_invited": "invited to the introduction meeting",
            "intro_held": "introduction meeting held", "plan_made": "introduction plan made", "started": "started",
            "started_adapted": "started with adaptations", "postponed": "start postponed"},
        "vaccination": {
            "not_started": "not started", "records_requested": "records requested", "assessed": "assessed",
            "plan_made": "vaccination plan made", "in_progress": "catch-up vaccination under way",
            "complete": "complete", "not_needed": "not needed"},
    },
}
TRACKS = {"sv": {"health": "Hälsa", "school": "Skola/förskola", "vaccination": "Vaccination"},
          "en": {"health": "Health", "school": "School/preschool", "vaccination": "Vaccination"}}
STATUSES = {  # a deadline's
    "sv": {"open": "öppen", "met": "klar i tid", "late": "klar för sent", "breached": "försenad",
           "cancelled": "gäller inte"},
    "en": {"open": "open", "met": "met", "late": "done late", "breached": "breached", "cancelled": "no longer applies"},
}
RULES = {  # a deadline's step, as a table names it
    "sv": {"notify_parties": "underrätta parterna", "renotify_arrival_change": "underrätta om ny ankomst",
           "book_health_conversation": "boka hälsosamtal", "results_received": "provsvar klara",
           "inform_family": "informera familjen", "inform_reception": "informera mottagningsenheten",
           "book_examination": "boka läkarundersökning", "school_start": "skolstart",
           "preschool_start": "förskolestart", "vaccination_plan": "vaccinationsplan", "turns_18": "fyller 18",
           "interpreter_order": "boka tolk", "identity_elsewhere": "samma identitet i en annan kommun"},
    "en": {"notify_parties": "notify the parties", "renotify_arrival_change": "notify the new arrival",
           "book_health_conversation": "book the health conversation", "results_received": "results received",
           "inform_family": "inform the family", "inform_reception": "inform the reception unit",
           "book_examination": "book the examination", "school_start": "school start",
           "preschool_start": "preschool start", "vaccination_plan": "vaccination plan", "turns_18": "turns 18",
           "interpreter_order": "order the interpreter", "identity_elsewhere": "same identity in another municipality"},
}
PARTIES = {  # a party (an owner, a role, a kind of organisation), as a table names it
    "sv": {"reception_unit": "mottagningsenhet", "health_centre": "hälsocentral", "school": "skola",
           "preschool": "förskola", "school_health": "elevhälsa", "bvc": "BVC", "coordinator": "samordnare",
           "admin": "administratör", "interpreter_service": "tolkförmedling"},
    "en": {"reception_unit": "reception unit", "health_centre": "health centre", "school": "school",
           "preschool": "preschool", "school_health": "school health", "bvc": "child health (BVC)",
           "coordinator": "coordinator", "admin": "administrator", "interpreter_service": "interpreter service"},
}
THE_PARTY = {  # the same, as a sentence names it
    "sv": {"reception_unit": "mottagningsenheten", "health_centre": "hälsocentralen", "school": "skolan",
           "preschool": "förskolan", "school_health": "elevhälsan", "bvc": "BVC", "coordinator": "samordnaren",
           "admin": "administratören", "interpreter_service": "tolkförmedlingen"},
    "en": {"reception_unit": "the reception unit", "health_centre": "the health centre", "school": "the school",
           "preschool": "the preschool", "school_health": "school health", "bvc": "child health (BVC)",
           "coordinator": "the coordinator", "admin": "the administrator",
           "interpreter_service": "the interpreter service"},
}
ALERT_KINDS = {"sv": {"reminder": "påminnelse", "breach": "överskriden", "warning": "varning"},
               "en": {"reminder": "reminder", "breach": "breach", "warning": "warning"}}
APPOINTMENTS = {"sv": {"conversation": "hälsosamtal", "examination": "läkarundersökning"},
                "en": {"conversation": "health conversation", "examination": "doctor's examination"}}
OUTBOX = {"sv": {"queued": "i kö", "sent": "skickat", "dead": "misslyckat", "replaced": "ersatt av ett senare"},
          "en": {"queued": "queued", "sent": "sent", "dead": "failed", "replaced": "replaced by a later one"}}
AUDIT_BREAKS = {  # why the audit trail's hash chain breaks at a row (`screening.audit_chain`)
    "sv": {"altered": "raden stämmer inte med kedjan: den är ändrad, eller en rad före den är borttagen eller "
                      "tillagd utanför produkten",
           "unchained": "raden saknar länk: den är skriven utanför produkten",
           "unkeyed": "raden är länkad utan nyckeln, efter rader länkade med den",
           "truncated": "raden som var loggens sista vid förra kontrollen saknas eller är ändrad: loggens slut "
                        "är bortskuret"},
    "en": {"altered": "the row does not match the chain: it was changed, or a row before it was taken out or put "
                      "in around the product",
           "unchained": "the row has no link: it was written around the product",
           "unkeyed": "the row is linked without the key, after rows linked with it",
           "truncated": "the row that was the trail's last at the previous check is gone or changed: the end of "
                        "the trail was cut off"},
}
EVENTS = {  # what happened, as the history names it
    "sv": {
        "register": "anmälan registrerad", "attach_identity": "identitet tillagd",
        "verify_previous_screening": "tidigare screening kontrollerad", "notify_parties": "parterna underrättade",
        "change_arrival": "ankomst ändrad", "book_health_conversation": "hälsosamtal bokat",
        "cancel_booking": "hälsosamtal avbokat", "hold_health_conversation": "hälsosamtal hållet",
        "record_results": "provsvar registrerade", "inform_family": "familjen informerad",
        "inform_reception": "mottagningsenheten informerad", "record_consent": "samtycke registrerat",
        "share_with_school_health": "kopia till elevhälsan", "book_examination": "läkarundersökning bokad",
        "hold_examination": "läkarundersökning gjord", "update_details": "uppgifter rättade", "decline": "avböjt",
        "move_out": "utflyttad", "close": "avslutat", "invite_intro_meeting": "inbjuden till inskolningssamtal",
        "hold_intro_meeting": "inskolningssamtal hållet", "make_intro_plan": "inskolningsplan gjord",
        "start_school": "började skolan", "start_preschool": "började förskolan",
        "start_with_adaptations": "började med anpassningar", "postpone_start": "start uppskjuten",
        "request_records": "journaler begärda", "assess_vaccinations": "vaccinationer bedömda",
        "make_vaccination_plan": "vaccinationsplan gjord", "give_catch_up_dose": "kompletterande dos given",
        "complete_vaccinations": "vaccinationer klara", "acknowledge_alert": "larm kvitterat",
        "show": "läste ärendet", "list": "läste i en lista", "history": "läste historiken",
        "letter": "skrev ut kallelsen", "alerts": "läste i larmlistan", "calendar": "läste i kalendern",
        "outbox": "läste i utkorgen", "directory": "katalogen ändrad", "restore": "databasen återställd",
        "sample": "stickprov ur åtkomstloggen", "review": "stickprov granskat",
        "rules": "tidsfristernas regler inlästa",
        "signin": "loggade in", "signin_failed": "misslyckad inloggning", "locked": "kontot låst",
        "signout": "loggade ut", "password": "lösenord satt", "totp": "andra faktor registrerad",
        "factor_reset": "andra faktor återställd", "oidc_link": "kopplad till identitetsleverantören",
        "oidc_unlink": "koppling till identitetsleverantören borttagen", "token_created": "API-nyckel skapad",
        "token_revoked": "API-nyckel återkallad",
    },
    "en": {
        "register": "notice registered", "attach_identity": "identity added",
        "verify_previous_screening": "previous screening verified", "notify_parties": "parties notified",
        "change_arrival": "arrival changed", "book_health_conversation": "health conversation booked",
        "cancel_booking": "health conversation cancelled", "hold_health_conversation": "health conversation held",
        "record_results": "results recorded", "inform_family": "family informed",
        "inform_reception": "reception unit informed", "record_consent": "consent recorded",
        "share_with_school_health": "copy shared with school health", "book_examination": "examination booked",
        "hold_examination": "examination held", "update_details": "details corrected", "decline": "declined",
        "move_out": "moved out", "close": "closed", "invite_intro_meeting": "invited to the introduction meeting",
        "hold_intro_meeting": "introduction meeting held", "make_intro_plan": "introduction plan made",
        "start_school": "started school", "start_preschool": "started preschool",
        "start_with_adaptations": "started with adaptations", "postpone_start": "start postponed",
        "request_records": "records requested", "assess_vaccinations": "vaccinations assessed",
        "make_vaccination_plan": "vaccination plan made", "give_catch_up_dose": "catch-up dose given",
        "complete_vaccinations": "vaccinations complete", "acknowledge_alert": "alert acknowledged",
        "show": "read the case", "list": "read it in a list", "history": "read the history",
        "letter": "printed the letter", "alerts": "read it in the alerts", "calendar": "read it in the calendar",
        "outbox": "read it in the outbox", "directory": "directory changed", "restore": "database restored",
        "sample": "access log sampled", "review": "sample reviewed",
        "rules": "deadline rules loaded",
        "signin": "signed in", "signin_failed": "failed sign-in", "locked": "account locked",
        "signout": "signed out", "password": "password set", "totp": "second factor enrolled",
        "factor_reset": "second factor reset", "oidc_link": "linked to the identity provider",
        "oidc_unlink": "link to the identity provider removed", "token_created": "API token made",
        "token_revoked": "API token revoked",
    },
}
ORDERS = {  # an interpreter order's status
    "sv": {"ordering": "beställs", "ordered": "beställd", "amended": "ändrad", "cancelled": "avbokad",
           "failed": "kunde inte skickas"},
    "en": {"ordering": "being ordered", "ordered": "ordered", "amended": "amended", "cancelled": "cancelled",
           "failed": "could not be sent"},
}
YES_NO = {"sv": ("ja", "nej"), "en": ("yes", "no")}


@dataclass(frozen=True)
class Words:
    """The words in one language; `names` gives organisations their names (id -> name), `today`
    leaves the year off the dates of its own year."""

    lang: str = "sv"
    names: dict = field(default_factory=dict)
    today: date | None = None

    def __post_init__(self):
        if self.lang not in LANGUAGES:
            raise ValueError(f"no words in '{self.lang}'")

    def state(self, track: str, state: str) -> str:
        return STATES[self.lang][track].get(state, state)

    def track(self, track: str) -> str:
        return TRACKS[self.lang].get(track, track)

    def status(self, status: str) -> str:
        return STATUSES[self.lang].get(status, status)

    def audit_break(self, reason: str) -> str:
        return AUDIT_BREAKS[self.lang].get(reason, reason)

    def rule(self, rule: str) -> str:
        return RULES[self.lang].get(rule, rule)

    def clause(self, clause: str | None) -> str:
        """Where the agreement says it, in this language: the rule table writes 'step 3', 'steps 6, 9',
        'scope (0-17)'."""
        if not clause or self.lang != "sv":
            return clause or ""
        return re.sub(r"\bsteps?\b", "steg", clause).replace("scope", "omfattning")

    def party(self, party: str | None) -> str:
        return PARTIES[self.lang].get(party, party) if party else ""

    def the_party(self, party: str) -> str:
        return THE_PARTY[self.lang].get(party, party)

    def alert_kind(self, kind: str) -> str:
        return ALERT_KINDS[self.lang].get(kind, kind)

    def appointment(self, kind: str) -> str:
        return APPOINTMENTS[self.lang].get(kind, kind)

    def order(self, status: str) -> str:
        return ORDERS[self.lang].get(status, status)

    def outbox(self, status: str) -> str:
        return OUTBOX[self.lang].get(status, status)

    def event(self, name: str) -> str:
        return EVENTS[self.lang].get(name, name)

    def language(self, code: str | None) -> str | None:
        """The family's language by its name ('tigrinja', not 'ti')."""
        from screening.languages import language_name

        return language_name(code, self.lang)

    def yes_no(self, value: bool) -> str:
        return YES_NO[self.lang][0 if value else 1]

    def org(self, org_id: str | None) -> str:
        """An organisation by its name where the directory has one ('–' for none)."""
        return self.names.get(org_id, org_id) if org_id else "–"

    def time(self, value: str | datetime | None) -> str:
        """'ons 25 nov 10:00' (the year too, when it is not this year's); '' for none."""
        if not value:
            return ""
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return clock.short(moment, self.lang, year=self._other_year(clock.local(moment).date()))

    def day(self, value: str | date | None) -> str:
        """'fre 4 dec' (the year too, when it is not this year's); '' for none."""
        if not value:
            return ""
        day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
        return clock.short(day, self.lang, year=self._other_year(day))

    def _other_year(self, day: date) -> bool:
        return self.today is None or day.year != self.today.year
