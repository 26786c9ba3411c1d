import pytest

from tests.jobs.test_pipeline import accounts, api, sim  # noqa: F401 — shared fixtures


@pytest.fixture(autouse=True)
def fresh_image_slots():
    """Each test starts with no learnt image-slot figures, like a fresh worker process."""
    from flowdash.jobs import capacity

    capacity.reset()
    yield
    capacity.reset()
