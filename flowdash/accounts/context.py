from flowdash.accounts.connection import current_connection


def connection(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"api_connection": current_connection(reveal=False)}
