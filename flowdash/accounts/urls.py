from django.urls import path

from flowdash.accounts import views

app_name = "accounts"
urlpatterns = [
    path("accounts/", views.accounts_list_view, name="list"),
    path("accounts/refresh/", views.refresh_accounts_view, name="refresh"),
    path("accounts/add/", views.add_account_view, name="add"),
    path("accounts/<id:pk>/address/", views.account_address_view, name="address"),
    path("accounts/<id:pk>/delete/", views.delete_account_view, name="delete"),
    path("alerts/", views.alerts_view, name="alerts"),
    path("alerts/<id:pk>/acknowledge/", views.acknowledge_alert_view, name="alert-acknowledge"),
    path("alerts/<id:pk>/resolve/", views.resolve_alert_view, name="alert-resolve"),
    path("settings/", views.settings_view, name="settings"),
    path("settings/token/delete/", views.token_delete_view, name="token-delete"),
    path("settings/test/", views.test_connection_view, name="test-connection"),
]
