"""Thin tasks of the spending app."""

from celery import shared_task


@shared_task(ignore_result=True)
def settle_charges_task() -> None:
    """Price jobs made without a charge, then fill in what finished jobs actually cost, where
    the account readings tell."""
    from flowdash.spending.services import record_unpriced, settle_finished

    record_unpriced()
    settle_finished()
