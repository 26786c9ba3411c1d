from django.urls import path

from flowdash.assets import views

app_name = "assets"
urlpatterns = [
    path("assets/", views.index_view, name="index"),
    path("assets/<id:pk>/upload/", views.upload_to_account_view, name="upload-to-account"),
    path("assets/<id:pk>/delete/", views.delete_view, name="delete"),
    path("assets/<id:pk>/file/", views.file_view, name="file"),
    path("assets/<id:pk>/thumbnail/", views.thumbnail_view, name="thumbnail"),
]
