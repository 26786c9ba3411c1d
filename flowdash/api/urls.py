from django.urls import path

from flowdash.api import views

app_name = "api"
urlpatterns = [
    path("api-keys/", views.keys_view, name="keys"),
    path("api-keys/<id:pk>/revoke/", views.revoke_view, name="revoke"),
    path("api/v1/docs/", views.docs_view, name="docs"),
]
