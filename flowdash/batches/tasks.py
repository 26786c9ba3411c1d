"""Thin tasks of the batches app."""

from celery import shared_task


@shared_task(ignore_result=True)
def release_batches_task() -> None:
    """Top up every running batch's wave (see services.release)."""
    from flowdash.batches.services import release_running

    release_running()
