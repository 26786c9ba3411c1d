from django.urls import path

from flowdash.spending import views

app_name = "spending"
urlpatterns = [
    path("spending/", views.spending_view, name="index"),
    path("spending/limits/default/", views.default_limit_view, name="default-limit"),
    path("spending/limits/person/", views.person_limit_view, name="person-limit"),
]
