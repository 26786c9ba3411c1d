from tests.jobs.test_pipeline import accounts, sim  # noqa: F401 — shared fixtures
