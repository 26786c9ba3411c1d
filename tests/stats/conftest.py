from tests.accounts.conftest import api, bad_token_api, known_addresses, sim  # noqa: F401
