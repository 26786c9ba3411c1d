"""Thin tasks of the spending app."""

from celery import shared_task


@shared_task(ignore_result=True)
def settle_charges_task() -> None:
    """Fill in what finished jobs actually cost, where the account readings tell."""
    from flowdash.spending.services import settle_finished

    settle_finished()
