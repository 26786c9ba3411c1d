"""Static files as whitenoise stores them, with each file's URL worked out once per process.

``{% static %}`` asked the manifest again for every link of every page (a URL parse, a lookup
and a join: about 0.02 ms each, four to six per page). The manifest is written by
collectstatic and read when the process starts, so a URL cannot change while it runs.
"""

from __future__ import annotations

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage

# Names come from templates (a few dozen); the bound only guards against a caller that builds
# names from data.
MAX_KEPT = 1000


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force or settings.DEBUG:  # DEBUG: the unhashed name, as Django gives it
            return super().url(name, force)
        found = self._urls.get(name)
        if found is None:
            found = super().url(name)
            if len(self._urls) < MAX_KEPT:
                self._urls[name] = found
        return found
