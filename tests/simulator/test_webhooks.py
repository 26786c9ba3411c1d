"""Webhooks: the job record is POSTed to replyUrl at each status change."""

from __future__ import annotations

import time

from .conftest import PRO, Api, Receiver


def test_async_video_posts_created_started_completed_in_order(api: Api, receiver: Receiver) -> None:
    r = api.post(
        "/videos",
        json={
            "prompt": "hooked",
            "async": True,
            "email": PRO,
            "replyUrl": receiver.url,
            "replyRef": "job-42",
        },
    )
    assert r.status_code == 201
    job_id = r.json()["jobid"]
    bodies = receiver.wait_for(lambda b: any(x["status"] == "completed" for x in b))
    assert [b["status"] for b in bodies] == ["created", "started", "completed"]
    for body in bodies:
        assert body["jobid"] == job_id and body["type"] == "video"
        assert body["request"]["replyRef"] == "job-42"
        assert body["request"]["replyUrl"] == receiver.url
    completed = bodies[-1]
    assert completed == api.get("/jobs/" + job_id).json()  # same shape as GET /jobs/{jobId}
    assert completed["response"]["operations"][0]["operation"]["metadata"]["video"]["fifeUrl"]
    deliveries = api.control("GET", "/webhooks").json()["webhooks"]
    assert [d["status"] for d in deliveries] == ["created", "started", "completed"]
    assert all(d["delivered"] and d["httpStatus"] == 200 for d in deliveries)


def test_images_post_created_and_completed(api: Api, receiver: Receiver) -> None:
    job = api.image(replyUrl=receiver.url, replyRef="img-1")
    bodies = receiver.wait_for(lambda b: len(b) >= 2)
    assert [b["status"] for b in bodies] == ["created", "completed"]
    assert all(b["jobid"] == job["jobId"] and b["request"]["replyRef"] == "img-1" for b in bodies)


def test_a_failing_job_posts_failed(api: Api, receiver: Receiver) -> None:
    api.sim.state.faults.add("job_fail", endpoint="videos", times=1)
    api.post("/videos", json={"prompt": "doomed", "async": True, "replyUrl": receiver.url})
    bodies = receiver.wait_for(lambda b: any(x["status"] == "failed" for x in b))
    assert [b["status"] for b in bodies] == ["created", "started", "failed"]
    assert bodies[-1]["code"] == 500


def test_lost_webhooks_never_arrive(api: Api, receiver: Receiver) -> None:
    api.sim.state.faults.add("webhook_lost", endpoint="videos", times=1)
    r = api.post("/videos", json={"prompt": "silent", "async": True, "replyUrl": receiver.url})
    job_id = r.json()["jobid"]
    deadline = time.monotonic() + 10
    while api.get("/jobs/" + job_id).json()["status"] != "completed":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.3)
    assert receiver.bodies == []
    deliveries = api.control("GET", "/webhooks").json()["webhooks"]
    assert len(deliveries) == 3 and all(d["lost"] and not d["delivered"] for d in deliveries)


def test_an_unreachable_receiver_is_not_retried(api: Api, receiver: Receiver) -> None:
    url = receiver.url
    receiver.close()
    job = api.image(replyUrl=url)
    deadline = time.monotonic() + 10
    while len(api.control("GET", "/webhooks").json()["webhooks"]) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.3)
    deliveries = [
        d for d in api.control("GET", "/webhooks").json()["webhooks"] if d["jobId"] == job["jobId"]
    ]
    assert len(deliveries) == 2
    deadline = time.monotonic() + 10
    while not all(d["error"] for d in deliveries):
        assert time.monotonic() < deadline
        time.sleep(0.05)
        deliveries = api.control("GET", "/webhooks").json()["webhooks"]
    assert not any(d["delivered"] for d in deliveries)


def test_created_callback_carries_the_captcha_block(api: Api, receiver: Receiver) -> None:
    r = api.post("/videos", json={"prompt": "x", "async": True, "replyUrl": receiver.url})
    bodies = receiver.wait_for(lambda b: len(b) >= 1)
    assert bodies[0]["status"] == "created"
    assert bodies[0]["response"]["captcha"] == r.json()["response"]["captcha"]
    api.sim.state.faults.add("captcha_rejected", endpoint="images", times=1)
    api.post("/images", json={"prompt": "x", "replyUrl": receiver.url})
    bodies = receiver.wait_for(lambda b: any(x["status"] == "failed" for x in b))
    image_bodies = [b for b in bodies if b["type"] == "image"]
    assert [b["status"] for b in image_bodies] == ["created", "failed"]
    assert image_bodies[-1]["code"] == 403
