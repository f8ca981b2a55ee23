"""Sign-in through the region's identity provider (OpenID Connect, authorization code flow with PKCE):
a flow begun (its state, nonce and verifier kept on the server, hashed state, ten minutes, used once),
the provider's answer checked (`screening.oidc`), two factors required (the configured `acr` values or
`amr` methods), and the person found among the users an admin set up: by a claim matched against the
HSA-id, or by the issuer and subject an admin linked (`link`). No user is ever made from a sign-in.

Every refusal is a `SignInRefused` with a reason code; the ones whose person is known are audited
(`signin_failed`), and the edge logs them all. No token reaches the audit trail or the log."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from screening import access, clock, oidc
from screening.errors import BadInput, NotFound, NotSignedIn, Refused
from screening.model import Actor, AuditEntry

FLOW_LIFETIME = timedelta(minutes=10)
KEEP_FLOWS = timedelta(hours=1)  # a state used or expired is told apart from an unknown one this long
AUDITED = ("oidc_link", "oidc_unlink")  # migration 0024


class SignInRefused(NotSignedIn):
    """The browser's flow or the provider's answer is wrong (HTTP 401): `reason` says why, for the log."""

    code = "signin_failed"

    def __init__(self, message: str, /, *, reason: str, detail: str = "", **known):
        super().__init__(message)
        self.reason, self.detail, self.known = reason, detail, known


class PersonRefused(Refused):
    """The person the provider signed in may not come in (HTTP 403): `reason` says why."""

    code = "signin_failed"

    def __init__(self, message: str, /, *, reason: str, **known):
        super().__init__(message)
        self.reason, self.detail, self.known = reason, "", known


def _provider_problem(problem: oidc.OidcProblem) -> SignInRefused:
    facts = {"reason": problem.reason, "detail": problem.detail}
    if problem.reason == "metadata":
        return SignInRefused("the identity provider cannot be reached or answered wrongly: try again later", **facts)
    if problem.reason == "exchange":
        return SignInRefused("the identity provider did not confirm the sign-in: start again", **facts)
    return SignInRefused("the identity provider's answer could not be verified: start again", **facts)


def _person_refused(reason: str, **known) -> PersonRefused:
    if reason == "one_factor":
        return PersonRefused("the identity provider did not vouch for two factors (such as a card or an app with a "
                             "code); patient data needs them: sign in again with two factors", reason=reason, **known)
    if reason == "ambiguous":
        return PersonRefused("more than one user here has your identity: ask an administrator", reason=reason, **known)
    if reason == "disabled":
        return PersonRefused("your user here is disabled: ask an administrator", reason=reason, **known)
    return PersonRefused("you are signed in at the identity provider, but no user here is linked to you: "
                         "ask an administrator", reason=reason, **known)


def configured(app) -> bool:
    return app.settings.oidc is not None


def begin(app) -> dict:
    """A new sign-in: `{"url"}` to send the browser to, and `{"state"}` for the browser's cookie."""
    config = _config(app)
    secrets = oidc.new_secrets()
    try:
        url = oidc.authorization_url(config, secrets)
    except oidc.OidcProblem as problem:
        raise _provider_problem(problem) from None
    now = app.clock.real()
    with app.uow() as uow:
        uow.oidc.prune_flows(now - KEEP_FLOWS)
        uow.oidc.add_flow(_hash(secrets["state"]), secrets["nonce"], secrets["code_verifier"], now)
        uow.commit()
    return {"url": url, "state": secrets["state"]}


def finish(app, *, state: str | None, browser_state: str | None, code: str | None, error: str | None = None,
           issuer: str | None = None) -> dict:
    """The provider's answer at the callback: the state the browser's cookie holds (the flow's, unused,
    under ten minutes), the code exchanged with the flow's verifier, the ID token verified with the
    flow's nonce, two factors, then the user linked to the person (enabled). A new session:
    `{"user", "session", "csrf"}`; else `SignInRefused` (401) or `PersonRefused` (403)."""
    config = _config(app)
    if not state or not browser_state or not hmac.compare_digest(state.encode(), browser_state.encode()):
        raise SignInRefused("this sign-in was not started in this browser, or has been used already: start again",
                            reason="state", detail="the state is not the browser's")
    now = app.clock.real()
    with app.uow() as uow:
        flow = uow.oidc.take_flow(_hash(state), now)
        uow.commit()
    if flow is None or not flow["first"]:
        raise SignInRefused("this sign-in was not started in this browser, or has been used already: start again",
                            reason="state", detail="unknown state" if flow is None else "state used already")
    if now - flow["created_at"] > FLOW_LIFETIME:
        raise SignInRefused("this sign-in took more than ten minutes: start again", reason="expired_flow")
    if error or not code:
        raise SignInRefused("the identity provider did not sign you in: start again", reason="provider_error",
                            detail=(error or "no code")[:60])
    try:
        if issuer is not None and issuer != oidc.metadata(config)["issuer"]:  # RFC 9207: another provider's answer
            raise oidc.OidcProblem("issuer", "the callback's iss is not the provider's")
        claims = oidc.verify(config, oidc.exchange(config, code, flow["code_verifier"]), flow["nonce"], now)
    except oidc.OidcProblem as problem:
        raise _provider_problem(problem) from None
    return _admit(app, config, claims)


