"""OpenID Connect, the relying party's half (Authlib): the provider's metadata and keys, the
authorization request (code flow, PKCE S256, state, nonce), the code's exchange and the ID token's
verification (signature by the provider's JWKS, issuer, audience, expiry and issue time against the
time given, nonce). No rule of the product here: `screening.services.identity_provider` decides.

Every failure is an `OidcProblem` with a reason code (`metadata`, `exchange`, `signature`, `issuer`,
`audience`, `expired`, `nonce`, `claims`); its text never holds a token.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.request
from datetime import datetime
from urllib.parse import quote, urlencode

from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import ClaimError, ExpiredTokenError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

TIMEOUT = 10  # seconds for each request to the provider
LEEWAY = 60  # seconds the provider's clock may be off from ours
ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
WELL_KNOWN = "/.well-known/openid-configuration"

_cache: dict[str, dict] = {}  # discovery URL -> metadata (with "jwks" once fetched), per process
_lock = threading.Lock()


class OidcProblem(Exception):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail


def new_secrets() -> dict:
    """A flow's state, nonce and PKCE code verifier (random, URL-safe)."""
    return {"state": generate_token(43), "nonce": generate_token(43), "code_verifier": generate_token(64)}


def metadata(config) -> dict:
    """The provider's discovery document (fetched once per process); its issuer must be the URL's own."""
    with _lock:
        if config.discovery in _cache:
            return _cache[config.discovery]
    found = _get_json(config.discovery)
    expected = config.discovery.removesuffix(WELL_KNOWN)
    needed = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
    if not isinstance(found, dict) or any(not isinstance(found.get(name), str) for name in needed):
        raise OidcProblem("metadata", "the discovery document lacks " + ", ".join(needed))
    if config.discovery.endswith(WELL_KNOWN) and found["issuer"].rstrip("/") != expected.rstrip("/"):
        raise OidcProblem("metadata", f"issuer {found['issuer']} is not the discovery URL's {expected}")
    with _lock:
        _cache[config.discovery] = found
    return found


def authorization_url(config, secrets: dict) -> str:
    """The provider's address for a new flow; the two-factor `acr` values asked for (voluntary: checked after)."""
    challenge = create_s256_code_challenge(secrets["code_verifier"])
    extra = {"acr_values": " ".join(sorted(config.two_factor_acr))} if config.two_factor_acr else {}
    return prepare_grant_uri(metadata(config)["authorization_endpoint"], config.client_id, "code",
                             redirect_uri=config.redirect_uri, scope=config.scope, state=secrets["state"],
                             nonce=secrets["nonce"], code_challenge=challenge, code_challenge_method="S256", **extra)


def exchange(config, code: str, code_verifier: str) -> dict:
    """The tokens for the code (the client authenticated with its secret, the PKCE verifier given)."""
    found = metadata(config)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": config.redirect_uri,
            "code_verifier": code_verifier}
    methods = found.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    if "client_secret_basic" in methods:
        pair = f"{quote(config.client_id, safe='')}:{quote(config.client_secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    else:
        form.update(client_id=config.client_id, client_secret=config.client_secret)
    request = urllib.request.Request(found["token_endpoint"], urlencode(form).encode(), headers, method="POST")
    tokens = _json(request, "exchange")
    if not isinstance(tokens, dict) or not isinstance(tokens.get("id_token"), str):
        raise OidcProblem("exchange", "the token endpoint gave no ID token")
    return tokens


def verify(config, tokens: dict, nonce: str, now: datetime) -> dict:
    """The ID token's claims, once its signature, issuer, audience, times (at `now`) and nonce are right."""
    found = metadata(config)
    algorithms = [name for name in found.get("id_token_signing_alg_values_supported") or ["RS256"]
                  if name in ASYMMETRIC]
    registry = JWSRegistry(algorithms=algorithms)
    try:
        try:
            token = jwt.decode(tokens["id_token"], KeySet.import_key_set(_keys(found)), registry=registry)
        except InvalidKeyIdError:  # the provider rolled its keys over: fetch them again
            token = jwt.decode(tokens["id_token"], KeySet.import_key_set(_keys(found, again=True)), registry=registry)
    except JoseError as error:
        raise OidcProblem("signature", type(error).__name__) from None
    options = {"iss": {"essential": True, "value": found["issuer"]}, "aud": {"essential": True,
                                                                             "value": config.client_id}}
    claims = CodeIDToken(token.claims, token.header, options,
                         {"nonce": nonce, "client_id": config.client_id, "access_token": tokens.get("access_token")})
    try:
        claims.validate(now=int(now.timestamp()), leeway=LEEWAY)
    except ExpiredTokenError:
        raise OidcProblem("expired") from None
    except ClaimError as error:
        reason = {"iss": "issuer", "aud": "audience", "azp": "audience", "nonce": "nonce"}.get(error.claim, "claims")
        raise OidcProblem(reason, f"{type(error).__name__} {error.claim}") from None
    except JoseError as error:
        raise OidcProblem("claims", type(error).__name__) from None
    return dict(claims)


def _keys(found: dict, again: bool = False) -> dict:
    with _lock:
        if "jwks" in found and not again:
            return found["jwks"]
    keys = _get_json(found["jwks_uri"])
    with _lock:
        found["jwks"] = keys
    return keys


def _get_json(url: str):
    return _json(urllib.request.Request(url, headers={"Accept": "application/json"}), "metadata")


def _json(request: urllib.request.Request, reason: str):
    if not request.full_url.startswith(("https://", "http://")):
        raise OidcProblem(reason, "not an http(s) address")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            return json.loads(answer.read(1_000_000))
    except urllib.error.HTTPError as error:
        raise OidcProblem(reason, f"HTTP {error.code} from {request.full_url}") from None
    except (OSError, ValueError) as error:
        raise OidcProblem(reason, f"{type(error).__name__} at {request.full_url}") from None
