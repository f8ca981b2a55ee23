"""E-mail over SMTP against a real server on 127.0.0.1 (aiosmtpd), and the configuration that picks a channel.

Every address, name and case here is invented (.example domains). The TLS certificate is made for the
test run with the `openssl` command line and trusted through `ca_file`, as a region's internal CA would be.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import threading
import time
from contextlib import contextmanager
from email import message_from_bytes
from email import policy as email_policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from notifications.channels import ConsoleChannel, FileChannel, to_email
from notifications.config import load_channel, smtp_settings
from notifications.messages import Attachment, Message
from notifications.smtp import DeliveryError, PermanentDeliveryError, SmtpChannel, SmtpSettings, TemporaryDeliveryError
from screening.errors import BadInput
from screening.settings import Settings

HOST = "127.0.0.1"
SENDER = "Screening <screening@region.example>"
USER = "screening-relay"
PASSWORD = "Hemligt-Losen-7f3a9c"  # must never show up in an error or a log
BODY_MARKER = "BODY-MARKER-c41e"  # must never show up in an error
CALENDAR = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//region.example//screening//SV\r\nMETHOD:REQUEST\r\n"
            b"BEGIN:VEVENT\r\nUID:hc-2026-11-20@region.example\r\nSUMMARY:H\xc3\xa4lsosamtal\r\n"
            b"DTSTART:20261120T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
MESSAGE = Message(
    key="alert:4711:reminder",
    to=("halsocentral@ostra.example", "skola@kommun.example"),
    subject="Påminnelse: ärende C-2026-0042, boka hälsosamtal",
    body=f"Påminnelse för ärende C-2026-0042.\n\nSteg: boka hälsosamtal (steg 3)\nÅÄÖ åäö é\n{BODY_MARKER}\n",
    attachments=(Attachment("kallelse.ics", "text/calendar; method=REQUEST", CALENDAR),),
)
ENV_NAMES = ("SCREENING_OUTBOX_DIR", "SCREENING_NOTIFY_CONFIG", "SCREENING_SMTP_HOST", "SCREENING_SMTP_PORT",
             "SCREENING_SMTP_SECURITY", "SCREENING_SMTP_USERNAME", "SCREENING_SMTP_SENDER",
             "SCREENING_SMTP_PASSWORD")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Whatever the machine has configured must not leak into these tests."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


class Mailbox:
    """An aiosmtpd handler that keeps what arrives and answers RCPT and DATA as told."""

    def __init__(self, rcpt_replies: dict | None = None, data_reply: str = "250 OK"):
        self.rcpt_replies = rcpt_replies or {}
        self.data_reply = data_reply
        self.envelopes = []
        self.sessions = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.rcpt_replies.get(address, "250 OK")
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply.startswith("250"):
            self.envelopes.append(envelope)
            self.sessions.append({"authenticated": session.authenticated, "tls": session.ssl is not None})
        return self.data_reply


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 235 or 535 itself


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server(handler, **options):
    """A real SMTP server on a free port of 127.0.0.1 for the length of the block."""
    # A fixed host name: the default asks DNS for this machine's name, which can take seconds.
    controller = Controller(handler, hostname=HOST, port=free_port(), server_hostname="mx.region.example",
                            ready_timeout=5, **options)
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """(certificate, key) files: self-signed for 127.0.0.1, so the certificate is its own CA file."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=30)
    return str(cert), str(key)


def server_tls(certificate):
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def settings(port: int, **changes) -> SmtpSettings:
    values = dict(host=HOST, port=port, security="none", username=None, password=None, sender=SENDER, timeout=5.0)
    return SmtpSettings(**(values | changes))


def received(mailbox: Mailbox):
    assert len(mailbox.envelopes) == 1
    return message_from_bytes(mailbox.envelopes[0].content, policy=email_policy.default)


def texts_of(error: BaseException) -> str:
    """Everything an operator or a log could see of an error, its causes included."""
    parts = []
    while error is not None:
        parts += [str(error), repr(error), *map(str, error.args)]
        error = error.__cause__ or error.__context__
    return "\n".join(parts)


