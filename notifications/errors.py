"""Why a message could not be delivered, split by what the outbox should do about it.

Kept apart from the SMTP code so that the outbox (and any later channel) can tell a failure to retry from
one to give up on without importing a transport. The text of these errors is shown to operators and
written to logs: it names the server and the reply code, never a password and never a message's body.
"""

from __future__ import annotations

from screening.errors import ScreeningError


class DeliveryError(ScreeningError):
    """A message was not delivered. `where` is host:port; `smtp_code` the server's reply code, if any."""

    code = "delivery"
    permanent = False  # what the outbox reads to stop retrying a message

    def __init__(self, message: str, *, where: str = "", smtp_code: int | None = None, **facts):
        super().__init__(message, where=where, **facts)
        self.where = where
        self.smtp_code = smtp_code


class TemporaryDeliveryError(DeliveryError):
    """Worth trying again later: the server was down, slow, or answered 4xx."""

    code = "delivery_temporary"


class PermanentDeliveryError(DeliveryError):
    """Trying again will not help until someone acts: a 5xx reply, every recipient refused, a login refused."""

    code = "delivery_permanent"
    permanent = True
