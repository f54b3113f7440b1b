import pytest

from tests.notifications.smtp_sink import SMTPSink


@pytest.fixture
def sink():
    """A real SMTP server on 127.0.0.1 that keeps what it receives."""
    with SMTPSink() as server:
        yield server


@pytest.fixture
def recipients(app):
    """Set WEEKLY_RECIPIENTS: recipients([...]) or recipients() for the office with addresses."""
    def configure(entries=None):
        app.config["WEEKLY_RECIPIENTS"] = entries if entries is not None else [
            {"role": "服务发展处", "name": "市社会组织服务发展处", "email": "fzc@example.gov.cn"},
            {"role": "抄送", "name": "市社团办主任", "email": "director@example.gov.cn"},
            {"role": "抄送", "name": "市民政局局长", "email": None},
        ]
        return app.config["WEEKLY_RECIPIENTS"]
    return configure


@pytest.fixture
def liaison_absent(monkeypatch):
    """The liaison module as not built: its figures are None, whatever the code has by now."""
    from center.services import weekly_figures

    monkeypatch.setattr(weekly_figures, "MODULES", tuple(
        (key, label, None if key == "liaison" else provider)
        for key, label, provider in weekly_figures.MODULES))
