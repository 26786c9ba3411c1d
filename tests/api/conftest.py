import pytest

from tests.jobs.test_pipeline import accounts, sim  # noqa: F401 — shared fixtures


@pytest.fixture
def make_key(db):
    """make_key(user, scopes, **fields) → (row, the full key as shown once)."""
    from flowdash.api.models import ApiKey

    def make(user, scopes=("read",), name="script", expires_at=None):
        return ApiKey.issue(user, name, list(scopes), expires_at)

    return make


def bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
