from django.urls import path

from flowdash.notify import views

app_name = "notify"
urlpatterns = [
    path("notifications/", views.choices_view, name="choices"),
    path("notifications/targets/", views.targets_view, name="targets"),
    path("notifications/targets/<id:pk>/test/", views.test_view, name="test"),
    path("notifications/targets/<id:pk>/toggle/", views.toggle_view, name="toggle"),
    path("notifications/targets/<id:pk>/delete/", views.delete_view, name="delete"),
]
