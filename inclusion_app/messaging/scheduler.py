"""`flask scheduler`: the long-running process that sends the outbox and runs periodic jobs.

APScheduler 3.x `BlockingScheduler`, its job store in memory (never shared, never in a web worker:
DESIGN.md section 3). It runs `send-due-messages` every minute (at once at start; `max_instances=1`
and `coalesce`, so a slow pass is never doubled) and every job of the registry, to which later
features add theirs with `register_job(name, trigger, func)`. Several schedulers may run at once:
the outbox is claimed row by row, and a `daily` job takes a lease row (`leases.py`) so that it runs
once a local day across all of them. Daily jobs may not fire between 02:00 and 02:59 local time,
the hour that is skipped or repeated when the clocks change (ValueError). SIGTERM and SIGINT stop
it cleanly: the pass in progress finishes its batch, then the process exits.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType
from typing import TypeAlias
from zoneinfo import ZoneInfo

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from inclusion_app.extensions import db
from inclusion_app.messaging.leases import release_lease, take_lease
from inclusion_app.models.types import utcnow
from inclusion_app.scheduling.slots import local_zone

logger = logging.getLogger(__name__)

TriggerSpec: TypeAlias = BaseTrigger | Callable[[ZoneInfo], BaseTrigger]
SEND_JOB = "send-due-messages"
DST_HOUR = 2


@dataclass(frozen=True)
class JobSpec:
    """A periodic job: `trigger` (an APScheduler trigger, or a function of the local zone giving
    one), `func` (run in an app context; the wrapper commits after it), `daily` (a lease makes it
    run once a local day across schedulers; never 02:00-02:59), `lease` (how long a holder keeps it)."""

    name: str
    trigger: TriggerSpec
    func: Callable[[], object]
    daily: bool = False
    lease: timedelta = timedelta(hours=1)


JOBS: dict[str, JobSpec] = {}


def register_job(name: str, trigger: TriggerSpec, func: Callable[[], object], *, daily: bool = False,
                 lease: timedelta = timedelta(hours=1)) -> JobSpec:
    """Add a job to the registry (replacing one of the same name). Raises ValueError for a daily
    job whose trigger fires between 02:00 and 02:59 in its time zone."""
    if daily and isinstance(trigger, BaseTrigger):
        check_outside_dst_hour(name, trigger, getattr(trigger, "timezone", ZoneInfo("Europe/Paris")))
    spec = JobSpec(name, trigger, func, daily, lease)
    JOBS[name] = spec
    return spec


def daily_at(hour: int, minute: int = 0) -> Callable[[ZoneInfo], BaseTrigger]:
    """A trigger for every day at `hour:minute` local time (`TIMEZONE`). Raises ValueError for
    hour 2 (DST)."""
    if hour == DST_HOUR:
        raise ValueError("a nightly job must not run between 02:00 and 02:59 (clock changes)")
    return lambda zone: CronTrigger(hour=hour, minute=minute, timezone=zone)


def check_outside_dst_hour(name: str, trigger: BaseTrigger, zone: ZoneInfo | object) -> None:
    """Raise ValueError when `trigger` fires between 02:00 and 02:59 in `zone` over a sample week."""
    zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(str(zone))
    start = datetime(2027, 1, 4, tzinfo=zone)
    previous, moment = None, start
    for _ in range(24 * 60 * 8):
        fire = trigger.get_next_fire_time(previous, moment)
        if fire is None or fire > start + timedelta(days=8):
            return
        if fire.astimezone(zone).hour == DST_HOUR:
            raise ValueError(f"job {name!r} fires between 02:00 and 02:59 local time (clock changes)")
        previous, moment = fire, fire + timedelta(seconds=1)


def _send_due(stop: threading.Event) -> object:
    from inclusion_app.messaging.sender import send_due_messages

    report = send_due_messages(should_stop=stop.is_set)
    logger.info("outbox pass: %s", report)
    return report


def run_job(app: Flask, spec: JobSpec, holder: str) -> None:
    """Run one job in an app context: take its lease when daily, run, commit, release. A failure is
    logged and rolled back; the lease then runs out by itself and the job runs again."""
    with app.app_context():
        try:
            now = utcnow()
            today = now.astimezone(local_zone()).date() if spec.daily else None
            if spec.daily and not take_lease(spec.name, holder, now, spec.lease, today):
                return
            spec.func()
            db.session.commit()
            if spec.daily:
                release_lease(spec.name, holder, utcnow(), today)
        except Exception:
            logger.exception("scheduled job %s failed", spec.name)
            db.session.rollback()
        finally:
            db.session.remove()


def build_scheduler(app: Flask, stop: threading.Event, holder: str) -> BlockingScheduler:
    """A BlockingScheduler (memory job store, local zone) with the sender and the registry's jobs."""
    with app.app_context():
        zone = local_zone()
    scheduler = BlockingScheduler(timezone=zone)
    jobs = [JobSpec(SEND_JOB, IntervalTrigger(minutes=1, timezone=zone), lambda: _send_due(stop)), *JOBS.values()]
    for spec in jobs:
        trigger = spec.trigger if isinstance(spec.trigger, BaseTrigger) else spec.trigger(zone)
        if spec.daily:
            check_outside_dst_hour(spec.name, trigger, getattr(trigger, "timezone", zone))
        first = {"next_run_time": datetime.now(zone)} if spec.name == SEND_JOB else {}
        scheduler.add_job(run_job, trigger, args=(app, spec, holder), id=spec.name, name=spec.name,
                          max_instances=1, coalesce=True, misfire_grace_time=60, **first)
    return scheduler


def run_scheduler(app: Flask) -> None:
    """Run until SIGTERM or SIGINT; the job in progress is let finish (the sender stops between
    batches). Raises ValueError at once for an unknown or incomplete SMS or email backend setting."""
    from inclusion_app.messaging.backends import mail_backend, sms_backend
    from inclusion_app.messaging.sender import worker_name

    sms_backend(app)  # a wrong setting stops the process now, not at every pass
    mail_backend(app)
    stop = threading.Event()
    scheduler = build_scheduler(app, stop, worker_name())

    def shutdown(signum: int, frame: FrameType | None) -> None:
        logger.info("signal %s: stopping the scheduler after the job in progress", signum)
        stop.set()
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    logger.info("scheduler started: %s", ", ".join(job.id for job in scheduler.get_jobs()))
    scheduler.start()
    logger.info("scheduler stopped")
