import logging
import os

from celery import Celery
from celery.signals import after_setup_logger, beat_embedded_init, beat_init

from flowdash import celery_broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flowdash.settings")

# Before any broker connection: kombu's Redis transport, reconnecting after a lost connection
# instead of dying on it (flowdash/celery_broker.py).
celery_broker.install()

app = Celery("flowdash")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Beat runs each entry first one interval after it starts. These feed pages a new install opens
# at once (Accounts, the studio's account menu, Load balancing, Captcha), so they go out
# straight away instead of three to fifteen minutes later.
RUN_AT_START = ("sync-accounts", "captcha-providers", "load-balancing-snapshot")


@beat_init.connect
@beat_embedded_init.connect
def _run_at_start(sender=None, **_kwargs) -> None:
    schedule = app.conf.beat_schedule
    for name in RUN_AT_START:
        entry = schedule[name]
        app.send_task(entry["task"], **entry.get("options", {}))


# Routine tasks that run every few seconds: their "received", "succeeded" and "Sending due
# task" lines would bury everything else on the console. Their warnings and errors still show.
ROUTINE_TASKS = (
    "flowdash.jobs.tasks.reconcile_jobs",
    "flowdash.stats.tasks.snapshot_load_task",
)


class QuietRoutineTasks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO:
            return True
        message = record.getMessage()
        return not any(task in message for task in ROUTINE_TASKS)


@after_setup_logger.connect
def _quiet_routine_tasks(logger=None, **_kwargs) -> None:
    for handler in (logger or logging.getLogger()).handlers:
        handler.addFilter(QuietRoutineTasks())
