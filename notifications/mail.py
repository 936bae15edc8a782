"""The e-mail channel: the standard library's `smtplib` and `email`, behind the same outbox as chat.

A message to an organisation goes to its role address and its managers' (one To: list); to a
person, to their own address. The text is worded here from the message's `NoticeFacts`
(`mail_messages`), UTF-8 with RFC 2047 headers (the standard library's `email`). Every
message of one incident to one list of recipients forms one thread: the first one's Message-ID
is kept in the transport's own table and later ones answer it (`In-Reply-To`, `References`).

Delivered once per key, crash-safe like Slack as far as SMTP allows: the Message-ID is derived
from the outbox key, so a message sent again after a crash between the server's reply and our
write is the same message, which mail systems show once. A refused connection or a 4xx reply
comes back as a temporary `DeliveryError` (the outbox retries with backoff); a 5xx reply as a
permanent one (the message is marked failed and shown like Slack's).

`JIKOFLOW_SMTP_URL`: `smtp://[user:pass@]host:port` (STARTTLS whenever the server offers it;
credentials are never sent in clear to a server that is not on this machine) or
`smtps://…` (TLS from the first byte).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.mime.text import MIMEText
from email.policy import Compat32
from email.utils import format_datetime, formataddr, parseaddr
from functools import cache, lru_cache
from urllib.parse import unquote, urlsplit

from jikoflow.models.enums import Lang
from jikoflow.models.errors import BadInput
from jikoflow.models.outbox.tables import Transport
from jikoflow.models.settings import DEFAULT_BASE_URL
from jikoflow.models.times import TOKYO
from jikoflow.models.types import utcnow
from jikoflow.notifications.addresses import mail_address
from jikoflow.notifications.base import Addressee, DeliveryError, Message, Sent
from jikoflow.notifications.mail_ledger import MailLedger
from jikoflow.notifications.mail_messages import build_mail

SMTP_FIELD = "JIKOFLOW_SMTP_URL"
_DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
_ENHANCED = re.compile(r"\b[245]\.\d{1,3}\.\d{1,3}\b")
# Printable ASCII words with single spaces between them: text the folding algorithm leaves as
# it is when it fits on the line.
_PLAIN = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*")


class _WirePolicy(Compat32):
    """The classic policy with CRLF line ends, skipping the folding algorithm (the bulk of the
    cost of writing an e-mail) for a short plain ASCII header, whose folded form is itself."""

    def fold_binary(self, name: str, value: str) -> bytes:
        """The header line, as `Compat32` writes it."""
        limit = self.max_line_length or 0
        short = isinstance(value, str) and len(name) + 2 + len(value) <= limit
        if short and _PLAIN.fullmatch(value):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_WIRE = _WirePolicy(linesep="\r\n")


class _Utf8Header(Header):
    """A UTF-8 header whose encoded form is kept: every e-mail about one incident carries the
    same subject, so it is encoded once (not for changing after it is made)."""

    def __init__(self, text: str) -> None:
        super().__init__(text, "utf-8")
        self._text = text

    def encode(
        self, splitchars: str = ";, \t", maxlinelen: int | None = None, linesep: str = "\n"
    ) -> str:
        """The RFC 2047 encoded words, folded, as `Header.encode` writes them."""
        return _encoded(self._text, splitchars, maxlinelen, linesep)


@lru_cache(maxsize=4096)
def _encoded(text: str, splitchars: str, maxlinelen: int | None, linesep: str) -> str:
    return Header(text, "utf-8").encode(splitchars, maxlinelen, linesep)


@dataclass(frozen=True)
class SmtpServer:
    """Where to send: host and port, TLS from the start or STARTTLS, and optional credentials."""

    host: str
    port: int
    implicit_tls: bool = False
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """`smtp://[user:pass@]host:port` or `smtps://…`; anything else is refused."""
        parts = urlsplit(url.strip())
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise BadInput(SMTP_FIELD, "expected smtp://[user:pass@]host:port or smtps://…")
        try:
            port = parts.port or _DEFAULT_PORTS[parts.scheme]
        except ValueError:
            raise BadInput(SMTP_FIELD, "the port is not a number from 1 to 65535") from None
        return cls(
            host=parts.hostname,
            port=port,
            implicit_tls=parts.scheme == "smtps",
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    @property
    def local(self) -> bool:
        """Whether the server is on this machine (a loopback address or `localhost`)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


