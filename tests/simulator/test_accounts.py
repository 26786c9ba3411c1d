"""Accounts, captcha providers and captcha statistics over HTTP."""

from __future__ import annotations

import requests

from .conftest import FREE, PRO, ULTRA, Api

COOKIES = (
    "Name\tValue\tDomain\tPath\tExpires / Max-Age\tSize\tHttpOnly\tSecure\tSameSite\n"
    "HSID\tAYQ1\t.google.com\t/\t2027-11-10T12:00:00.000Z\t21\t✓\t\tLax\n"
    "SSID\tAbc2\t.google.com\t/\t2027-11-10T12:00:00.000Z\t21\t✓\t✓\tLax\n"
)


def test_requests_without_the_token_are_unauthorized(api: Api) -> None:
    for method, path in (("GET", "/accounts"), ("POST", "/images"), ("GET", "/jobs")):
        r = requests.request(method, api.base + path, timeout=10)
        assert r.status_code == 401
        assert r.json() == {"error": "Unauthorized"}
    r = requests.get(api.base + "/accounts", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert r.status_code == 401
    assert requests.get(api.root + "/_sim/health", timeout=10).status_code == 401


def test_list_accounts_is_keyed_by_masked_email(api: Api) -> None:
    r = api.get("/accounts")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"ul***@gmail.com", "pr***@gmail.com", "fr***@gmail.com"}
    entry = body["ul***@gmail.com"]
    assert entry["health"] == "OK"
    assert {"created", "nextRefresh", "project", "sessionData"} <= set(entry)
    assert "scheduledFor" in entry["nextRefresh"] and "expires" in entry["sessionData"]


def test_account_detail_has_credits_and_video_models(api: Api) -> None:
    ultra = api.get(f"/accounts/{ULTRA}").json()
    assert ultra["health"] == "OK"
    assert ultra["credits"] == {"credits": 25000, "userPaygateTier": "PAYGATE_TIER_TWO"}
    assert ultra["sessionData"]["user"]["email"] == "ul***@gmail.com"
    models = {m["key"]: m for m in ultra["models"]["videoModels"]}
    assert "creditCost" not in models["veo_3_1_t2v_fast_ultra"]
    assert models["veo_3_1_t2v"]["creditCost"] == 100
    assert all(m["videoGenerationTimeSeconds"] > 0 for m in models.values())
    assert all(c["value"].endswith("(redacted)") for c in ultra["accountCookies"])

    pro = api.get("/accounts/pro.studio%40gmail.com").json()
    assert pro["credits"]["userPaygateTier"] == "PAYGATE_TIER_ONE"
    assert all("creditCost" in m for m in pro["models"]["videoModels"])
    assert api.get(f"/accounts/{FREE}").json()["models"]["videoModels"] == []


def test_unknown_account_is_404_with_the_documented_message(api: Api) -> None:
    r = api.get("/accounts/nobody@gmail.com")
    assert r.status_code == 404
    assert r.json() == {"error": "Google Flow account nobody@gmail.com not found"}
    r = api.delete("/accounts/nobody@gmail.com")
    assert r.status_code == 404


def test_post_accounts_derives_a_stable_email_201_then_200(api: Api) -> None:
    r = api.post("/accounts", json={"cookies": COOKIES})
    assert r.status_code == 201
    body = r.json()
    assert body["sessionData"]["user"]["email"].startswith("si***@gmail.com")
    assert body["accountCookies"][0]["value"].endswith("(redacted)")
    assert {"created", "project", "nextRefresh", "sessionCookies"} <= set(body)
    again = api.post("/accounts", json={"cookies": COOKIES})
    assert again.status_code == 200
    accounts = api.control("GET", "/accounts").json()["accounts"]
    derived = [a for a in accounts if a["email"].startswith("simulated-")]
    assert len(derived) == 1 and derived[0]["tier"] == "pro"


