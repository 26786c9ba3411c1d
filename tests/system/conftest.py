import pytest


@pytest.fixture
def use_broker():
    """Point this process's Celery app (and so the engine's Redis reads) at a given URL for the
    test, then back."""
    from flowdash.celery import app

    old = app.conf.broker_url

    def use(url: str) -> None:
        app.conf.broker_url = url
        app._pool = None
        app.amqp._producer_pool = None

    yield use
    use(old)
