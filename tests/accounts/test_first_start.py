"""A fresh `make run` shows the Google accounts at once, not after beat's first interval.

Beat runs a schedule entry for the first time one interval after it starts (three minutes for
the account sync), so the Accounts page of a new install would stay empty that long. Starting
beat sends the sync (and the other figures the pages show) straight away.
"""

from __future__ import annotations

import re
import time

import pytest

from flowdash.accounts.models import CaptchaProviderSnapshot, FlowAccount
from tests.integration.test_job_recovery import own_stack, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_starting_beat_reads_the_accounts_and_captcha_providers_at_once(
    simulator, tmp_path, settings
):
    with own_stack(simulator, tmp_path, settings, beat=True):
        logs = (tmp_path / "worker.log", tmp_path / "beat.log")
        # Well inside the three-minute sync interval (and the 15-minute provider refresh).
        wait_for(lambda: FlowAccount.objects.exists(), "the account sync", timeout=60, logs=logs)
        wait_for(
            lambda: CaptchaProviderSnapshot.objects.exists(),
            "the captcha providers",
            timeout=30,
            logs=logs,
        )
    assert FlowAccount.objects.count() == len(simulator.state.accounts)


def test_the_console_is_not_flooded_by_the_reconciler(simulator, tmp_path, settings):
    extra = {"FLOWDASH_RECONCILE_SECONDS": "0.5"}
    with own_stack(simulator, tmp_path, settings, beat=True, **extra):
        logs = (tmp_path / "worker.log", tmp_path / "beat.log")
        wait_for(lambda: FlowAccount.objects.exists(), "the account sync", timeout=60, logs=logs)
        time.sleep(3)  # six reconciler rounds
    worker_log = (tmp_path / "worker.log").read_text()
    beat_log = (tmp_path / "beat.log").read_text()
    assert "sync_accounts_task" in worker_log  # other tasks are still logged
    routine = re.compile(r"(received|succeeded|Sending due task).*reconcile")
    assert not routine.search(worker_log + beat_log)
