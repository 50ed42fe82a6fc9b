"""A real SMTP server (aiosmtpd) on a free port of 127.0.0.1 for the tests that send mail.

It keeps every message it accepts; told to ``refuse``, it answers DATA with a 451 (a mail
server having a bad moment) and keeps nothing; told to ``stall``, it holds DATA unanswered for
``stall_seconds`` and then keeps nothing (a server that hangs mid-conversation).
"""

import asyncio
import email
import email.policy
from dataclasses import dataclass

from aiosmtpd.controller import Controller
from helpers import free_port


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        if self.sink.stalling:
            await asyncio.sleep(self.sink.stall_seconds)
            return "451 4.3.0 too late"
        if self.sink.refusing:
            return "451 4.3.0 try again later"
        self.sink.envelopes.append(envelope)
        return "250 OK"


@dataclass
class Mail:
    to: list
    subject: str
    message_id: str
    text: str
    html: str

    @property
    def everything(self):
        return "\n".join([self.subject, *self.to, self.text, self.html])


class Sink:
    """An SMTP server that keeps every message it receives (``start`` it first)."""

    def __init__(self):
        self.port = free_port()
        self.envelopes = []
        self.refusing = False
        self.stalling = False
        self.stall_seconds = 10
        self.controller = None

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def start(self):
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def mails(self):
        result = []
        for envelope in self.envelopes:
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            result.append(Mail(
                to=list(envelope.rcpt_tos), subject=str(message["Subject"]),
                message_id=str(message["Message-ID"]),
                text=message.get_body(("plain",)).get_content(),
                html=message.get_body(("html",)).get_content(),
            ))
        return result

    def to(self, address):
        return [m for m in self.mails if m.to == [address]]
