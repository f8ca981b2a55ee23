"""Publishing bookings to a health centre's CalDAV calendar (RFC 4791), through the outbox.

One calendar object resource per booking, named after its UID (`<uid>.ics`, quoted), holding one
VCALENDAR with the one VEVENT that `notifications.calendar` builds and no METHOD (a stored object
must not carry one). Every publish PUTs the booking as it stands now, so a rebooking overwrites
the resource with the same UID and a higher SEQUENCE, and a cancellation stores STATUS:CANCELLED:
the entry is kept rather than deleted, so that every client syncing the calendar sees it was
called off (a vanished entry looks like a sync fault) and the feed and the CalDAV calendar say the
same. Writing the current state makes a publish idempotent and order-free: a retried or a late
message for an older SEQUENCE writes the newest one again.

Failures: a network error, a timeout, 408/429 or a 5xx reply is temporary (the outbox retries);
401/403 and every other 4xx is permanent (`permanent = True`: dead at once), as no retry will
change the credentials or the URL. Error texts name the resource, never the password.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from urllib.parse import quote

from notifications.calendar import Appointment, booking_event, vcalendar

log = logging.getLogger(__name__)
TEMPORARY_STATUSES = (408, 425, 429)  # and every 5xx


@dataclass(frozen=True)
class CaldavSettings:
    url: str  # the calendar collection, ending in /
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # from the environment only; never printed
    timeout: float = 30.0


class CalendarUnavailable(Exception):
    """Temporary: the server could not be reached or asked us to come back later."""


class CalendarRefused(Exception):
    """Permanent: the server refused the calendar object (credentials, permissions, URL, data)."""

    permanent = True


def calendar_object(appointment: Appointment, centre) -> bytes:
    """The stored calendar object: one VEVENT with its VTIMEZONE, no METHOD."""
    return vcalendar([booking_event(appointment, centre)]).to_ical()


def resource_url(collection: str, uid: str) -> str:
    """`<collection><uid>.ics`, every reserved character of the UID quoted (the '@' as %40)."""
    return f"{collection}{quote(uid, safe='')}.ics"


class CaldavPublisher:
    """Writes bookings to the CalDAV calendars of the health centres that have one configured."""

    def __init__(self, settings_by_centre: dict[str, CaldavSettings]):
        self.settings_by_centre = dict(settings_by_centre)

    def publish(self, appointment: Appointment, centre) -> bool:
        """PUT the booking as it stands; False (nothing done) for a centre without a calendar."""
        settings = self.settings_by_centre.get(centre.id)
        if settings is None:
            return False
        url = resource_url(settings.url, appointment.uid)
        _put(settings, url, calendar_object(appointment, centre))
        log.info("published %s (sequence %s, %s) to %s", appointment.uid, appointment.sequence,
                 appointment.status, url)
        return True


def _put(settings: CaldavSettings, url: str, body: bytes) -> None:
    from caldav import DAVClient
    from caldav.lib import error

    headers = {"Content-Type": "text/calendar; charset=utf-8"}
    try:
        # No discovery: the URL is the collection itself, and discovery would ask DNS on every publish.
        with DAVClient(url=settings.url, username=settings.username, password=settings.password,
                       timeout=settings.timeout, enable_rfc6764=False) as client:
            status = client.put(url, body.decode("utf-8"), headers).status
    except error.AuthorizationError as refusal:
        raise CalendarRefused(f"{url}: not allowed ({refusal.status or 'authorization'}): "
                              "check the username, the password variable and the rights") from None
    except error.RateLimitError:
        raise CalendarUnavailable(f"{url}: the server asks us to wait (rate limited)") from None
    except OSError as failure:  # niquests' connection errors and timeouts are OSErrors
        raise CalendarUnavailable(f"{url}: cannot reach the server ({type(failure).__name__})") from None
    _check(url, status)


def _check(url: str, status: int) -> None:
    if 200 <= status < 300:
        return
    if status >= 500 or status in TEMPORARY_STATUSES:
        raise CalendarUnavailable(f"{url}: the server answered {status}")
    raise CalendarRefused(f"{url}: the server refused the calendar object ({status})")
