"""The accounts, delete and alerts pages: what each role sees and may do."""

from __future__ import annotations

import pytest
from django.urls import reverse

from flowdash.accounts.models import AccountSync, Alert, FlowAccount
from flowdash.accounts.services import delete_account, sync_accounts

pytestmark = pytest.mark.django_db


def test_the_accounts_page_shows_badges_credits_models_and_jobs(
    viewer_client, api, known_addresses, sim
):
    sim.state.set_account_state("pro.studio@gmail.com", "session_expired")
    sync_accounts(api)
    page = viewer_client.get(reverse("accounts:list")).content.decode()
    assert 'data-account="ul***@gmail.com" data-state="ok"' in page
    assert 'data-account="pr***@gmail.com" data-state="session_expired"' in page
    assert "Session expired (596)" in page
    assert "25000" in page and "PAYGATE_TIER_TWO" in page
    assert "Veo 3.1 - Fast" in page and "unlimited" in page and "~100 s" in page
    assert "no jobs yet" in page
    assert "Refresh now" not in page and "Add an account" not in page  # viewer
    assert "— re-add" not in page


def test_an_admin_reaches_the_readd_page_from_the_badge(admin_client, api, known_addresses, sim):
    sim.state.set_account_state("pro.studio@gmail.com", "session_expired")
    sync_accounts(api)
    page = admin_client.get(reverse("accounts:list")).content.decode()
    assert reverse("accounts:add") + "?email=pr%2A%2A%2A%40gmail.com" in page


def test_the_table_region_is_served_alone_to_htmx_and_sorts(viewer_client, api, known_addresses):
    sync_accounts(api)
    response = viewer_client.get(
        reverse("accounts:list") + "?sort=-credits",
        headers={"HX-Request": "true", "HX-Target": "accounts-table"},
    )
    page = response.content.decode()
    assert 'id="accounts-table"' in page and "<html" not in page and "sidebar" not in page
    assert (
        page.index("ul***@gmail.com")
        < page.index("pr***@gmail.com")
        < page.index("fr***@gmail.com")
    )


def test_a_failed_sync_is_shown_with_the_age_of_the_last_good_data(
    viewer_client, api, unreachable_api
):
    sync_accounts(api)
    sync_accounts(unreachable_api)
    page = viewer_client.get(reverse("accounts:list")).content.decode()
    assert "The last refresh failed" in page and "host is unreachable" in page
    assert "Showing the data of" in page
    assert "ul***@gmail.com" in page


def test_refresh_enqueues_a_sync_and_polls_until_it_is_done(admin_client):
    response = admin_client.post(
        reverse("accounts:refresh"), headers={"HX-Request": "true", "HX-Target": "accounts-table"}
    )
    page = response.content.decode()
    assert AccountSync.objects.get().status == "pending"
    assert 'hx-trigger="every 1s"' in page and "Asking the API" in page
    AccountSync.objects.update(status="ok", message="3 accounts synced.")
    page = admin_client.get(reverse("accounts:list")).content.decode()
    assert "every 1s" not in page  # polling stops once the sync finished


def test_a_viewer_gets_403_on_every_admin_action_and_nothing_changes(
    viewer_client, api, known_addresses, sim
):
    sync_accounts(api)
    account = FlowAccount.objects.get(email="pr***@gmail.com")
    alert = Alert.objects.create(kind="low_credits", subject="x", message="low")
    for url in [
        reverse("accounts:refresh"),
        reverse("accounts:delete", args=[account.pk]),
        reverse("accounts:address", args=[account.pk]),
        reverse("accounts:alert-acknowledge", args=[alert.pk]),
        reverse("accounts:alert-resolve", args=[alert.pk]),
        reverse("stats:captcha-keys"),
        reverse("stats:captcha-providers-refresh"),
        reverse("stats:load-balancing-refresh"),
        reverse("stats:captcha-refresh"),
    ]:
        assert (
            viewer_client.post(
                url, {"full_email": "pro.studio@gmail.com", "provider": "CapSolver", "key": "k"}
            ).status_code
            == 403
        )
    assert not AccountSync.objects.exclude(status="ok").exists()
    account.refresh_from_db()
    assert account.delete_requested_at is None
    alert.refresh_from_db()
    assert alert.acknowledged_at is None and alert.resolved_at is None
    assert sim.state.requests(path="/accounts/captcha-providers", method="POST") == []


def test_delete_asks_first_naming_the_account_and_what_is_lost(admin_client, api, known_addresses):
    sync_accounts(api)
    account = FlowAccount.objects.get(email="pr***@gmail.com")
    page = admin_client.get(reverse("accounts:delete", args=[account.pk])).content.decode()
    assert "Delete pr***@gmail.com?" in page
    assert "cannot be undone" in page and "copy its cookies again" in page
    admin_client.post(reverse("accounts:delete", args=[account.pk]))
    account.refresh_from_db()
    assert account.delete_requested_at is not None and account.removed_at is None


