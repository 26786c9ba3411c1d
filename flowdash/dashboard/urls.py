from django.urls import path

from flowdash.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.home_view, name="home"),
    path("healthz/", views.healthz_view, name="healthz"),
]
