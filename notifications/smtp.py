"""E-mail over SMTP: one connection per message, TLS by default, failures sorted into retry or give up.

A message is built by `channels.to_email` (so its Message-ID still carries the outbox key, which lets a
receiving system drop a duplicate) and only its From header is replaced by the configured sender.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr

from notifications.channels import to_email
from notifications.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError
from notifications.messages import Message

__all__ = ["SECURITIES", "DeliveryError", "PermanentDeliveryError", "SmtpChannel", "SmtpSettings",
           "TemporaryDeliveryError"]

log = logging.getLogger("screening.notifications.smtp")

SECURITIES = ("starttls", "tls", "none")
ENHANCED_STATUS = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}\b")


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to hand mail over. Build it with `notifications.config`, which validates each value."""

    host: str
    port: int
    security: str  # "starttls" (SMTP, then STARTTLS), "tls" (implicit TLS), "none" (a local relay only)
    username: str | None
    password: str | None = field(repr=False)  # never in a repr: settings end up in tracebacks and logs
    sender: str
    timeout: float = 30.0
    ca_file: str | None = None  # a region's internal CA; None trusts the system's CAs

    def __post_init__(self):
        if self.security not in SECURITIES:  # a typo must not quietly mean "no encryption"
            raise ValueError(f"security must be one of {', '.join(SECURITIES)}")

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


