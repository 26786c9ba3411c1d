"""The useapi webhook endpoint (design.md rule 8), outside the login-required pages."""

from django.urls import path

from flowdash.jobs import hooks

app_name = "hooks"
urlpatterns = [
    path("hooks/useapi/<uuid:job_uuid>/<str:token>/", hooks.useapi_hook_view, name="useapi"),
]
