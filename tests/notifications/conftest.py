import pytest

from tests.notifications.smtp_sink import SMTPSink


@pytest.fixture
def sink():
    """A real SMTP server on 127.0.0.1 that keeps what it receives."""
    with SMTPSink() as server:
        yield server


@pytest.fixture
def mail_to(app):
    """Point the app's MAIL_SERVER at a local port: mail_to(sink.port)."""
    def configure(port: int) -> None:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_FROM="center@example.org")
    return configure