def test_post_accounts_uses_an_email_found_in_the_cookies_and_multipart(api: Api) -> None:
    cookies = COOKIES + "SIM_TIER\tultra\t.google.com\t/\tSession\n"
    cookies += "ACCOUNT_CHOOSER\tAFx=1:new.person%40gmail.com\taccounts.google.com\t/\tSession\n"
    r = api.post("/accounts", files={"cookies": (None, cookies)})
    assert r.status_code == 201, r.text
    detail = api.get("/accounts/new.person@gmail.com").json()
    assert detail["credits"]["userPaygateTier"] == "PAYGATE_TIER_TWO"


def test_post_accounts_rejects_other_shapes(api: Api) -> None:
    for cookies in ("HSID=abc; SSID=def", "just text", "A\tB\t.example.com\t/\tSession"):
        r = api.post("/accounts", json={"cookies": cookies})
        assert r.status_code == 400
        assert r.json() == {"error": "Failed to validate cookies: 401 Unauthorized"}
    r = api.post("/accounts", json={})
    assert r.status_code == 400 and "cookies" in r.json()["error"]


def test_delete_account(api: Api) -> None:
    r = api.delete(f"/accounts/{PRO}")
    assert r.status_code == 200
    assert r.json() == {"message": f"Google Flow account {PRO} deleted"}
    assert api.get(f"/accounts/{PRO}").status_code == 404
    assert "pr***@gmail.com" not in api.get("/accounts").json()


def test_captcha_providers_mask_keys_and_show_free_credits(api: Api) -> None:
    assert api.get("/accounts/captcha-providers").json() == {"freeCaptchaCredits": 100}
    r = api.post(
        "/accounts/captcha-providers", json={"CapSolver": "CAP-123456789", "EzCaptcha": "ez-9876"}
    )
    assert r.status_code == 200
    assert api.get("/accounts/captcha-providers").json() == {
        "EzCaptcha": "ez-98…",
        "CapSolver": "CAP-1…",
    }
    api.post("/accounts/captcha-providers", json={"EzCaptcha": ""})
    assert api.get("/accounts/captcha-providers").json() == {"CapSolver": "CAP-1…"}
    r = api.post("/accounts/captcha-providers", json={"MagicSolver": "x"})
    assert r.status_code == 400 and "MagicSolver" in r.json()["error"]


def test_captcha_attempts_are_recorded_and_reported(api: Api) -> None:
    api.post("/accounts/captcha-providers", json={"AntiCaptcha": "anti-123456"})
    job = api.image()
    api.sim.state.faults.add("captcha_rejected", endpoint="images", times=1)
    assert api.post("/images", json={"prompt": "x", "captchaRetry": 2}).status_code == 403
    stats = api.get("/accounts/captcha-stats").json()
    assert stats["total"] == 3
    assert stats["summary"]["sample_size_by_provider"] == {"AntiCaptcha": 3}
    assert stats["summary"]["success_rate_by_provider"] == {"AntiCaptcha": 33.33}
    rows = stats["rows"]
    assert rows[0]["jobId"] == job["jobId"] and rows[0]["success"] is True
    assert [r["success"] for r in rows[1:]] == [False, False]
    assert {"provider", "taskId", "durationMs", "paygateTier", "timestamp"} <= set(rows[0])
    assert api.get("/accounts/captcha-stats", params={"limit": 1}).json()["total"] == 1
    assert api.get("/accounts/captcha-stats", params={"provider": "CapSolver"}).json()["total"] == 0
    anon = api.get("/accounts/captcha-stats", params={"anonymized": "true"}).json()
    assert anon["summary"]["sample_size_by_provider"] == {"AntiCaptcha": 3} and "rows" not in anon
    yesterday = api.get("/accounts/captcha-stats", params={"date": "2020-01-01"}).json()
    assert yesterday["total"] == 0 and yesterday["date"] == "2020-01-01"


def test_captcha_stats_validation(api: Api) -> None:
    for params in (
        {"date": "01/02/2026"},
        {"limit": "0"},
        {"provider": "Bob"},
        {"anonymized": "maybe"},
    ):
        r = api.get("/accounts/captcha-stats", params=params)
        assert r.status_code == 400, params
        assert "error" in r.json()
