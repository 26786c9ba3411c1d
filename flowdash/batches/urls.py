from django.urls import path

from flowdash.batches import views

app_name = "batches"
urlpatterns = [
    path("batches/", views.batches_view, name="index"),
    path("batches/<int:pk>/", views.detail_view, name="detail"),
    path("batches/<int:pk>/start/", views.start_view, name="start"),
    path("batches/<int:pk>/retry/", views.retry_view, name="retry"),
    path("batches/<int:pk>/cancel/", views.cancel_view, name="cancel"),
    path("batches/<int:pk>/export.csv", views.export_view, name="export"),
]