# --- delivery ---------------------------------------------------------------------------------------------


def test_a_message_arrives_whole_with_its_utf8_subject_body_and_calendar_attachment():
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        SmtpChannel(settings(port)).send(MESSAGE)

    envelope = mailbox.envelopes[0]
    email = received(mailbox)
    assert envelope.mail_from == "screening@region.example"
    assert envelope.rcpt_tos == list(MESSAGE.to)
    assert email["From"] == SENDER
    assert email["To"] == ", ".join(MESSAGE.to)
    assert email["Subject"] == "Påminnelse: ärende C-2026-0042, boka hälsosamtal"
    assert email["Message-ID"] == to_email(MESSAGE)["Message-ID"]  # the idempotency key survives
    assert email["Date"]
    assert email.get_body(("plain",)).get_content().replace("\r\n", "\n") == MESSAGE.body  # CRLF on the wire
    [attachment] = list(email.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST"
    assert attachment.get_filename() == "kallelse.ics"
    assert attachment.get_payload(decode=True) == CALENDAR


def test_login_over_starttls_trusting_the_ca_file(certificate):
    mailbox = Mailbox()
    with smtp_server(mailbox, tls_context=server_tls(certificate), require_starttls=True, auth_required=True,
                     authenticator=authenticator) as port:
        SmtpChannel(settings(port, security="starttls", username=USER, password=PASSWORD,
                             ca_file=certificate[0])).send(MESSAGE)

    assert mailbox.sessions == [{"authenticated": True, "tls": True}]
    assert received(mailbox)["Subject"] == MESSAGE.subject


def test_implicit_tls(certificate):
    mailbox = Mailbox()
    with smtp_server(mailbox, ssl_context=server_tls(certificate)) as port:
        SmtpChannel(settings(port, security="tls", ca_file=certificate[0])).send(MESSAGE)

    assert received(mailbox)["Subject"] == MESSAGE.subject  # the server speaks TLS only: no plain-text way in


def test_a_certificate_not_trusted_is_refused_for_good(certificate):
    mailbox = Mailbox()
    with smtp_server(mailbox, tls_context=server_tls(certificate)) as port:
        with pytest.raises(PermanentDeliveryError, match="certificate not trusted"):
            SmtpChannel(settings(port, security="starttls")).send(MESSAGE)  # the system's CAs only
    assert mailbox.envelopes == []


def test_no_starttls_offered_means_nothing_is_sent():
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        with pytest.raises(PermanentDeliveryError, match="does not offer STARTTLS"):
            SmtpChannel(settings(port, security="starttls")).send(MESSAGE)
    assert mailbox.envelopes == []


def test_a_refused_login_is_permanent_and_never_shows_the_password(certificate, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    mailbox = Mailbox()
    with smtp_server(mailbox, tls_context=server_tls(certificate), auth_required=True,
                     authenticator=authenticator) as port:
        channel = SmtpChannel(settings(port, security="starttls", username="someone-else", password=PASSWORD,
                                       ca_file=certificate[0]))
        with pytest.raises(PermanentDeliveryError) as refused:
            channel.send(MESSAGE)

    assert refused.value.smtp_code == 535
    assert f"{HOST}:{port}" in str(refused.value) and "535" in str(refused.value)
    assert PASSWORD not in texts_of(refused.value)
    assert PASSWORD not in repr(channel.settings)
    assert PASSWORD not in caplog.text
    output = capsys.readouterr()
    assert PASSWORD not in output.out + output.err
    assert mailbox.envelopes == []


def test_nothing_listening_is_temporary_and_quick():
    port = free_port()
    started = time.monotonic()
    with pytest.raises(TemporaryDeliveryError, match=f"{HOST}:{port}"):
        SmtpChannel(settings(port, timeout=3.0)).send(MESSAGE)
    assert time.monotonic() - started < 2


@contextmanager
def raw_server(greeting: bytes | None):
    """A socket that accepts one client and then says `greeting` and hangs up, or says nothing at all."""
    listener = socket.create_server((HOST, 0))
    done = threading.Event()

    def serve():
        client, _ = listener.accept()
        with client:
            if greeting is not None:
                client.sendall(greeting)
            else:
                done.wait(5)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        done.set()
        thread.join(5)
        listener.close()


def test_a_silent_server_times_out_as_temporary():
    with raw_server(None) as port:
        with pytest.raises(TemporaryDeliveryError, match="timed out"):
            SmtpChannel(settings(port, timeout=0.5)).send(MESSAGE)


def test_a_server_that_hangs_up_is_temporary():
    with raw_server(b"220 mx.region.example ESMTP\r\n") as port:
        with pytest.raises(TemporaryDeliveryError, match="connection was lost"):
            SmtpChannel(settings(port)).send(MESSAGE)


@pytest.mark.parametrize("mailbox, code", [
    (Mailbox(data_reply="451 4.3.0 Try again later"), 451),
    (Mailbox(rcpt_replies=dict.fromkeys(MESSAGE.to, "450 4.2.1 Mailbox busy")), 450),
], ids=["data", "every-recipient"])
def test_a_4xx_reply_is_temporary(mailbox, code):
    with smtp_server(mailbox) as port:
        with pytest.raises(TemporaryDeliveryError) as failed:
            SmtpChannel(settings(port)).send(MESSAGE)
    assert failed.value.smtp_code == code
    assert f"{HOST}:{port}" in str(failed.value) and str(code) in str(failed.value)
    assert failed.value.permanent is False


@pytest.mark.parametrize("mailbox, code", [
    (Mailbox(data_reply=f"554 5.6.0 Rejected: {BODY_MARKER}"), 554),  # a server quoting the message back
    (Mailbox(rcpt_replies=dict.fromkeys(MESSAGE.to, "550 5.1.1 No such mailbox")), 550),
], ids=["data", "every-recipient"])
def test_a_5xx_reply_is_permanent_and_never_quotes_the_body(mailbox, code):
    with smtp_server(mailbox) as port:
        with pytest.raises(PermanentDeliveryError) as failed:
            SmtpChannel(settings(port)).send(MESSAGE)
    assert failed.value.smtp_code == code
    assert f"{HOST}:{port}" in str(failed.value) and str(code) in str(failed.value)
    assert BODY_MARKER not in texts_of(failed.value)
    assert failed.value.permanent is True


def test_one_recipient_refused_still_delivers_to_the_other(caplog):
    caplog.set_level(logging.WARNING, logger="screening.notifications.smtp")
    mailbox = Mailbox(rcpt_replies={"skola@kommun.example": "550 5.1.1 No such mailbox"})
    with smtp_server(mailbox) as port:
        SmtpChannel(settings(port)).send(MESSAGE)  # a retry would send the health centre a second copy
    assert mailbox.envelopes[0].rcpt_tos == ["halsocentral@ostra.example"]
    assert "skola@kommun.example (550)" in caplog.text


def test_a_message_without_recipients_is_refused_before_connecting():
    with pytest.raises(PermanentDeliveryError, match="no recipients"):
        SmtpChannel(settings(free_port())).send(Message("alert:1:reminder", (), "Påminnelse", "text"))


def test_delivery_errors_are_one_line_for_the_cli():
    assert issubclass(TemporaryDeliveryError, DeliveryError) and issubclass(PermanentDeliveryError, DeliveryError)
    with pytest.raises(ValueError):
        settings(25, security="ssl")  # built by hand, a typo must not mean "no encryption"


# --- configuration ----------------------------------------------------------------------------------------


def write_config(tmp_path, text: str) -> str:
    path = tmp_path / "notify.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_defaults_from_the_environment_alone(monkeypatch):
    monkeypatch.setenv("SCREENING_SMTP_HOST", "smtp.region.example")
    monkeypatch.setenv("SCREENING_SMTP_SENDER", "screening@region.example")
    found = smtp_settings(os.environ)
    assert (found.host, found.port, found.security, found.timeout) == ("smtp.region.example", 587, "starttls", 30.0)
    assert (found.username, found.password, found.ca_file) == (None, None, None)


@pytest.mark.parametrize("security, port", [("starttls", 587), ("tls", 465), ("none", 25)])
def test_the_default_port_follows_the_security(monkeypatch, security, port):
    monkeypatch.setenv("SCREENING_SMTP_HOST", "smtp.region.example")
    monkeypatch.setenv("SCREENING_SMTP_SENDER", "screening@region.example")
    monkeypatch.setenv("SCREENING_SMTP_SECURITY", security)
    assert smtp_settings(os.environ).port == port


def test_toml_file_with_environment_overrides(monkeypatch, tmp_path):
    (tmp_path / "region-ca.pem").write_text("-----BEGIN CERTIFICATE-----\n", encoding="ascii")
    monkeypatch.setenv("SCREENING_NOTIFY_CONFIG", write_config(tmp_path, """
        [smtp]
        host = "smtp.region.example"
        port = 2525
        security = "tls"
        username = "from-file"
        sender = "Screening <screening@region.example>"
        timeout = 12
        ca_file = "region-ca.pem"
    """))
    monkeypatch.setenv("SCREENING_SMTP_PASSWORD", PASSWORD)
    found = smtp_settings(os.environ)
    assert (found.host, found.port, found.security, found.username, found.timeout) == (
        "smtp.region.example", 2525, "tls", "from-file", 12.0)
    assert found.ca_file == str(tmp_path / "region-ca.pem")  # relative to the file, not the working folder

    monkeypatch.setenv("SCREENING_SMTP_HOST", "relay.kommun.example")
    monkeypatch.setenv("SCREENING_SMTP_PORT", "10465")
    monkeypatch.setenv("SCREENING_SMTP_SECURITY", "starttls")
    monkeypatch.setenv("SCREENING_SMTP_USERNAME", "from-env")
    monkeypatch.setenv("SCREENING_SMTP_SENDER", "noreply@kommun.example")
    found = smtp_settings(os.environ)
    assert (found.host, found.port, found.security, found.username, found.sender, found.password) == (
        "relay.kommun.example", 10465, "starttls", "from-env", "noreply@kommun.example", PASSWORD)
    assert isinstance(load_channel(None, os.environ), SmtpChannel)


def test_a_password_in_the_file_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("SCREENING_NOTIFY_CONFIG", write_config(tmp_path, f"""
        [smtp]
        host = "smtp.region.example"
        sender = "screening@region.example"
        username = "screening"
        password = "{PASSWORD}"
    """))
    with pytest.raises(BadInput, match="SCREENING_SMTP_PASSWORD") as refused:
        smtp_settings(os.environ)
    assert "password is not allowed" in refused.value.message
    assert PASSWORD not in refused.value.message
    assert refused.value.exit_code == 2


@pytest.mark.parametrize("value", ["ssl", "", "STARTTLS please"])
def test_a_bad_security_value_is_refused(monkeypatch, value):
    monkeypatch.setenv("SCREENING_SMTP_HOST", "smtp.region.example")
    monkeypatch.setenv("SCREENING_SMTP_SENDER", "screening@region.example")
    monkeypatch.setenv("SCREENING_NOTIFY_CONFIG", "")
    if value:
        monkeypatch.setenv("SCREENING_SMTP_SECURITY", value)
        with pytest.raises(BadInput, match="SCREENING_SMTP_SECURITY: .* is not a security mode"):
            smtp_settings(os.environ)
    else:  # an empty variable is unset: the default applies
        assert smtp_settings(os.environ).security == "starttls"


@pytest.mark.parametrize("toml, expected", [
    ('[smtp]\nhost = "smtp.region.example"\nsender = "s@region.example"\nsecurity = 3\n', "not a security mode"),
    ('[smtp]\nhost = "smtp.region.example"\nsender = "s@region.example"\nport = 70000\n', "not a port number"),
    ('[smtp]\nhost = "smtp.region.example"\nsender = "s@region.example"\ntimeout = 0\n', "not a timeout"),
    ('[smtp]\nhost = "smtp.region.example"\nsender = "nobody"\n', "not an e-mail address"),
    ('[smtp]\nhost = "smtp.region.example"\nsender = "s@region.example"\nhostname = "x"\n', "not a known key"),
    ('[smtp]\nhost = "smtp.region.example"\nsender = "s@region.example"\nca_file = "missing.pem"\n', "no such file"),
    ('[smtp]\nsender = "s@region.example"\n', "SMTP host missing"),
    ('[smtp]\nhost = "smtp.region.example"\n', "SMTP sender missing"),
    ('[smtp]\nhost = "smtp.region.example"\nsender = "s@region.example"\nusername = "u"\n',
     "SCREENING_SMTP_PASSWORD is not set"),
    ('[outbox]\nfolder = "x"\n', "no \\[smtp\\] section"),
    ('[smtp\nhost = 1\n', "not valid TOML"),
], ids=["security", "port", "timeout", "sender", "unknown-key", "ca-file", "no-host", "no-sender", "no-password",
        "no-section", "syntax"])
def test_a_bad_file_is_one_clear_line(monkeypatch, tmp_path, toml, expected):
    monkeypatch.setenv("SCREENING_NOTIFY_CONFIG", write_config(tmp_path, toml))
    with pytest.raises(BadInput, match=expected) as refused:
        load_channel(None, os.environ)
    assert "\n" not in refused.value.message


def test_a_password_smtplib_cannot_send_is_refused_without_showing_it(monkeypatch):
    for name, value in {"SCREENING_SMTP_HOST": "smtp.region.example", "SCREENING_SMTP_SENDER": "s@region.example",
                        "SCREENING_SMTP_USERNAME": "u", "SCREENING_SMTP_PASSWORD": "Lösen-äö-91"}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(BadInput, match="ASCII") as refused:
        smtp_settings(os.environ)
    assert "Lösen" not in refused.value.message
    with pytest.raises(PermanentDeliveryError, match="ASCII") as refused_late:  # settings made by hand
        SmtpChannel(settings(1, username="u", password="Lösen-äö-91"))._login(None)
    assert "Lösen" not in texts_of(refused_late.value)


def test_a_login_without_encryption_is_refused(monkeypatch):
    for name, value in {"SCREENING_SMTP_HOST": "relay.region.example", "SCREENING_SMTP_SENDER": "s@region.example",
                        "SCREENING_SMTP_SECURITY": "none", "SCREENING_SMTP_USERNAME": "u",
                        "SCREENING_SMTP_PASSWORD": PASSWORD}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(BadInput, match="unencrypted") as refused:
        smtp_settings(os.environ)
    assert PASSWORD not in refused.value.message


def test_a_missing_config_file_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("SCREENING_NOTIFY_CONFIG", str(tmp_path / "nowhere.toml"))
    with pytest.raises(BadInput, match="SCREENING_NOTIFY_CONFIG: cannot read"):
        load_channel(None, os.environ)


def test_the_channel_chosen(monkeypatch, tmp_path):
    assert isinstance(load_channel(None, os.environ), ConsoleChannel)  # nothing configured: as before
    monkeypatch.setenv("SCREENING_SMTP_HOST", "smtp.region.example")
    monkeypatch.setenv("SCREENING_SMTP_SENDER", "screening@region.example")
    assert isinstance(Settings(os.environ).channel(), SmtpChannel)
    assert isinstance(Settings(os.environ).channel(str(tmp_path)), FileChannel)  # a folder named wins
    monkeypatch.setenv("SCREENING_OUTBOX_DIR", str(tmp_path))
    assert isinstance(Settings(os.environ).channel(), FileChannel)


def test_a_configured_channel_delivers(monkeypatch):
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        for name, value in {"SCREENING_SMTP_HOST": HOST, "SCREENING_SMTP_PORT": str(port),
                            "SCREENING_SMTP_SECURITY": "none", "SCREENING_SMTP_SENDER": SENDER}.items():
            monkeypatch.setenv(name, value)
        Settings(os.environ).channel().send(MESSAGE)
    assert received(mailbox)["From"] == SENDER
