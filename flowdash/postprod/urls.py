from django.urls import path

from flowdash.postprod import views

app_name = "postprod"
urlpatterns = [
    path("postprod/media/<id:pk>/", views.actions_view, name="actions"),
    path("postprod/media/<id:pk>/upscale/", views.upscale_view, name="upscale"),
    path("postprod/media/<id:pk>/extend/", views.extend_view, name="extend"),
    path("postprod/media/<id:pk>/gif/", views.gif_view, name="gif"),
    path("postprod/media/<id:pk>/lineage/", views.lineage_view, name="lineage"),
    path("postprod/scene/", views.scene_view, name="scene"),
]