@cache
def _local_hostname() -> str:
    # smtplib looks the name up for every connection otherwise (a DNS query each time).
    return socket.getfqdn()


def message_id(key: str, domain: str) -> str:
    """The Message-ID of the message with outbox key `key`: the same whenever it is sent."""
    digest = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
    return f"<{digest}.jikoflow@{domain}>"


def wire(mail: MIMEText) -> bytes:
    """The message as SMTP carries it: CRLF line ends (smtplib leaves bytes as they are)."""
    return mail.as_bytes(policy=_WIRE)


def recipients(address: str) -> list[str]:
    """The mailboxes of a To: list as `mail_address` writes it."""
    return [part.strip() for part in address.split(",") if part.strip()]


class _MaybeSent(Exception):
    """The connection was lost after the message's data began: the server may have it."""


class MailChannel:
    """Sends e-mail over pooled SMTP connections (one per worker at a time); no pace per address.

    Messages cannot be changed once sent: there are no cards to update.
    """

    transport = Transport.EMAIL
    interval = 0.0

    def __init__(
        self,
        server: SmtpServer | str,
        sender: str | None = None,
        *,
        lang: Lang = Lang.JA,
        portal: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.server = server if isinstance(server, SmtpServer) else SmtpServer.from_url(server)
        self.sender = sender or f"jikoflow@{_local_hostname()}"
        name, self.envelope_sender = parseaddr(self.sender)
        self.sender_header = formataddr((name, self.envelope_sender), charset="utf-8")
        if "@" not in self.envelope_sender:
            raise BadInput("JIKOFLOW_MAIL_FROM", "expected an address such as jikoflow@example.jp")
        self.domain = self.envelope_sender.rsplit("@", 1)[1]
        self.lang = lang
        self.portal = portal
        self.timeout = timeout
        self.clock = clock
        self.ledger = MailLedger()
        self._idle: list[smtplib.SMTP] = []
        self._lock = threading.Lock()

    def resolve(self, to: Addressee) -> str | None:
        """The organisation's role address and its managers' (or a person's own address)."""
        return mail_address(to)

    def compose(self, address: str, message: Message, *, thread: str | None = None) -> MIMEText:
        """The e-mail for `message` to `address`, answering `thread` when one is given."""
        if message.facts is None:
            raise DeliveryError("no facts to word an e-mail from", permanent=True)
        text = build_mail(message.facts, self.lang, portal=self.portal, opening=thread is None)
        subject = text.subject if thread is None else f"Re: {text.subject}"
        # The standard library's classic message API: RFC 2047 headers and a base64 UTF-8
        # body, at a fifth of the cost of `EmailMessage`, whose header registry is slow.
        mail = MIMEText(text.body, "plain", "utf-8")
        mail["From"] = self.sender_header
        mail["To"] = address
        # A Header, not its text: the generator folds it into RFC 2047 encoded words.
        mail["Subject"] = _Utf8Header(subject)  # type: ignore[assignment]
        # Shown as sent in Tokyo (+0900), as a ward's own mail is; any client converts it.
        mail["Date"] = format_datetime(self.clock().astimezone(TOKYO))
        mail["Message-ID"] = message_id(message.key or text.subject, self.domain)
        if thread is not None:
            mail["In-Reply-To"] = thread
            mail["References"] = thread
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to us
        return mail

    def send(self, address: str, message: Message, *, thread: str | None = None) -> Sent:
        """Send the e-mail; DeliveryError (temporary or permanent) when it was not accepted."""
        mail = self.compose(address, message, thread=thread)
        self._transmit(recipients(address), wire(mail))
        return Sent(address, str(mail["Message-ID"]))

    def close(self) -> None:
        """End the idle connections politely."""
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            _quit(connection)

    def _transmit(self, to: Sequence[str], data: bytes) -> None:
        for attempt in (1, 2):
            connection, reused = self._take()
            try:
                _deliver_on(connection, self.envelope_sender, to, data)
            except _MaybeSent as exc:
                _quit(connection)
                raise _as_delivery_error(exc) from None
            except OSError as exc:  # smtplib's errors, the connection's own
                _quit(connection)
                # An idle connection the server closed meanwhile: nothing was sent, try anew.
                # (A refusal is an answer, not a closed connection: it is not sent again.)
                if reused and attempt == 1 and _closed(exc):
                    continue
                raise _as_delivery_error(exc) from None
            self._give(connection)
            return

    def _take(self) -> tuple[smtplib.SMTP, bool]:
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        try:
            return self._connect(), False
        except (smtplib.SMTPException, OSError) as exc:
            raise _as_delivery_error(exc) from None

    def _give(self, connection: smtplib.SMTP) -> None:
        with self._lock:
            self._idle.append(connection)

    def _connect(self) -> smtplib.SMTP:
        server = self.server
        context = ssl.create_default_context()
        connection: smtplib.SMTP
        if server.implicit_tls:
            connection = smtplib.SMTP_SSL(
                server.host,
                server.port,
                local_hostname=_local_hostname(),
                timeout=self.timeout,
                context=context,
            )
        else:
            connection = smtplib.SMTP(
                server.host, server.port, local_hostname=_local_hostname(), timeout=self.timeout
            )
            connection.ehlo()
            if connection.has_extn("starttls"):
                connection.starttls(context=context)
                connection.ehlo()
            elif server.username and not server.local:
                _quit(connection)
                raise DeliveryError(
                    "the server offers no STARTTLS: credentials are never sent in clear",
                    permanent=True,
                )
        if server.username:
            try:
                connection.login(server.username, server.password or "")
            except smtplib.SMTPException:
                _quit(connection)
                raise
        return connection


def _deliver_on(connection: smtplib.SMTP, sender: str, to: Sequence[str], data: bytes) -> None:
    """MAIL, RCPT and DATA as `smtplib.SMTP.sendmail` sends them, except that a connection lost
    once DATA began says so: the server may have accepted the message."""
    code, reply = connection.mail(sender)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    refused = {}
    for mailbox in to:
        code, reply = connection.rcpt(mailbox)
        if code not in (250, 251):
            refused[mailbox] = (code, reply)
    if len(refused) == len(to):
        raise smtplib.SMTPRecipientsRefused(refused)
    try:
        # DATA refused outright raises SMTPDataError; the reply to the message itself is ours.
        code, reply = connection.data(data)
    except (smtplib.SMTPServerDisconnected, OSError) as exc:
        raise _MaybeSent(str(exc)) from exc
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)


