"""flowdash.settings with Django's cached template loader inside the template-partials loader.

Django caches compiled templates by itself only when ``loaders`` is not given; flowdash's
settings name the template-partials loader explicitly without a cached loader inside, so every
request parses every template again. ``bench/gallery.py --cached-templates`` measures with
this module (the layout django-template-partials itself sets up when it configures loaders).
"""

from flowdash.settings import *  # noqa: F403
from flowdash.settings import TEMPLATES

TEMPLATES[0]["OPTIONS"]["loaders"] = [
    (
        "template_partials.loader.Loader",
        [
            (
                "django.template.loaders.cached.Loader",
                [
                    "django.template.loaders.filesystem.Loader",
                    "django.template.loaders.app_directories.Loader",
                ],
            )
        ],
    )
]
