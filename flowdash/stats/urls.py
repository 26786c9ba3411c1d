from django.urls import path

from flowdash.stats import views

app_name = "stats"
urlpatterns = [
    path("load-balancing/", views.load_balancing_view, name="load-balancing"),
    path("load-balancing/refresh/", views.refresh_load_view, name="load-balancing-refresh"),
    path("captcha/", views.captcha_view, name="captcha"),
    path("captcha/refresh/", views.refresh_captcha_view, name="captcha-refresh"),
    path("captcha/keys/", views.captcha_key_view, name="captcha-keys"),
    path(
        "captcha/providers/refresh/",
        views.refresh_captcha_providers_view,
        name="captcha-providers-refresh",
    ),
]