def test_deleting_needs_the_full_address_of_a_masked_account(admin_client, api):
    sync_accounts(api)
    account = FlowAccount.objects.get(email="pr***@gmail.com")
    response = admin_client.post(
        reverse("accounts:delete", args=[account.pk]), {"full_email": "someone@gmail.com"}
    )
    assert response.status_code == 400
    assert "not the address behind pr***@gmail.com" in response.content.decode()
    admin_client.post(
        reverse("accounts:delete", args=[account.pk]), {"full_email": "pro.studio@gmail.com"}
    )
    account.refresh_from_db()
    assert account.full_email == "pro.studio@gmail.com" and account.delete_requested_at


def test_the_delete_service_removes_the_account_on_the_api(sim, api, known_addresses):
    sync_accounts(api)
    account = FlowAccount.objects.get(email="pr***@gmail.com")
    assert delete_account(api, account)
    account.refresh_from_db()
    assert account.removed_at is not None
    assert sim.state.account("pro.studio@gmail.com") is None
    sync_accounts(api)
    assert FlowAccount.objects.get(email="pr***@gmail.com").removed_at is not None


def test_a_failed_delete_is_recorded_on_the_account(sim, api, known_addresses):
    sync_accounts(api)
    account = FlowAccount.objects.get(email="pr***@gmail.com")
    sim.state.faults.add(
        "custom",
        endpoint="accounts/{email}",
        method="DELETE",
        times=1,
        status=503,
        message="try later",
    )
    assert not delete_account(api, account)
    account.refresh_from_db()
    assert account.removed_at is None and "Delete failed" in account.last_error


def test_admins_see_the_alerts_banner_and_acknowledge(admin_client, viewer_user):
    from django.test import Client

    alert = Alert.objects.create(
        kind="session_expired",
        subject="pr***@gmail.com",
        message="pr***@gmail.com: the Google session expired",
    )
    page = admin_client.get(reverse("dashboard:home")).content.decode()
    assert 'id="alerts-banner"' in page and "Session expired: pr***@gmail.com" in page
    viewer = Client()
    viewer.force_login(viewer_user)
    assert 'id="alerts-banner"' not in viewer.get(reverse("dashboard:home")).content.decode()
    listing = viewer.get(reverse("accounts:alerts")).content.decode()
    assert "the Google session expired" in listing  # viewers may read the list
    admin_client.post(reverse("accounts:alert-acknowledge", args=[alert.pk]))
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None and alert.resolved_at is None
    page = admin_client.get(reverse("dashboard:home")).content.decode()
    assert 'id="alerts-banner"' not in page


def test_an_admin_can_resolve_an_alert_by_hand(admin_client):
    alert = Alert.objects.create(kind="low_credits", subject="a", message="low")
    admin_client.post(reverse("accounts:alert-resolve", args=[alert.pk]))
    alert.refresh_from_db()
    assert alert.resolved_at is not None


def test_saving_the_full_address_checks_it_against_the_mask(admin_client, api):
    sync_accounts(api)
    account = FlowAccount.objects.get(email="ul***@gmail.com")
    url = reverse("accounts:address", args=[account.pk])
    page = admin_client.post(url, {"full_email": "other@gmail.com"}, follow=True)
    assert "not the address behind" in page.content.decode()
    admin_client.post(url, {"full_email": "Ultra.Creator@gmail.com"})
    account.refresh_from_db()
    assert account.full_email == "ultra.creator@gmail.com"


def test_opening_the_page_with_no_recent_sync_asks_the_worker_for_one(viewer_client):
    page = viewer_client.get(reverse("accounts:list")).content.decode()
    assert AccountSync.objects.get().status == "pending"
    assert "every 1s" in page and "Asking the API for the accounts" in page
    viewer_client.get(reverse("accounts:list"))
    assert AccountSync.objects.count() == 1  # once, not on every view


def test_the_credits_chart_has_the_numbers_each_sync_read(viewer_client, sim, api, known_addresses):
    sync_accounts(api)
    sim.state.set_account_state("pro.studio@gmail.com", credits=640)
    sync_accounts(api)
    response = viewer_client.get(
        reverse("accounts:list") + "?range=24h",
        headers={"HX-Request": "true", "HX-Target": "credits-history"},
    )
    page = response.content.decode()
    assert 'id="credits-history"' in page and "<html" not in page
    table = page[page.index('data-chart-table="Credits per account"') :]
    assert "averages" not in page[: page.index("data-chart-table")]
    rows = table.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")[:2]
    # columns: time, fr***, pr***, ul***
    assert [r.count("<td>") for r in rows] == [3, 3]
    assert "<td>1,000</td>" in rows[0] and "<td>640</td>" in rows[1]
    assert "<td>25,000</td>" in rows[1]


def test_the_page_follows_a_delete_until_it_is_done(admin_client, api, known_addresses, sim):
    sync_accounts(api)
    account = FlowAccount.objects.get(email="pr***@gmail.com")
    admin_client.post(reverse("accounts:delete", args=[account.pk]))
    page = admin_client.get(reverse("accounts:list")).content.decode()
    assert "deleting…" in page and "every 1s" in page
    account.refresh_from_db()
    delete_account(api, account)  # what the worker's task does
    page = admin_client.get(reverse("accounts:list")).content.decode()
    assert "every 1s" not in page
    assert 'data-removed="pr***@gmail.com"' in page
