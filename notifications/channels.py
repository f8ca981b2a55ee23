"""Delivery channels. The console and a folder of .eml files; e-mail over SMTP comes next."""

from __future__ import annotations

import sys
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

from notifications.messages import Message
from screening import clock

SENDER = "screening@region.example"


# Headers are not folded (RFC 5322 allows 998 characters a line): a folded encoded word is shown with a
# space in its middle by some readers ("hälsoundersökn ing").
POLICY = policy.default.clone(max_line_length=998)


def to_email(message: Message) -> EmailMessage:
    email = EmailMessage(policy=POLICY)
    email["From"] = formataddr((message.sender_name, SENDER)) if message.sender_name else SENDER
    email["To"] = ", ".join(message.to)
    email["Subject"] = message.subject
    if message.date is not None:  # RFC 5322: the time it was sent, in the region's time
        email["Date"] = format_datetime(clock.local(message.date))
    email["Message-ID"] = f"<{message.key.replace(':', '.')}@screening.invalid>"  # the idempotency key
    email.set_content(message.body)  # UTF-8
    for attachment in message.attachments:
        maintype, _, rest = attachment.content_type.partition("/")
        subtype, *params = [part.strip() for part in rest.split(";")]
        email.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename,
                             params=dict(p.split("=", 1) for p in params if "=" in p))
    return email


class ConsoleChannel:
    def send(self, message: Message) -> None:
        sys.stderr.write(f"[outbox] to {', '.join(message.to)}: {message.subject}\n")


class FileChannel:
    """One .eml per message in a folder; the message's key names the file, so a resend overwrites."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def send(self, message: Message) -> None:
        """The .eml written whole, the owner's only; a link planted at its name, or a folder that is a
        link, is refused and never followed (`screening.files`): the message waits, its error names it."""
        from screening.files import refuse_link, write_whole

        refuse_link(self.folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        write_whole(self.folder / (message.key.replace(":", "-") + ".eml"), bytes(to_email(message)), "--dir")
