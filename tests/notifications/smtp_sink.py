"""A tiny real SMTP server for tests: listens on 127.0.0.1 (a free port), keeps what it receives.

Speaks the basics a client needs (EHLO/HELO, MAIL FROM, RCPT TO, DATA, RSET, NOOP, QUIT).
Recipients whose address starts with "refused" are refused (550), as a real server refuses an
unknown mailbox."""
import socket
import socketserver
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy


@dataclass
class Received:
    mail_from: str
    recipients: list[str]
    data: bytes  # the message as it went over the wire (dot-unstuffed)

    @property
    def message(self):
        return message_from_bytes(self.data, policy=policy.default)


@dataclass
class Envelope:
    mail_from: str = ""
    recipients: list[str] = field(default_factory=list)


class SMTPHandler(socketserver.StreamRequestHandler):
    timeout = 10

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")

    def handle(self):
        self.reply("220 sink.test ESMTP ready")
        envelope = Envelope()
        while line := self.rfile.readline():
            verb, _sep, argument = line.decode("ascii").rstrip("\r\n").partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self.reply("250-sink.test")
                self.reply("250 8BITMIME")
            elif verb == "HELO":
                self.reply("250 sink.test")
            elif verb == "MAIL":
                envelope = Envelope(mail_from=argument.partition(":")[2].strip(" <>"))
                self.reply("250 OK")
            elif verb == "RCPT":
                address = argument.partition(":")[2].strip(" <>")
                if address.startswith("refused"):
                    self.reply("550 No such user here")
                    continue
                envelope.recipients.append(address)
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                self.server.received.append(Received(envelope.mail_from, envelope.recipients,
                                                     self.read_data()))
                envelope = Envelope()
                self.reply("250 OK queued")
            elif verb in ("RSET", "NOOP"):
                envelope = Envelope() if verb == "RSET" else envelope
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")

    def read_data(self) -> bytes:
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(lines)


class SMTPSink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), SMTPHandler)
        self.received: list[Received] = []
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()
        self.thread.join()


def free_port_with_nobody_listening() -> int:
    """A port that refuses connections: bound once to learn a free number, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