def _closed(exc: OSError) -> bool:
    """Whether the error says the connection was closed (not that a command was refused)."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == 421  # the server is closing the connection
    return isinstance(exc, smtplib.SMTPServerDisconnected) or not isinstance(
        exc, smtplib.SMTPException
    )


def _quit(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()


def _reply_code(code: int, reply: bytes | str) -> str:
    """`550 5.1.1`: the code and the enhanced status, never the server's words (they may name
    a mailbox)."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    enhanced = _ENHANCED.search(text)
    return f"{code} {enhanced.group(0)}" if enhanced else str(code)


def _as_delivery_error(exc: BaseException) -> DeliveryError:
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, _MaybeSent):
        return DeliveryError("connection lost during DATA", maybe_delivered=True)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        worst = max(codes) if codes else 550
        reply = next(iter(exc.recipients.values()), (worst, b""))[1]
        return DeliveryError(
            f"recipients refused: {_reply_code(worst, reply)}", permanent=min(codes) >= 500
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        code = int(exc.smtp_code)
        reason = f"smtp {_reply_code(code, exc.smtp_error)}"
        return DeliveryError(reason, permanent=500 <= code < 600)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return DeliveryError("tls: the server's certificate was not accepted", permanent=True)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return DeliveryError(f"smtp: {exc}"[:200], permanent=True)
    return DeliveryError(f"connection: {type(exc).__name__}")
