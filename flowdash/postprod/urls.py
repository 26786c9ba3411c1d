from django.urls import path

from flowdash.postprod import views

app_name = "postprod"
urlpatterns = [
    path("postprod/media/<int:pk>/", views.actions_view, name="actions"),
    path("postprod/media/<int:pk>/upscale/", views.upscale_view, name="upscale"),
    path("postprod/media/<int:pk>/extend/", views.extend_view, name="extend"),
    path("postprod/media/<int:pk>/gif/", views.gif_view, name="gif"),
    path("postprod/media/<int:pk>/lineage/", views.lineage_view, name="lineage"),
    path("postprod/scene/", views.scene_view, name="scene"),
]
