from django.urls import path

from flowdash.gallery import views

app_name = "gallery"
urlpatterns = [
    path("gallery/", views.gallery_view, name="index"),
    path("gallery/selection/", views.selection_view, name="selection"),
    path("gallery/compare/", views.compare_view, name="compare"),
    path("gallery/compare/keep/", views.compare_keep_view, name="compare-keep"),
    path("gallery/<id:pk>/", views.detail_view, name="detail"),
    path("gallery/<id:pk>/file/", views.file_view, name="file"),
    path("gallery/<id:pk>/thumbnail/", views.thumbnail_view, name="thumbnail"),
    path("gallery/<id:pk>/download/", views.download_view, name="download"),
    path("gallery/<id:pk>/favourite/", views.favourite_view, name="favourite"),
    path("gallery/<id:pk>/tags/", views.tag_add_view, name="tag-add"),
    path("gallery/<id:pk>/tags/<id:tag_pk>/remove/", views.tag_remove_view, name="tag-remove"),
    path("gallery/<id:pk>/collect/", views.collect_view, name="collect"),
    path("gallery/<id:pk>/delete/", views.delete_view, name="delete"),
    path("gallery/collections/", views.collections_view, name="collections"),
    path("gallery/collections/<id:pk>/", views.collection_view, name="collection"),
    path("gallery/collections/<id:pk>/edit/", views.collection_edit_view, name="collection-edit"),
    path(
        "gallery/collections/<id:pk>/delete/",
        views.collection_delete_view,
        name="collection-delete",
    ),
    path(
        "gallery/collections/<id:pk>/download/",
        views.collection_download_view,
        name="collection-download",
    ),
    path(
        "gallery/collections/<id:pk>/items/<id:entry_pk>/move/",
        views.collection_move_view,
        name="collection-move",
    ),
    path(
        "gallery/collections/<id:pk>/items/<id:entry_pk>/remove/",
        views.collection_remove_view,
        name="collection-remove",
    ),
    path(
        "gallery/collections/<id:pk>/items/<id:entry_pk>/cover/",
        views.collection_cover_view,
        name="collection-cover",
    ),
]
