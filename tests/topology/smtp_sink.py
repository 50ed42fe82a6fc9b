"""An SMTP server for the topology test: aiosmtpd's threaded Controller on a free port of
127.0.0.1, in the test process, keeping every message it accepted.

It can be told to refuse for a while (a 4xx at RCPT TO, as a greylisting or overloaded server
answers: "try again later") and to stall inside the next DATA: the client has sent the whole
message and waits for the server's answer, which never comes until the test releases it (the
test SIGKILLs the client meanwhile). By default a stalled message is not kept: a server that
has not answered 250 has not taken the message (RFC 5321 4.1.1.4). With ``keep=True`` it is
kept first, as by a server that queued the message and whose 250 was lost with the client.
"""

import asyncio
import email
import email.policy
import threading
import time
from dataclasses import dataclass

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    message_id: str
    recipients: tuple
    subject: str
    text: str


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.sink.refusing():
            with self.sink.lock:
                self.sink.refusals += 1
            return "451 4.3.2 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        stalled = self.sink.take_stall(session.peer)
        if stalled == "drop":
            await self.held()
            return "451 4.3.0 Stalled by the test"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        received = Received(message_id=str(message.get("Message-ID", "")),
                            recipients=tuple(envelope.rcpt_tos),
                            subject=str(message.get("Subject", "")),
                            text=body.get_content() if body is not None else "")
        with self.sink.lock:
            self.sink.received.append(received)
        if stalled == "keep":
            await self.held()
        return "250 OK"

    async def held(self):
        """Until the test releases the stall (aiosmtpd cancels this when the client dies)."""
        while not self.sink.released.is_set():
            await asyncio.sleep(0.05)


class Sink:
    """The SMTP server; ``url`` is what SMTP_URL says to the app's processes."""

    def __init__(self, port):
        self.port = port
        self.lock = threading.Lock()
        self.received = []
        self.refusals = 0
        self._refuse_until = 0.0
        self._stall_armed = None
        self.stalled_peer = None
        self.stalled = threading.Event()  # a DATA is being held
        self.released = threading.Event()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=port)

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def start(self):
        self.controller.start()

    def stop(self):
        self.released.set()
        self.controller.stop()

    # Faults ------------------------------------------------------------------------------

    def refuse_for(self, seconds):
        """Every recipient gets a 451 for the next ``seconds``."""
        self._refuse_until = time.monotonic() + seconds

    def refusing(self):
        return time.monotonic() < self._refuse_until

    def stall_next_data(self, keep=False):
        """Hold the next DATA (only that one) until ``release``; ``keep``: keep its message
        first (the server has it; only its 250 is held)."""
        with self.lock:
            self._stall_armed = "keep" if keep else "drop"
            self.stalled_peer = None
            self.stalled.clear()
            self.released.clear()

    def take_stall(self, peer):
        with self.lock:
            armed, self._stall_armed = self._stall_armed, None
            if armed:
                self.stalled_peer = peer
        if armed:
            self.stalled.set()
        return armed

    def release(self):
        self.released.set()

    # What arrived -------------------------------------------------------------------------

    def messages(self, containing=None):
        """The messages kept so far (those whose text holds ``containing``)."""
        with self.lock:
            kept = list(self.received)
        return [m for m in kept if containing is None or containing in m.text]
