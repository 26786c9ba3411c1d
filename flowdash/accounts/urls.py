from django.urls import path

from flowdash.accounts import views

app_name = "accounts"
urlpatterns = [
    path("accounts/", views.accounts_list_view, name="list"),
    path("settings/", views.settings_view, name="settings"),
    path("settings/token/delete/", views.token_delete_view, name="token-delete"),
    path("settings/test/", views.test_connection_view, name="test-connection"),
]
