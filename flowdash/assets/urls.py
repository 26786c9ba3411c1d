from django.urls import path

from flowdash.assets import views

app_name = "assets"
urlpatterns = [
    path("assets/", views.index_view, name="index"),
    path("assets/<int:pk>/upload/", views.upload_to_account_view, name="upload-to-account"),
    path("assets/<int:pk>/delete/", views.delete_view, name="delete"),
    path("assets/<int:pk>/file/", views.file_view, name="file"),
    path("assets/<int:pk>/thumbnail/", views.thumbnail_view, name="thumbnail"),
]
