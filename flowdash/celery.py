import os

from celery import Celery
from celery.signals import beat_embedded_init, beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flowdash.settings")

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
