"""Fault injection (from Python and over HTTP) and account states."""

from __future__ import annotations

import time

import pytest
import requests

from .conftest import FREE, PRO, ULTRA, Api

COOKIES_FOR_PRO = (
    f"SID\tabc\t.google.com\t/\tSession\nACCOUNT_CHOOSER\t{PRO}\taccounts.google.com\t/\tSession\n"
)


def _reason(body: dict) -> str:
    return body["error"]["details"][0]["reason"]


@pytest.mark.parametrize(
    ("kind", "status", "check"),
    [
        ("throttled", 429, lambda b: _reason(b) == "PUBLIC_ERROR_USER_REQUESTS_THROTTLED"),
        (
            "daily_quota",
            429,
            lambda b: (
                _reason(b) == "PUBLIC_ERROR_PER_MODEL_DAILY_QUOTA_REACHED"
                and b["error"]["details"][0]["metadata"] == {"canUpgradeForQuota": "true"}
            ),
        ),
        (
            "unavailable",
            503,
            lambda b: b["error"]["status"] == "UNAVAILABLE" and _reason(b) == "SERVICE_UNAVAILABLE",
        ),
        ("unsafe", 400, lambda b: _reason(b) == "PUBLIC_ERROR_UNSAFE_GENERATION"),
        (
            "moderated",
            500,
            lambda b: (
                b["error"]
                == {"code": 500, "message": "Internal error encountered.", "status": "INTERNAL"}
            ),
        ),
        ("session_expired", 596, lambda b: b == {"error": "Failed to refresh session."}),
        (
            "no_subscription",
            402,
            lambda b: b == {"error": "Account has no subscription or subscription expired"},
        ),
        ("polling_timeout", 408, lambda b: b == {"error": "Polling timeout"}),
    ],
)
def test_image_faults_answer_the_documented_bodies(api: Api, kind: str, status: int, check) -> None:
    api.sim.state.faults.add(kind, endpoint="images", times=1)
    r = api.post("/images", json={"prompt": "x"})
    assert r.status_code == status, r.text
    assert check(r.json()), r.json()
    assert api.post("/images", json={"prompt": "x"}).status_code == 200  # it was only once


def test_captcha_rejection_on_images_is_a_failed_job_record(api: Api) -> None:
    api.sim.state.faults.add("captcha_rejected", endpoint="images", email=PRO)
    r = api.post("/images", json={"prompt": "x", "email": PRO, "captchaRetry": 4})
    assert r.status_code == 403
    body = r.json()
    assert body["status"] == "failed" and body["code"] == 403 and body["error"] == "API error: 403"
    assert body["jobid"].endswith("i-u1000-email:pr***@gmail.com-bot:google-flow")
    assert body["response"]["error"]["message"] == "reCAPTCHA evaluation failed"
    attempts = body["response"]["captcha"]["attempts"]
    assert len(attempts) == 4 and not any(a["success"] for a in attempts)
    assert body["response"]["captcha"]["durationMs"] == sum(a["durationMs"] for a in attempts)
    assert api.get("/jobs/" + body["jobid"]).json()["status"] == "failed"
    # a partial rejection succeeds after the failing attempts
    api.sim.state.faults.clear()
    api.sim.state.faults.add("captcha_rejected", endpoint="images", failures=2, times=1)
    ok = api.post("/images", json={"prompt": "x"}).json()
    assert [a["success"] for a in ok["captcha"]["attempts"]] == [False, False, True]


def test_video_family_error_bodies(api: Api) -> None:
    state = api.sim.state
    state.faults.add("throttled", endpoint="videos", times=1, retryAfter=7)
    r = api.post("/videos", json={"prompt": "x", "email": PRO})
    assert r.status_code == 429 and r.headers["Retry-After"] == "7"
    body = r.json()
    assert body["error"] == "API error: 429" and body["code"] == 429 and body["retryAfter"] == 7
    assert body["jobId"].endswith("-bot:google-flow")
    assert _reason(body["response"]) == "PUBLIC_ERROR_USER_REQUESTS_THROTTLED"
    state.faults.add("captcha_rejected", endpoint="videos/upscale", times=1)
    video = api.video_id(email=PRO)
    r = api.post("/videos/upscale", json={"mediaGenerationId": video})
    assert r.status_code == 403
    assert r.json()["error"]["status"] == "PERMISSION_DENIED"
    assert len(r.json()["captcha"]["attempts"]) == 3
    state.faults.add("session_expired", endpoint="videos/extend", times=1)
    r = api.post("/videos/extend", json={"mediaGenerationId": video, "prompt": "y"})
    assert r.status_code == 596
    assert r.json() == {"error": "Failed to refresh session: 500 Internal Server Error"}


