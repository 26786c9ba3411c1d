from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def home_view(request):
    """What is happening now: jobs in flight, the newest results, and the accounts' health."""
    from flowdash.accounts.models import FlowAccount
    from flowdash.gallery.models import Media
    from flowdash.jobs.models import ACTIVE, Job

    in_flight = Job.objects.filter(status__in=[*ACTIVE, Job.Status.NEEDS_ATTENTION])
    accounts = FlowAccount.objects.filter(removed_at__isnull=True)
    states = {value: 0 for value, _ in FlowAccount.State.choices}
    for state in accounts.values_list("state", flat=True):
        states[state] = states.get(state, 0) + 1
    context = {
        "in_flight": in_flight.select_related("requested_by").order_by("-created_at")[:6],
        "in_flight_count": in_flight.count(),
        "needs_attention": in_flight.filter(status=Job.Status.NEEDS_ATTENTION).count(),
        "recent_media": Media.objects.stored().order_by("-created_at", "-pk")[:8],
        "account_states": [
            (label, states.get(value, 0), value) for value, label in FlowAccount.State.choices
        ],
        "account_count": accounts.count(),
    }
    return render(request, "dashboard/home.html", context)


@login_not_required
@require_GET
def healthz_view(request):
    """For compose and load balancers: the web process answers and the database is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
