from flowdash.accounts.connection import current_connection


def connection(request):
    """The API connection for the sandbox banner: read once per request (a page that renders
    several templates with the request, e.g. out-of-band messages, asks only once)."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    shown = getattr(request, "_flowdash_connection", None)
    if shown is None:
        shown = request._flowdash_connection = current_connection(reveal=False)
    return {"api_connection": shown}