def _admit(app, config, claims: dict) -> dict:
    known = {"issuer": claims["iss"], "subject": claims["sub"]}
    acr, amr = claims.get("acr"), claims.get("amr")
    amr = [method for method in amr if isinstance(method, str)] if isinstance(amr, list) else []
    two_factors = (isinstance(acr, str) and acr in config.two_factor_acr) or bool(config.two_factor_amr & set(amr))
    with app.uow() as uow:
        user_id, reason = _person(uow, config, claims)
        person = uow.directory.actor(user_id) if user_id else None
        if not two_factors:
            reason = "one_factor"
        elif person is None:
            reason = reason or "unknown_person"
        elif person.get("disabled_at") is not None:
            reason = "disabled"
        if reason:
            if person is not None:
                _audit(uow, app, "signin_failed", user_id, {"via": "oidc", "reason": reason, **known, "acr": acr})
                uow.commit()
            raise _person_refused(reason, **known, user=user_id if person else None, acr=acr)
        from screening.services import sessions

        _audit(uow, app, "signin", user_id, {"via": "oidc", **known, "acr": acr, "amr": amr})
        started = sessions.start_in(uow, user_id, app.clock.now())
        uow.commit()
    return {"user": user_id, **started}


def _person(uow, config, claims: dict) -> tuple[str | None, str | None]:
    """The user the claims name, and a reason where none or several do."""
    if config.claim is None:
        return uow.oidc.user_for(claims["iss"], claims["sub"]), None
    value = claims.get(config.claim)
    found = uow.oidc.users_with_hsa_id(value) if isinstance(value, str) and value else []
    if len(found) > 1:
        return None, "ambiguous"
    return (found[0], None) if found else (None, None)


def link(app, actor: Actor, user_id: str, issuer: str | None, subject: str) -> dict:
    """Link a person at the identity provider (issuer + subject) to a user (admin); audited. The issuer
    defaults to the configured provider's. A link made again replaces the one before."""
    access.require_command(actor, "user_admin")
    issuer = issuer or _default_issuer(app)
    if not subject.strip() or len(subject) > 255 or len(issuer) > 255:
        raise BadInput("an issuer and a subject of at most 255 characters are needed")
    now = app.clock.now()
    with app.uow() as uow:
        if uow.directory.user(user_id) is None:
            raise NotFound("unknown user '{user}'", user=user_id)
        uow.oidc.link(issuer, subject, user_id, now, actor.user_id)
        _audit(uow, app, "oidc_link", actor.user_id, {"user": user_id, "issuer": issuer, "subject": subject})
        uow.commit()
    return {"user": user_id, "issuer": issuer, "subject": subject}


def unlink(app, actor: Actor, issuer: str | None, subject: str) -> dict:
    """The link of a person at the provider undone (admin); audited."""
    access.require_command(actor, "user_admin")
    issuer = issuer or _default_issuer(app)
    with app.uow() as uow:
        user_id = uow.oidc.unlink(issuer, subject)
        if user_id is None:
            raise NotFound("no user is linked to subject '{subject}' of {issuer}", subject=subject, issuer=issuer)
        _audit(uow, app, "oidc_unlink", actor.user_id, {"user": user_id, "issuer": issuer, "subject": subject})
        uow.commit()
    return {"user": user_id, "issuer": issuer, "subject": subject}


def links(app, actor: Actor, user_id: str | None = None) -> list[dict]:
    """The people at identity providers linked to users (or to one user), for an admin."""
    access.require_command(actor, "user_admin")
    with app.uow() as uow:
        found = uow.oidc.links(user_id)
    return [{**row, "linked_at": clock.local_iso(row["linked_at"])} for row in found]


def _default_issuer(app) -> str:
    config = app.settings.oidc
    if config is None:
        raise BadInput("give the issuer: no identity provider is set up (SCREENING_OIDC_DISCOVERY)")
    return config.discovery.removesuffix(oidc.WELL_KNOWN)


def _config(app):
    config = app.settings.oidc
    if config is None:
        raise SignInRefused("sign-in through the region's identity provider is not set up on this server",
                            reason="not_configured")
    return config


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _audit(uow, app, action: str, user_id: str, detail: dict) -> None:
    uow.audit.record(AuditEntry(None, action, None, app.clock.now(), app.clock.real(), user_id, detail))
