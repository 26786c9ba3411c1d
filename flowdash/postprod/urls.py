app_name = "postprod"
urlpatterns: list = []
