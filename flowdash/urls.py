from django.contrib import admin
from django.urls import include, path, register_converter
from django.urls.converters import get_converters

from flowdash.lib.params import IdConverter

# <id:pk> in the apps' URLs: only ids a database column can hold match (else a 404, not a 500).
if "id" not in get_converters():  # once, also when this module is reloaded
    register_converter(IdConverter, "id")

urlpatterns = [
    path("", include("flowdash.dashboard.urls")),
    path("", include("flowdash.team.urls")),
    path("", include("flowdash.accounts.urls")),
    path("", include("flowdash.assets.urls")),
    path("", include("flowdash.jobs.urls")),
    path("", include("flowdash.postprod.urls")),
    path("", include("flowdash.jobs.hook_urls")),
    path("", include("flowdash.gallery.urls")),
    path("", include("flowdash.stats.urls")),
    path("django-admin/", admin.site.urls),
]

# No /media/ route in any mode (DEBUG included): results, thumbnails and assets are served only
# by the file views, which check the sign-in (gallery:file, assets:file, ...).
