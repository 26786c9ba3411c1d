"""The useapi webhook endpoint (design.md rule 8), outside the login-required pages."""

app_name = "hooks"
urlpatterns: list = []
