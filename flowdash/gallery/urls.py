from django.urls import path

from flowdash.gallery import views

app_name = "gallery"
urlpatterns = [path("gallery/", views.gallery_view, name="index")]
