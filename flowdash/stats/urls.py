from django.urls import path

from flowdash.stats import views

app_name = "stats"
urlpatterns = [
    path("load-balancing/", views.load_balancing_view, name="load-balancing"),
    path("captcha/", views.captcha_view, name="captcha"),
]
