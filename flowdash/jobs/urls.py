from django.urls import path

from flowdash.jobs import studio, views

app_name = "jobs"
urlpatterns = [
    path("studio/", studio.studio_view, name="studio"),
    path("jobs/", views.jobs_list_view, name="list"),
    path("jobs/<int:pk>/", views.detail_view, name="detail"),
    path("jobs/<int:pk>/cancel/", views.cancel_view, name="cancel"),
    path("jobs/<int:pk>/retry/", views.retry_view, name="retry"),
    path("jobs/<int:pk>/resubmit/", views.resubmit_view, name="resubmit"),
    path("jobs/<int:pk>/give-up/", views.give_up_view, name="give-up"),
    path("jobs/<int:pk>/look-again/", views.look_again_view, name="look-again"),
]
