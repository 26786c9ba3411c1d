from django.urls import path

from flowdash.team import views

app_name = "team"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.FlowdashLogoutView.as_view(), name="logout"),
    path("password/", views.password_view, name="password"),
    path("users/", views.users_view, name="users"),
    path("users/<id:user_id>/", views.user_update_view, name="user-update"),
    path("users/<id:user_id>/password/", views.user_reset_password_view, name="user-password"),
]
