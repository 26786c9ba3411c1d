from celery import shared_task

from flowdash.accounts.connection import build_client
from flowdash.accounts.models import ConnectionCheck
from flowdash.accounts.services import check_connection


@shared_task(ignore_result=True)
def check_connection_task(check_id: int) -> None:
    check = ConnectionCheck.objects.filter(pk=check_id, status=ConnectionCheck.Status.PENDING).first()
    if check is None:
        return
    check_connection(check, build_client())
