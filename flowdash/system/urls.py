from django.urls import path

from flowdash.system import views

app_name = "system"
urlpatterns = [
    path("system/", views.system_view, name="index"),
    path("metrics", views.metrics_view, name="metrics"),
    path("readyz/", views.readyz_view, name="readyz"),
]