class SmtpChannel:
    def __init__(self, settings: SmtpSettings):
        self.settings = settings

    def send(self, message: Message) -> None:
        """Deliver one message or raise a DeliveryError saying whether a later try may succeed."""
        if not message.to:
            raise PermanentDeliveryError("{where}: message {key} has no recipients", where=self.settings.where,
                                         key=message.key)
        failure = cause = None
        try:
            refused = self._transmit(self._compose(message), list(message.to))
        except (OSError, smtplib.SMTPException) as error:
            failure = self._classify(error)
            # Chain only what cannot carry a server's echo of our data (a refused socket, a timeout).
            cause = None if isinstance(error, smtplib.SMTPException) else error
        if failure is not None:  # raised outside the handler, so the server's reply is not chained implicitly
            raise failure from cause
        self._report(message, refused)

    def _report(self, message: Message, refused: dict) -> None:
        where = self.settings.where
        if refused:  # some were accepted: retrying would send them a second copy, so report and go on
            log.warning("%s: message %s not accepted for %s", where, message.key,
                        "; ".join(f"{address} ({code})" for address, (code, _) in refused.items()))
        log.info("%s: sent message %s to %d recipient(s)", where, message.key, len(message.to) - len(refused))

    def _compose(self, message: Message) -> EmailMessage:
        email = to_email(message)
        name, address = parseaddr(self.settings.sender)
        email.replace_header("From", formataddr((name or message.sender_name, address)))  # the region's name kept
        if "Date" not in email:  # required by RFC 5322; filters mark mail without it as spam
            email["Date"] = formatdate(localtime=True)
        return email

    def _transmit(self, email: EmailMessage, recipients: list[str]) -> dict:
        smtp = self._connect()
        try:
            self._secure(smtp)
            self._login(smtp)
            return smtp.send_message(email, from_addr=parseaddr(self.settings.sender)[1], to_addrs=recipients,
                                     mail_options=self._mail_options(smtp, recipients))
        finally:
            _close(smtp)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "tls":
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._tls_context())
        return smtplib.SMTP(s.host, s.port, timeout=s.timeout)

    def _secure(self, smtp: smtplib.SMTP) -> None:
        smtp.ehlo_or_helo_if_needed()
        if self.settings.security != "starttls":
            return
        if not smtp.has_extn("starttls"):  # never fall back to plain text: that is what a downgrade attack wants
            raise PermanentDeliveryError("{where}: the server does not offer STARTTLS; "
                                         "refusing to send without encryption", where=self.settings.where)
        smtp.starttls(context=self._tls_context())
        smtp.ehlo()  # what the server offers (AUTH above all) may change once the connection is encrypted

    def _login(self, smtp: smtplib.SMTP) -> None:
        username, password = self.settings.username, self.settings.password or ""
        if not username:
            return
        if not (username + password).isascii():  # smtplib would fail with an error quoting the password
            raise PermanentDeliveryError("{where}: the SMTP username or password has characters "
                                         "other than ASCII, which smtplib cannot send", where=self.settings.where)
        smtp.login(username, password)

    def _tls_context(self) -> ssl.SSLContext:
        # Verifies the certificate and the host name; a ca_file replaces the system's CAs.
        return ssl.create_default_context(cafile=self.settings.ca_file)

    @staticmethod
    def _mail_options(smtp: smtplib.SMTP, recipients: list[str]) -> list[str]:
        # to_email writes a UTF-8 body as 8bit; say so where allowed. smtplib adds it itself for SMTPUTF8.
        ascii_only = all(address.isascii() for address in recipients)
        return ["BODY=8BITMIME"] if ascii_only and smtp.has_extn("8bitmime") else []

    def _classify(self, error: Exception) -> DeliveryError:
        where = self.settings.where
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            return self._recipients_refused(error)
        if isinstance(error, smtplib.SMTPResponseException):
            code = error.smtp_code
            # The reply to DATA may quote the message: keep only its enhanced status code.
            text = _reply_text(error.smtp_error, self.settings.password, keep_text=not isinstance(
                error, smtplib.SMTPDataError))
            kind = PermanentDeliveryError if 500 <= code < 600 else TemporaryDeliveryError
            if not text:
                return kind("{where}: {stage} refused: {code}", where=where, smtp_code=code, stage=_stage(error),
                            code=code)
            return kind("{where}: {stage} refused: {code} {reply}", where=where, smtp_code=code, stage=_stage(error),
                        code=code, reply=text)
        if isinstance(error, smtplib.SMTPServerDisconnected):
            # smtplib's own words ("Connection unexpectedly closed: timed out"), not the server's.
            return TemporaryDeliveryError("{where}: the connection was lost ({reason})", where=where, reason=str(error))
        if isinstance(error, smtplib.SMTPNotSupportedError):  # e.g. no AUTH offered, or no SMTPUTF8
            return PermanentDeliveryError("{where}: not supported by the server: {reason}", where=where, reason=str(error))
        if isinstance(error, ssl.SSLCertVerificationError):  # wrong ca_file or an impostor: not fixed by waiting
            return PermanentDeliveryError("{where}: certificate not trusted: {reason}", where=where,
                                          reason=error.verify_message)
        if isinstance(error, TimeoutError):
            return TemporaryDeliveryError("{where}: no answer within {seconds:g} s", where=where,
                                          seconds=self.settings.timeout)
        if isinstance(error, smtplib.SMTPException):
            return TemporaryDeliveryError("{where}: SMTP error ({reason})", where=where, reason=type(error).__name__)
        # What is left is the network: refused, unreachable, a name not resolved, a TLS handshake cut short.
        return TemporaryDeliveryError("{where}: connection failed ({reason})", where=where,
                                      reason=error.strerror or type(error).__name__)

    def _recipients_refused(self, error: smtplib.SMTPRecipientsRefused) -> DeliveryError:
        where = self.settings.where
        codes = [code for code, _ in error.recipients.values()]
        detail = "; ".join(f"{address} {code} {_reply_text(reply, self.settings.password)}".rstrip()
                           for address, (code, reply) in error.recipients.items())
        # One recipient that may succeed later makes the whole message worth another try.
        kind = TemporaryDeliveryError if any(400 <= code < 500 for code in codes) else PermanentDeliveryError
        return kind("{where}: all recipients refused: {detail}", where=where, smtp_code=codes[0] if codes else None,
                    detail=detail)


def _stage(error: smtplib.SMTPResponseException) -> str:
    return {smtplib.SMTPAuthenticationError: "login", smtplib.SMTPSenderRefused: "sender",
            smtplib.SMTPDataError: "message", smtplib.SMTPConnectError: "connection",
            smtplib.SMTPHeloError: "greeting"}.get(type(error), "command")


def _reply_text(reply: bytes | str, password: str | None, keep_text: bool = True) -> str:
    """A server's reply on one short line, without the password should a server echo it."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    text = " ".join(text.split())
    if not keep_text:
        match = ENHANCED_STATUS.match(text)
        return match.group(0) if match else ""
    if password:
        text = text.replace(password, "***")
    return text[:200]


def _close(smtp: smtplib.SMTP) -> None:
    """Say goodbye without letting a failed QUIT turn a delivered message into an error (and a resend)."""
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()