def test_custom_fault(api: Api) -> None:
    api.sim.state.faults.add(
        "custom",
        endpoint="videos/gif",
        times=1,
        status=418,
        body={"error": "teapot"},
        headers={"X-Sim": "1"},
    )
    video = api.video_id(email=PRO)
    r = api.post("/videos/gif", json={"mediaGenerationId": video})
    assert (r.status_code, r.json(), r.headers["X-Sim"]) == (418, {"error": "teapot"}, "1")
    assert api.post("/videos/gif", json={"mediaGenerationId": video}).status_code == 200


def test_no_eligible_account_has_retry_after(api: Api) -> None:
    api.sim.state.faults.add("no_eligible_account", endpoint="images", times=1, retryAfter=42)
    r = api.post("/images", json={"prompt": "x"})
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "42"
    body = r.json()
    assert body["error"] == "no_eligible_account" and body["retryAfter"] == 42
    assert body["message"] and len(body["skipReasons"]) == 3


def test_once_n_times_and_until_cleared(api: Api) -> None:
    state = api.sim.state
    state.faults.add("unavailable", endpoint="images", times=2)
    codes = [api.post("/images", json={"prompt": "x"}).status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    fault = state.faults.add("unavailable", endpoint="images")
    codes = [api.post("/images", json={"prompt": "x"}).status_code for _ in range(3)]
    assert codes == [503, 503, 503]
    assert state.faults.list()[0].hits == 3 and state.faults.remove(fault.id)
    assert api.post("/images", json={"prompt": "x"}).status_code == 200


def test_faults_per_account_and_per_endpoint(api: Api) -> None:
    state = api.sim.state
    state.faults.add("throttled", email=PRO)  # every endpoint, one account
    state.faults.add("unavailable", endpoint="POST /videos*")  # every account, video endpoints
    assert api.post("/images", json={"prompt": "x", "email": PRO}).status_code == 429
    assert api.post("/images", json={"prompt": "x", "email": ULTRA}).status_code == 200
    assert api.post("/videos", json={"prompt": "x", "email": ULTRA}).status_code == 503
    png = api.post(f"/assets/{PRO}", data=b"\x89PNG", headers={"Content-Type": "image/png"})
    assert png.status_code == 400  # validation comes before the account is reached
    state.faults.clear()
    state.faults.add("unavailable", endpoint="jobs")  # account-less endpoints too
    assert api.get("/jobs").status_code == 503
    assert api.get("/accounts").status_code == 200


def test_transport_faults(api: Api) -> None:
    state = api.sim.state
    state.faults.add("delay", endpoint="accounts", seconds=0.6, times=1)
    started = time.monotonic()
    assert api.get("/accounts").status_code == 200
    assert time.monotonic() - started >= 0.6
    state.faults.add("delay", endpoint="accounts", seconds=2, times=1)
    with pytest.raises(requests.ReadTimeout):
        requests.get(api.base + "/accounts", headers=api.headers, timeout=0.3)

    state.faults.add("drop", endpoint="images", times=1)
    with pytest.raises(requests.ConnectionError):
        api.post("/images", json={"prompt": "dropped"})
    assert api.sim.state.requests(path="/images")[-1]["status"] == "dropped"
    assert all(r["completed"] == 0 for r in api.get("/jobs").json()["images"]["summary"].values())

    state.faults.add("garbage", endpoint="images", times=1)
    r = api.post("/images", json={"prompt": "x"})
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()
    state.faults.add("truncated", endpoint="accounts", times=1)
    r = api.get("/accounts")
    assert r.status_code == 200 and r.text.startswith('{"ul***@gmail.com"')
    with pytest.raises(ValueError):
        r.json()


def test_dropped_answer_after_an_async_submission_leaves_the_job_running(api: Api) -> None:
    api.sim.state.faults.add("drop", endpoint="videos", when="after", times=1)
    with pytest.raises(requests.ConnectionError):
        api.post("/videos", json={"prompt": "lost answer", "async": True, "replyRef": "r-77"})
    logged = api.control("GET", "/requests", params={"path": "/videos", "method": "POST"}).json()
    assert logged["count"] == 1 and logged["requests"][0]["body"]["replyRef"] == "r-77"
    assert logged["requests"][0]["status"] == "dropped"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        videos = api.get("/jobs").json()["videos"]["summary"]
        if sum(r["completed"] for r in videos.values()) == 1:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the job behind the dropped answer never completed")


def test_async_job_that_fails_later(api: Api) -> None:
    api.sim.state.faults.add("job_fail", endpoint="videos", times=1, code=500)
    r = api.post("/videos", json={"prompt": "x", "async": True, "email": PRO})
    assert r.status_code == 201
    job_id = r.json()["jobid"]
    deadline = time.monotonic() + 10
    while (job := api.get("/jobs/" + job_id).json())["status"] != "failed":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert job["error"] == "API error: 500" and job["code"] == 500
    assert job["response"]["error"]["status"] == "INTERNAL"
    assert job["response"]["operations"][0]["status"] == "MEDIA_GENERATION_STATUS_FAILED"
    assert api.get(f"/accounts/{PRO}").json()["credits"]["credits"] == 1000  # refunded
    sync = api.sim.state.faults.add("job_fail", endpoint="videos", times=1)
    r = api.post("/videos", json={"prompt": "x", "email": PRO})
    assert r.status_code == 500 and r.json()["code"] == 500 and sync.remaining is not None


def test_session_expired_account(api: Api) -> None:
    state = api.sim.state
    state.set_account_state(PRO, "session_expired")
    r = api.post("/images", json={"prompt": "x", "email": PRO})
    assert r.status_code == 596 and r.json() == {"error": "Failed to refresh session."}
    r = api.post("/videos", json={"prompt": "x", "email": PRO})
    assert r.status_code == 596
    assert r.json() == {"error": "Failed to refresh session: 500 Internal Server Error"}
    r = api.post(f"/assets/{PRO}", data=_png(), headers={"Content-Type": "image/png"})
    assert r.status_code == 596
    listing = api.get("/accounts").json()["pr***@gmail.com"]
    assert listing["health"] != "OK" and listing["error"].startswith("Failed to refresh session")
    detail = api.get(f"/accounts/{PRO}").json()
    assert detail["health"] != "OK" and "credits" not in detail and "models" not in detail
    body = api.get("/jobs").json()
    assert "pr***@gmail.com" not in body["emails"]
    for _ in range(5):  # auto-choice avoids it
        assert "pr***" not in api.image()["jobId"]
    # re-adding the account with fresh cookies repairs it
    assert api.post("/accounts", json={"cookies": COOKIES_FOR_PRO}).status_code == 200
    assert api.post("/images", json={"prompt": "x", "email": PRO}).status_code == 200


def test_unhealthy_account_over_http(api: Api) -> None:
    r = api.control(
        "POST",
        f"/accounts/{FREE}/state",
        json={"state": "unhealthy", "health": "Error: quota check failed"},
    )
    assert r.status_code == 200 and r.json()["state"] == "unhealthy"
    listing = api.get("/accounts").json()["fr***@gmail.com"]
    assert listing["health"] == "Error: quota check failed"
    assert "fr***@gmail.com" not in api.get("/jobs").json()["emails"]
    assert (
        api.control("POST", "/accounts/nobody@gmail.com/state", json={"state": "ok"}).status_code
        == 404
    )
    assert (
        api.control("POST", f"/accounts/{FREE}/state", json={"state": "weird"}).status_code == 400
    )


def test_faults_over_http(api: Api) -> None:
    r = api.control(
        "POST",
        "/faults",
        json={"kind": "unavailable", "endpoint": "images", "email": ULTRA, "times": "once"},
    )
    assert r.status_code == 201
    fault_id = r.json()["id"]
    listed = api.control("GET", "/faults").json()["faults"]
    assert [f["id"] for f in listed] == [fault_id] and listed[0]["remaining"] == 1
    assert api.post("/images", json={"prompt": "x", "email": ULTRA}).status_code == 503
    assert api.control("GET", "/faults").json()["faults"] == []
    r = api.control(
        "POST",
        "/faults",
        json={
            "faults": [
                {"kind": "throttled", "endpoint": "images"},
                {"kind": "unavailable", "endpoint": "videos"},
            ]
        },
    )
    assert r.status_code == 201 and len(r.json()["faults"]) == 2
    first = r.json()["faults"][0]["id"]
    assert api.control("DELETE", f"/faults/{first}").json() == {"cleared": 1}
    assert api.control("DELETE", "/faults").json() == {"cleared": 1}
    for bad in ({"kind": "meteor"}, {"kind": "throttled", "times": 0}, {}):
        assert api.control("POST", "/faults", json=bad).status_code == 400


def test_request_log_health_settings_and_reset(api: Api) -> None:
    api.post("/images", json={"prompt": "logged", "count": 1})
    api.post("/images", json={"prompt": "logged twice", "count": 1})
    r = api.control("GET", "/requests", params={"path": "/images"})
    entries = r.json()["requests"]
    assert r.json()["count"] == 2
    assert entries[0]["method"] == "POST" and entries[0]["body"]["prompt"] == "logged"
    assert entries[0]["status"] == 200 and entries[0]["account"]
    assert "Authorization" not in entries[0]["headers"] and "User-Agent" in entries[0]["headers"]
    health = api.control("GET", "/health").json()
    assert health["status"] == "ok" and health["baseUrl"] == api.base
    assert set(health["accounts"]) == {ULTRA, PRO, FREE}
    settings = api.control("POST", "/settings", json={"speed": 250, "imageConcurrency": 6}).json()
    assert settings["speed"] == 250 and settings["imageConcurrency"] == 6
    assert api.control("POST", "/settings", json={"speed": -1}).status_code == 400
    assert api.control("POST", "/reset").status_code == 200
    assert api.control("GET", "/requests").json()["count"] == 0
    assert api.control("GET", "/settings").json()["speed"] == 500


def _png() -> bytes:
    from .conftest import image_bytes

    return image_bytes()
