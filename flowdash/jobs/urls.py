from django.urls import path

from flowdash.jobs import views

app_name = "jobs"
urlpatterns = [
    path("studio/", views.studio_view, name="studio"),
    path("jobs/", views.jobs_list_view, name="list"),
]
