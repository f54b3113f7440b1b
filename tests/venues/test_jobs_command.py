"""The venue jobs are runnable from the command line (cron or the scheduler) and idempotent."""
from datetime import timedelta

from center.models.base import utcnow
from center.models.venues import Booking
from tests.factories import make_booking


def test_venue_jobs_command_marks_no_shows_once(runner, session):
    started = utcnow() - timedelta(hours=2)
    missed = make_booking(session, starts_at=started, ends_at=started + timedelta(hours=3))
    attended = make_booking(session, starts_at=started, ends_at=started + timedelta(hours=3),
                            status="checked_in")
    session.commit()
    first = runner.invoke(args=["venue-jobs"])
    assert first.exit_code == 0, first.output
    assert "no-shows marked: 1" in first.output
    second = runner.invoke(args=["venue-jobs"])
    assert "no-shows marked: 0" in second.output
    session.expire_all()
    assert session.get(Booking, missed.id).status == "no_show"
    assert session.get(Booking, attended.id).status == "checked_in"
