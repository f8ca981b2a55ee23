"""Local accounts' rules: the password policy, Argon2id hashes, TOTP codes (RFC 6238), recovery codes
and session ids. Pure: every time is given, nothing is stored here."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from screening.errors import BadInput

MIN_LENGTH = 12
MAX_LENGTH = 1024  # Argon2 takes any length; a megabyte "password" only costs the server
STEP_SECONDS = 30  # RFC 6238's default, as every authenticator app
DIGITS = 6
RECOVERY_CODES = 10
ISSUER = "Screening"

_hasher = PasswordHasher()  # argon2-cffi's defaults: Argon2id, RFC 9106's low-memory profile
# Verified for an unknown user or one without a password, so that they take the time a wrong password takes.
DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def check_password(password: str, user_id: str) -> None:
    """The policy: 12 characters or more, not one of the common passwords, not the user's id."""
    if len(password) < MIN_LENGTH:
        raise BadInput("a password needs at least {length} characters", length=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise BadInput("a password has at most {length} characters", length=MAX_LENGTH)
    lowered = password.lower()
    if lowered in _common() or user_id.lower() in lowered or len(set(password)) < 4:
        raise BadInput("this password is too easy to guess: choose another")


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    text = resources.files("screening").joinpath("data/common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether the password is the one hashed; with no hash, a dummy one is verified (the same time)."""
    try:
        return _hasher.verify(stored or DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


def new_password() -> str:
    """A one-time password an admin hands over: 20 characters of a readable alphabet (about 100 bits)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(20))


# --- TOTP --------------------------------------------------------------------------------------

def new_totp_secret() -> str:
    import pyotp

    return pyotp.random_base32(32)  # 160 bits, as RFC 4226 recommends


def totp_uri(secret: str, user_id: str) -> str:
    """The otpauth:// URI an authenticator app reads (as a QR code or typed)."""
    import pyotp

    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(name=user_id, issuer_name=ISSUER)


def totp_step(secret: str, code: str, now: datetime, after: int | None) -> int | None:
    """The time step the code belongs to (now's, or one step either side for a clock slightly off),
    if it is right and later than `after` (the last step accepted: a code is good once); else None."""
    import pyotp

    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def setup_step(account: dict | None) -> str | None:
    """What a local account must do before its sessions may do anything else: enrol its second factor
    ("totp"), then change its one-time password ("password"); None: nothing (or no local account)."""
    if account is None:
        return None
    if account["totp_confirmed_at"] is None:
        return "totp"
    return "password" if account["password_temporary"] else None


# --- the TOTP secret at rest: AES-256-GCM under the deployment's secrets key ------------------

SEALED = "v1:"


def _cipher(key_text: bytes):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"screening totp secret v1").derive(key_text)
    return AESGCM(derived)


def seal_secret(key_text: bytes, user_id: str, secret: str) -> str:
    """The TOTP secret as stored: `v1:` and base85 of a random 96-bit nonce and the AES-GCM ciphertext
    of its 20 bytes, with the user's id as associated data (a row copied to another user does not
    open). 63 characters: within the column's 64."""
    import base64

    nonce = secrets.token_bytes(12)
    sealed = _cipher(key_text).encrypt(nonce, base64.b32decode(secret), user_id.encode("utf-8"))
    return SEALED + base64.b85encode(nonce + sealed).decode("ascii")


def open_secret(key_text: bytes, user_id: str, stored: str | None) -> str | None:
    """The TOTP secret (base32) from its stored form; None if it does not open (another key, another
    user's row, altered, or not sealed)."""
    import base64

    from cryptography.exceptions import InvalidTag

    if not stored or not stored.startswith(SEALED):
        return None
    try:
        raw = base64.b85decode(stored[len(SEALED):])
        plain = _cipher(key_text).decrypt(raw[:12], raw[12:], user_id.encode("utf-8"))
    except (ValueError, InvalidTag):
        return None
    return base64.b32encode(plain).decode("ascii")


# --- recovery codes and session ids -----------------------------------------------------------

def new_recovery_codes() -> list[str]:
    """Ten codes of 16 base32 characters (80 random bits each), written in groups of four."""
    import base64

    codes = []
    for _ in range(RECOVERY_CODES):
        text = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()
        codes.append("-".join(text[i:i + 4] for i in range(0, 16, 4)))
    return codes


def recovery_hash(code: str) -> str:
    """How a recovery code is kept (and looked up): SHA-256 of its letters, without dashes and spaces."""
    plain = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


def new_session_id() -> str:
    """A session's id for the browser: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)


def session_hash(token: str) -> str:
    """How a session's id is kept: its SHA-256 (a read of the table gives nobody a session)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def csrf_token(session_token: str) -> str:
    """The session's CSRF token: derived from its id by HMAC, so nothing more is stored, and the
    token (shown in pages) does not give the id (kept in an HttpOnly cookie)."""
    return hmac.new(session_token.encode("utf-8", "surrogatepass"), b"csrf", hashlib.sha256).hexdigest()


def csrf_matches(session_token: str, given: str | None) -> bool:
    """Whether the request's CSRF token is the session's; compared in constant time."""
    return given is not None and hmac.compare_digest(csrf_token(session_token).encode("ascii"),
                                                     given.encode("utf-8", "surrogatepass"))
