"""GET /jobs (load balancing), GET /jobs/{jobId}, concurrency and simulated time."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from .conftest import FREE, PRO, ULTRA, Api

MASK = {ULTRA: "ul***@gmail.com", PRO: "pr***@gmail.com", FREE: "fr***@gmail.com"}


def _summary(api: Api, category: str = "images", option: str = "summary") -> dict:
    r = api.get("/jobs", params={"options": option})
    assert r.status_code == 200
    return r.json()[category]["summary"]


def _auto_image_account(api: Api) -> str:
    job_id = api.image()["jobId"]
    return next(email for email, masked in MASK.items() if f"email:{masked}-" in job_id)


def test_scores_follow_the_documented_formula(api: Api) -> None:
    state = api.sim.state
    state.faults.add("throttled", endpoint="images", email=ULTRA, times=1)
    state.faults.add("moderated", endpoint="images", email=PRO, times=1)
    assert api.post("/images", json={"prompt": "x", "email": ULTRA}).status_code == 429
    assert api.post("/images", json={"prompt": "x", "email": PRO}).status_code == 500
    assert api.post("/images", json={"prompt": "x", "email": FREE}).status_code == 200

    body = api.get("/jobs").json()
    assert sorted(body["emails"]) == sorted(MASK.values())
    images = body["images"]["summary"]
    assert set(images) == set(MASK.values())
    expected = {
        ULTRA: (0, 0, 0, 1, 20),
        PRO: (0, 0, 1, 0, 10),
        FREE: (0, 1, 0, 0, 0),
    }
    for email, (executing, completed, failed, limited, score) in expected.items():
        row = images[MASK[email]]
        assert (
            row["executing"],
            row["completed"],
            row["failed"],
            row["rateLimited"],
            row["score"],
        ) == (executing, completed, failed, limited, score), (email, row)
        assert row["avgResponseTime"] > 0
    assert body["combined"]["summary"] == images  # no video jobs yet
    assert all(row["score"] == 0 for row in body["videos"]["summary"].values())

    # the lowest score gets the next job without email
    assert _auto_image_account(api) == FREE
    # two failures on FREE: 20, PRO 10, ULTRA 20 -> PRO
    state.faults.add("unavailable", endpoint="images", email=FREE, times=2)
    assert api.post("/images", json={"prompt": "x", "email": FREE}).status_code == 503
    assert api.post("/images", json={"prompt": "x", "email": FREE}).status_code == 503
    images = _summary(api)
    assert images[MASK[FREE]]["score"] == 20 and images[MASK[FREE]]["completed"] == 2
    assert _auto_image_account(api) == PRO

    # statistics older than 15 minutes leave the window
    state.advance(15 * 60 + 1)
    assert all(row["score"] == 0 and row["completed"] == 0 for row in _summary(api).values())


def test_executing_jobs_count_in_the_score_and_appear_with_elapsed(api: Api) -> None:
    state = api.sim.state
    state.settings.speed = 1.0
    result = {}

    def call() -> None:
        result["r"] = api.post("/images", json={"prompt": "slow", "email": ULTRA})

    thread = threading.Thread(target=call)
    thread.start()
    deadline = time.monotonic() + 5
    body = {}
    while time.monotonic() < deadline:
        body = api.get("/jobs", params={"options": "executing"}).json()
        if body["images"]["executing"]:
            break
        time.sleep(0.02)
    ((job_id, running),) = body["images"]["executing"].items()
    assert running["email"] == MASK[ULTRA] and ":" in running["elapsed"]
    assert isinstance(running["timestamp"], int)
    row = body["images"]["summary"][MASK[ULTRA]]
    assert row["executing"] == 1 and row["score"] == 1
    assert body["combined"]["summary"][MASK[ULTRA]]["executing"] == 1
    assert "history" not in body["images"]
    state.settings.speed = 500.0  # the slow job keeps its schedule; new work is fast again
    assert _auto_image_account(api) != ULTRA  # busy account avoided (others score 0)
    while thread.is_alive():  # finish the slow job by moving simulated time
        state.advance(30)
        thread.join(0.05)
    assert result["r"].status_code == 200
    history = api.get("/jobs", params={"options": "history"}).json()["images"]
    assert history["executing"] == {}
    assert history["history"][job_id]["httpStatus"] == 200
    assert history["history"][job_id]["responseTime"] > 0


def test_history_keeps_the_ten_most_recent(api: Api) -> None:
    for _ in range(12):
        api.image(email=PRO)
    history = api.get("/jobs", params={"options": "history"}).json()["images"]["history"]
    assert len(history) == 10


def test_jobs_options_validation(api: Api) -> None:
    r = api.get("/jobs", params={"options": "everything"})
    assert r.status_code == 400
    assert r.json() == {"error": "Invalid options parameter. Use: summary, executing, or history"}
    assert api.get("/jobs/").status_code == 200  # the documented URL has a trailing slash


def test_job_lookup_errors_and_expiry(api: Api) -> None:
    job_id = api.image()["jobId"]
    assert api.get("/jobs/not-a-job").json() == {"error": "Invalid job ID format"}
    assert api.get("/jobs/not-a-job").status_code == 400
    other = "j1731859234567v-u999-email:jo***@gmail.com-bot:google-flow"
    r = api.get("/jobs/" + other)
    assert r.status_code == 403
    assert r.json() == {"error": "Access denied - job belongs to different user"}
    unknown = "j1731859234567v-u1000-email:jo***@gmail.com-bot:google-flow"
    assert api.get("/jobs/" + unknown).status_code == 404
    assert api.get("/jobs/" + unknown).json() == {"error": "Job not found"}
    api.sim.state.advance(7 * 86400 - 60)
    assert api.get("/jobs/" + job_id).status_code == 200
    api.control("POST", "/clock", json={"advance": 120})
    r = api.get("/jobs/" + job_id)
    assert r.status_code == 410
    assert r.json() == {"error": "Job has expired"}


def test_parallel_sync_images_really_run_in_parallel(api: Api) -> None:
    state = api.sim.state
    state.settings.speed = 10.0
    state.durations["image"] = (10.0, 10.0)  # 1 s of real time each
    body = {"prompt": "parallel", "count": 1, "captchaToken": "t" * 30}
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(lambda _: api.post("/images", json=body), range(6)))
    elapsed = time.monotonic() - started
    assert [r.status_code for r in responses] == [200] * 6
    assert elapsed < 3.0, elapsed  # six 1-second generations, not six seconds
    owners = [r.json()["jobId"].split("-email:")[1][:2] for r in responses]
    assert sorted(owners) == ["fr", "fr", "pr", "pr", "ul", "ul"]  # spread by executing count
    assert responses[0].json()["captcha"]["service"] == "UserProvided"


def test_per_account_image_concurrency_limit_answers_429(api: Api) -> None:
    state = api.sim.state
    state.settings.speed = 10.0
    state.durations["image"] = (10.0, 10.0)
    state.set_account_state(ULTRA, image_concurrency=2)
    body = {"prompt": "limit", "email": ULTRA, "captchaToken": "t" * 30}
    with ThreadPoolExecutor(max_workers=3) as pool:
        responses = list(pool.map(lambda _: api.post("/images", json=body), range(3)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 200, 429]
    throttled = next(r for r in responses if r.status_code == 429).json()
    assert throttled["error"]["details"][0]["reason"] == "PUBLIC_ERROR_USER_REQUESTS_THROTTLED"
    assert _summary(api)[MASK[ULTRA]]["rateLimited"] == 1
