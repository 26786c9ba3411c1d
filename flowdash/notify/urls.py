from django.urls import path

from flowdash.notify import views

app_name = "notify"
urlpatterns = [
    path("notifications/", views.choices_view, name="choices"),
    path("notifications/targets/", views.targets_view, name="targets"),
    path("notifications/targets/<int:pk>/test/", views.test_view, name="test"),
    path("notifications/targets/<int:pk>/toggle/", views.toggle_view, name="toggle"),
    path("notifications/targets/<int:pk>/delete/", views.delete_view, name="delete"),
]
