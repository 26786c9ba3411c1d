from django.urls import path

from flowdash.team import views

app_name = "team"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.FlowdashLogoutView.as_view(), name="logout"),
    path("password/", views.password_view, name="password"),
    path("password/sign-out-others/", views.sign_out_others_view, name="sign-out-others"),
    path("users/", views.users_view, name="users"),
    path("users/<id:user_id>/", views.user_update_view, name="user-update"),
    path("users/<id:user_id>/password/", views.user_reset_password_view, name="user-password"),
    path("users/<id:user_id>/sign-out/", views.user_sign_out_view, name="user-sign-out"),
]
