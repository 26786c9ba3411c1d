"""kombu's Redis transport, with one failure after a lost connection turned into the error it is.

When Redis drops the worker's connection while messages are unacknowledged (Redis restarted
empty with jobs in flight), Celery 5.7 / kombu 5.7 collect the dead connection (the transport
forgets its ``kombu.Connection``) and then still use the old channel: closing it restores the
unacknowledged messages, and an ack that was already queued on the event loop removes one from
the unacked index. Both build a fresh connection pool from the forgotten connection (or from no
transport at all, once the channel is closed) and raise ``AttributeError: 'NoneType' object has
no attribute 'hostname'``. Celery only expects broker
errors there, so the worker logs "Unrecoverable error" and stops consuming for good.

Here that pool refuses with ``redis.exceptions.ConnectionError`` instead, a broker error that
Celery already ignores on close, logs on ack, and answers by reconnecting. Nothing is lost by
it: the messages are still in Redis' unacked set when Redis kept them (the visibility timeout
brings them back) and gone with Redis when it did not; the job rows are the outbox either way,
and the reconciler drives every due job again (design.md rule 2). Registered for ``redis://``
and ``redis+socket://`` URLs by :func:`install`, called from ``flowdash/celery.py``.
"""

from kombu import transport
from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous=False):
        if self.connection is None or self.connection.client is None:
            raise RedisConnectionError("this channel's broker connection was already closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel


def install() -> None:
    transport.TRANSPORT_ALIASES["redis"] = f"{__name__}:Transport"
