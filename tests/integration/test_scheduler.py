"""`flask scheduler`: the registry of periodic jobs, the 02:00-02:59 rule, lease rows, and a clean
stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger

from inclusion_app.messaging import scheduler
from inclusion_app.messaging.leases import release_lease, take_lease
from inclusion_app.models import JobLease

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2027, 1, 4, 22, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(scheduler, "JOBS", {})
    return scheduler.JOBS


def test_a_nightly_job_between_2_and_3_is_refused(registry):
    with pytest.raises(ValueError, match="02:00"):
        scheduler.daily_at(2, 30)
    with pytest.raises(ValueError, match="02:00"):
        scheduler.register_job("purge", CronTrigger(hour="1-3", timezone=PARIS), lambda: None, daily=True)
    assert registry == {}
    scheduler.register_job("purge", CronTrigger(hour=3, minute=15, timezone=PARIS), lambda: None, daily=True)
    scheduler.register_job("digest", scheduler.daily_at(1, 45), lambda: None, daily=True)
    assert set(registry) == {"purge", "digest"}


def test_the_scheduler_runs_the_sender_every_minute_and_the_registry(app, registry):
    scheduler.register_job("digest", scheduler.daily_at(4), lambda: None, daily=True)
    built = scheduler.build_scheduler(app, threading.Event(), "test")
    jobs = {job.id: job for job in built.get_jobs()}
    assert set(jobs) == {"send-due-messages", "digest"}
    assert jobs["send-due-messages"].trigger.interval == timedelta(minutes=1)
    assert jobs["send-due-messages"].max_instances == 1
    assert jobs["send-due-messages"].coalesce is True
    assert str(jobs["digest"].trigger.timezone) == "Europe/Paris"


def test_a_registered_trigger_built_later_is_checked_in_the_local_zone(app, registry):
    scheduler.register_job("bad", lambda zone: CronTrigger(hour=2, timezone=zone), lambda: None, daily=True)
    with pytest.raises(ValueError, match="02:00"):
        scheduler.build_scheduler(app, threading.Event(), "test")


def test_a_lease_is_held_by_one_holder_until_released_or_expired(app, db):
    assert take_lease("purge", "a", NOW, HOUR) is True
    assert take_lease("purge", "b", NOW + timedelta(minutes=5), HOUR) is False
    assert take_lease("purge", "b", NOW + HOUR, HOUR) is True  # a's lease ran out (a crashed)
    release_lease("purge", "b", NOW + HOUR)
    assert take_lease("purge", "a", NOW + HOUR, HOUR) is True


def test_a_daily_lease_is_taken_once_a_local_day(app, db):
    today = date(2027, 1, 4)
    assert take_lease("digest", "a", NOW, HOUR, today) is True
    release_lease("digest", "a", NOW, ran_on=today)
    assert take_lease("digest", "b", NOW + HOUR, HOUR, today) is False
    assert take_lease("digest", "b", NOW + timedelta(days=1), HOUR, date(2027, 1, 5)) is True
    assert db.session.get(JobLease, "digest").holder == "b"


def test_a_daily_job_runs_once_across_two_schedulers(app, db):
    runs = []
    spec = scheduler.JobSpec("digest", scheduler.daily_at(4), lambda: runs.append(1), daily=True)
    scheduler.run_job(app, spec, "scheduler-a")
    scheduler.run_job(app, spec, "scheduler-b")
    assert runs == [1]
    lease = db.session.get(JobLease, "digest")
    assert lease.holder is None
    assert lease.last_run_on is not None


def test_a_failing_job_is_logged_and_rolled_back(app, db, caplog):
    def broken():
        raise RuntimeError("boom")

    scheduler.run_job(app, scheduler.JobSpec("broken", scheduler.daily_at(4), broken), "a")
    assert "scheduled job broken failed" in caplog.text


def test_flask_scheduler_stops_cleanly_on_sigterm(tmp_path: Path, repo_root: Path):
    environment = {**os.environ, "APP_ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
                   "SMS_BACKEND": "memory", "MAIL_BACKEND": "memory", "QUIET_HOURS": ""}
    python = str(Path(sys.executable))
    _create_tables(environment["DATABASE_URL"])
    process = subprocess.Popen([python, "-m", "flask", "--app", "wsgi", "scheduler"], cwd=repo_root,  # noqa: S603
                               env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output = _read_until(process, "outbox pass:", timeout=60)
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output + rest
    assert "scheduler stopped" in rest


def _create_tables(url: str) -> None:
    from inclusion_app.extensions import db
    from tests.conftest import build_app

    with build_app(url).app_context():
        db.create_all()
        db.engine.dispose()


def _read_until(process: subprocess.Popen, marker: str, timeout: float) -> str:
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()  # type: ignore[union-attr]
        lines.append(line)
        if marker in line or not line:
            break
    text = "".join(lines)
    assert marker in text, text
    return text


def test_the_scheduler_refuses_to_start_with_an_incomplete_twilio_setting(app):
    app.config.update(SMS_BACKEND="twilio", TWILIO_ACCOUNT_SID=None)
    result = app.test_cli_runner().invoke(args=["scheduler"])
    assert result.exit_code != 0
    assert "TWILIO_ACCOUNT_SID" in str(result.exception)
