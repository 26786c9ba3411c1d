"""Each endpoint's request is exactly as documented: method, path, query, headers, body."""

from __future__ import annotations

import io
from typing import Any

import pytest
import requests

from flowdash.useapi.client import Timeouts, UseapiClient
from flowdash.useapi.types import ConcatItem

from .conftest import TOKEN, USER_AGENT, FakeApi, fixture_json

MGID_VIDEO = "user:12345-email:6a6f...-video:CAMaJDMx..."
JOB_ID = "j1731859234567v-u12345-email:jo***@gmail.com-bot:google-flow"

# documented request bodies replayed below
REQUEST_FIXTURES = (
    "request-post-accounts",
    "request-post-accounts-captcha-providers",
    "request-post-images",
    "request-post-images-upscale",
    "request-post-videos-extend",
    "request-post-videos-upscale",
    "request-post-videos-gif",
    "request-post-videos-concatenate",
)


def _assert_common_headers(recorded: Any) -> None:
    assert recorded.headers["authorization"] == f"Bearer {TOKEN}"
    assert recorded.headers["user-agent"] == USER_AGENT
    assert recorded.headers["accept"] == "application/json"


def _assert_json_post(fake_api: FakeApi, path: str) -> dict[str, Any]:
    recorded = fake_api.last
    assert recorded.method == "POST"
    assert fake_api.api_path(recorded) == path
    assert recorded.query == {}
    assert recorded.headers["content-type"] == "application/json"
    _assert_common_headers(recorded)
    return recorded.json()


# --- accounts ---------------------------------------------------------------------------------


def test_list_accounts_request(fake_api: FakeApi, api_client: UseapiClient) -> None:
    fake_api.reply(200, fixture="get-accounts-200")
    api_client.list_accounts()
    recorded = fake_api.last
    assert (recorded.method, fake_api.api_path(recorded), recorded.query) == (
        "GET",
        "/accounts",
        {},
    )
    assert recorded.body == b"" and "content-type" not in recorded.headers
    _assert_common_headers(recorded)


@pytest.mark.parametrize(
    ("email", "encoded"),
    [("john@gmail.com", "john%40gmail.com"), ("a.b+flow@x.co", "a.b%2Bflow%40x.co")],
)
def test_account_paths_url_encode_the_email(
    fake_api: FakeApi, api_client: UseapiClient, email: str, encoded: str
) -> None:
    fake_api.reply(200, fixture="get-accounts-email-200")
    api_client.get_account(email)
    assert fake_api.last.method == "GET"
    assert fake_api.last.target.endswith(f"/accounts/{encoded}")
    fake_api.reply(200, fixture="delete-accounts-email-200")
    api_client.delete_account(email)
    assert fake_api.last.method == "DELETE"
    assert fake_api.last.target.endswith(f"/accounts/{encoded}")
    assert fake_api.last.body == b""
    _assert_common_headers(fake_api.last)


def test_add_account_body_is_the_documented_one(
    fake_api: FakeApi, api_client: UseapiClient
) -> None:
    documented = fixture_json("request-post-accounts")
    fake_api.reply(201, fixture="post-accounts-201")
    api_client.add_account(documented["cookies"])
    assert _assert_json_post(fake_api, "/accounts") == documented


def test_captcha_provider_requests(fake_api: FakeApi, api_client: UseapiClient) -> None:
    fake_api.reply(200, fixture="get-accounts-captcha-providers-200")
    api_client.get_captcha_providers()
    assert (fake_api.last.method, fake_api.api_path(fake_api.last)) == (
        "GET",
        "/accounts/captcha-providers",
    )
    documented = fixture_json("request-post-accounts-captcha-providers")
    fake_api.reply(200, fixture="post-accounts-captcha-providers-200")
    api_client.set_captcha_providers(documented)
    assert _assert_json_post(fake_api, "/accounts/captcha-providers") == documented
    # an empty string removes a provider and must be sent as such
    fake_api.reply(200, fixture="post-accounts-captcha-providers-200")
    api_client.set_captcha_providers({"EzCaptcha": ""})
    assert fake_api.last.json() == {"EzCaptcha": ""}


def test_captcha_stats_query(fake_api: FakeApi, api_client: UseapiClient) -> None:
    import datetime as dt

    fake_api.reply(200, fixture="get-accounts-captcha-stats-200")
    api_client.get_captcha_stats()
    assert fake_api.api_path(fake_api.last) == "/accounts/captcha-stats"
    assert fake_api.last.query == {}  # nothing unset is sent
    fake_api.reply(200, fixture="get-accounts-captcha-stats-200")
    api_client.get_captcha_stats(date=dt.date(2026, 2, 4), limit=500, provider="CapSolver")
    assert fake_api.last.query == {
        "date": ["2026-02-04"],
        "limit": ["500"],
        "provider": ["CapSolver"],
    }
    fake_api.reply(200, fixture="get-accounts-captcha-stats-200-anonymized")
    api_client.get_captcha_stats(anonymized=True)
    assert fake_api.last.query == {"anonymized": ["true"]}


# --- assets -----------------------------------------------------------------------------------


def test_upload_asset_sends_raw_bytes(fake_api: FakeApi, api_client: UseapiClient) -> None:
    data = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4
    fake_api.reply(200, fixture="post-assets-200")
    api_client.upload_asset(data, "image/jpeg", email="john@gmail.com")
    recorded = fake_api.last
    assert recorded.method == "POST"
    assert recorded.target.endswith("/assets/john%40gmail.com")
    assert recorded.headers["content-type"] == "image/jpeg"
    assert recorded.body == data
    _assert_common_headers(recorded)
    fake_api.reply(200, fixture="post-assets-200")
    api_client.upload_asset(data, "image/png")
    assert fake_api.api_path(fake_api.last) == "/assets"


def test_upload_asset_streams_a_file(
    fake_api: FakeApi, api_client: UseapiClient, tmp_path: Any
) -> None:
    path = tmp_path / "big.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x07" * 300_000)
    fake_api.reply(200, fixture="post-assets-200")
    with path.open("rb") as handle:
        api_client.upload_asset(handle, "image/png")
    assert fake_api.last.body == path.read_bytes()
    assert fake_api.last.headers["content-length"] == str(path.stat().st_size)
    fake_api.reply(200, fixture="post-assets-200")
    api_client.upload_asset(path, "image/png")  # a path is opened and streamed too
    assert fake_api.last.body == path.read_bytes()


def test_upload_asset_streams_an_unsized_reader(
    fake_api: FakeApi, api_client: UseapiClient
) -> None:
    class Reader:  # no len, no seek, no fileno: size unknowable, sent chunked
        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def read(self, size: int = -1) -> bytes:
            return self._data.read(size)

    data = b"\x89PNG" + b"\x01" * 50_000
    fake_api.reply(200, fixture="post-assets-200")
    api_client.upload_asset(Reader(data), "image/png")  # type: ignore[arg-type]
    assert fake_api.last.chunked and fake_api.last.body == data


# --- images -----------------------------------------------------------------------------------


def test_generate_images_documented_body(fake_api: FakeApi, api_client: UseapiClient) -> None:
    documented = fixture_json("request-post-images")
    fake_api.reply(200, fixture="post-images-200")
    api_client.generate_images(
        documented["prompt"],
        model=documented["model"],
        aspect_ratio=documented["aspectRatio"],
        count=documented["count"],
        seed=documented["seed"],
    )
    assert _assert_json_post(fake_api, "/images") == documented


def test_generate_images_sends_only_what_is_set(
    fake_api: FakeApi, api_client: UseapiClient
) -> None:
    fake_api.reply(200, fixture="post-images-200")
    api_client.generate_images("just a prompt")
    assert _assert_json_post(fake_api, "/images") == {"prompt": "just a prompt"}


def test_generate_images_every_parameter(fake_api: FakeApi, api_client: UseapiClient) -> None:
    refs = [f"user:1-email:aa-image:{i}" for i in range(1, 6)]
    fake_api.reply(200, fixture="post-images-200")
    api_client.generate_images(
        "a cat",
        email="john@gmail.com",
        model="nano-banana-pro",
        aspect_ratio="portrait",
        count=2,
        seed=0,
        references=refs,
        reply_url="https://example.com/hooks/useapi/1/abc/",
        reply_ref="abc",
        captcha_retry=5,
    )
    body = _assert_json_post(fake_api, "/images")
    assert body == {
        "prompt": "a cat",
        "email": "john@gmail.com",
        "model": "nano-banana-pro",
        "aspectRatio": "portrait",
        "count": 2,
        "seed": 0,
        **{f"reference_{i}": ref for i, ref in enumerate(refs, start=1)},
        "replyUrl": "https://example.com/hooks/useapi/1/abc/",
        "replyRef": "abc",
        "captchaRetry": 5,
    }
    assert type(body["count"]) is int and type(body["captchaRetry"]) is int


def test_captcha_order_and_token_are_sent_as_documented(
    fake_api: FakeApi, api_client: UseapiClient
) -> None:
    fake_api.reply(200, fixture="post-images-200")
    api_client.generate_images("a", captcha_order=["EzCaptcha", "EzCaptcha", "CapSolver"])
    assert fake_api.last.json()["captchaOrder"] == "EzCaptcha,EzCaptcha,CapSolver"
    fake_api.reply(200, fixture="post-images-200")
    api_client.generate_images("a", captcha_token="03AFcWeA" + "x" * 40)
    assert fake_api.last.json() == {"prompt": "a", "captchaToken": "03AFcWeA" + "x" * 40}


def test_upscale_image_documented_body(fake_api: FakeApi, api_client: UseapiClient) -> None:
    documented = fixture_json("request-post-images-upscale")
    fake_api.reply(200, fixture="post-images-upscale-200")
    api_client.upscale_image(
        documented["mediaGenerationId"], resolution=documented["resolution"], dest=io.BytesIO()
    )
    assert _assert_json_post(fake_api, "/images/upscale") == documented
    fake_api.reply(200, fixture="post-images-upscale-200")
    api_client.upscale_image("m", resolution="4k", captcha_order="CapSolver", dest=io.BytesIO())
    assert fake_api.last.json() == {
        "mediaGenerationId": "m",
        "resolution": "4k",
        "captchaOrder": "CapSolver",
    }


# --- videos -----------------------------------------------------------------------------------


def test_generate_videos_minimal_is_async(fake_api: FakeApi, api_client: UseapiClient) -> None:
    fake_api.reply(201, fixture="post-videos-201-async")
    api_client.generate_videos("a fox")
    assert _assert_json_post(fake_api, "/videos") == {"prompt": "a fox", "async": True}
    fake_api.reply(200, fixture="post-videos-200-sync")
    api_client.generate_videos("a fox", async_=False)
    assert fake_api.last.json() == {"prompt": "a fox"}  # async defaults to false in the API


def test_generate_videos_frames_and_references(fake_api: FakeApi, api_client: UseapiClient) -> None:
    fake_api.reply(201, fixture="post-videos-201-async")
    api_client.generate_videos(
        "a fox",
        email="john@gmail.com",
        model="veo-3.1-quality",
        aspect_ratio="portrait",
        count=4,
        seed=123456,
        start_image="user:1-email:aa-image:start",
        end_image="user:1-email:aa-image:end",
        reply_url="https://example.com/hook",
        reply_ref="r1",
        captcha_order="CapSolver,EzCaptcha",
    )
    assert _assert_json_post(fake_api, "/videos") == {
        "prompt": "a fox",
        "email": "john@gmail.com",
        "model": "veo-3.1-quality",
        "aspectRatio": "portrait",
        "count": 4,
        "seed": 123456,
        "startImage": "user:1-email:aa-image:start",
        "endImage": "user:1-email:aa-image:end",
        "async": True,
        "replyUrl": "https://example.com/hook",
        "replyRef": "r1",
        "captchaOrder": "CapSolver,EzCaptcha",
    }
    fake_api.reply(201, fixture="post-videos-201-async")
    api_client.generate_videos(
        "a fox", reference_images=["r:1", "r:2", "r:3"], extra={"duration": 8}
    )
    assert fake_api.last.json() == {
        "prompt": "a fox",
        "referenceImage_1": "r:1",
        "referenceImage_2": "r:2",
        "referenceImage_3": "r:3",
        "async": True,
        "duration": 8,
    }


def test_extend_video_documented_body(fake_api: FakeApi, api_client: UseapiClient) -> None:
    documented = fixture_json("request-post-videos-extend")
    fake_api.reply(200, fixture="post-videos-extend-200")
    api_client.extend_video(documented["mediaGenerationId"], documented["prompt"], async_=False)
    assert _assert_json_post(fake_api, "/videos/extend") == documented
    fake_api.reply(201, fixture="post-videos-extend-201-async")
    api_client.extend_video("m", "p", model="veo-3.1-quality", count=2, seed=7, reply_ref="x")
    assert fake_api.last.json() == {
        "mediaGenerationId": "m",
        "prompt": "p",
        "model": "veo-3.1-quality",
        "count": 2,
        "seed": 7,
        "async": True,
        "replyRef": "x",
    }


def test_upscale_video_documented_body(fake_api: FakeApi, api_client: UseapiClient) -> None:
    documented = fixture_json("request-post-videos-upscale")
    fake_api.reply(200, fixture="post-videos-upscale-200")
    api_client.upscale_video(
        documented["mediaGenerationId"], resolution=documented["resolution"], async_=False
    )
    assert _assert_json_post(fake_api, "/videos/upscale") == documented
    fake_api.reply(201, fixture="post-videos-upscale-201-async")
    api_client.upscale_video("m", resolution="4k", captcha_retry=1)
    assert fake_api.last.json() == {
        "mediaGenerationId": "m",
        "resolution": "4K",  # the documented spelling
        "async": True,
        "captchaRetry": 1,
    }


def test_gif_documented_body(fake_api: FakeApi, api_client: UseapiClient) -> None:
    documented = fixture_json("request-post-videos-gif")
    fake_api.reply(200, fixture="post-videos-gif-200")
    api_client.make_gif(documented["mediaGenerationId"], dest=io.BytesIO())
    assert _assert_json_post(fake_api, "/videos/gif") == documented


def test_concatenate_documented_body(fake_api: FakeApi, api_client: UseapiClient) -> None:
    documented = fixture_json("request-post-videos-concatenate")
    items = [
        ConcatItem(m["mediaGenerationId"], m.get("trimStart"), m.get("trimEnd"))
        for m in documented["media"]
    ]
    fake_api.reply(200, fixture="post-videos-concatenate-200")
    api_client.concatenate_videos(items, dest=io.BytesIO())
    body = _assert_json_post(fake_api, "/videos/concatenate")
    assert body == documented
    assert type(body["media"][2]["trimEnd"]) is int
    fake_api.reply(200, fixture="post-videos-concatenate-200")
    api_client.concatenate_videos(documented["media"], dest=io.BytesIO())  # API-shaped dicts
    assert fake_api.last.json() == documented


# --- jobs -------------------------------------------------------------------------------------


def test_get_jobs_query(fake_api: FakeApi, api_client: UseapiClient) -> None:
    fake_api.reply(200, fixture="get-jobs-200-summary")
    api_client.get_jobs()
    recorded = fake_api.last
    assert (recorded.method, fake_api.api_path(recorded)) == ("GET", "/jobs")
    assert recorded.query == {"options": ["summary"]}
    fake_api.reply(200, fixture="get-jobs-200-history")
    api_client.get_jobs("history")
    assert fake_api.last.query == {"options": ["history"]}


def test_get_job_path_keeps_the_documented_id(fake_api: FakeApi, api_client: UseapiClient) -> None:
    fake_api.reply(200, fixture="get-jobs-jobid-200-video-completed")
    api_client.get_job(JOB_ID)
    assert fake_api.last.method == "GET"
    assert fake_api.api_path(fake_api.last) == f"/jobs/{JOB_ID}"
    fake_api.reply(200, fixture="get-jobs-jobid-200-video-completed")
    api_client.get_job("odd/id?x#y")  # path-breaking characters are escaped, not interpreted
    assert fake_api.api_path(fake_api.last) == "/jobs/odd%2Fid%3Fx%23y"
    assert fake_api.last.query == {}


# --- timeouts and the session -----------------------------------------------------------------


class RecordingSession(requests.Session):
    """A real session that also notes the timeout each request was given."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[Any] = []

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.timeouts.append(kwargs.get("timeout"))
        return super().request(method, url, **kwargs)


def test_each_endpoint_has_its_timeouts(fake_api: FakeApi) -> None:
    session = RecordingSession()
    api = UseapiClient(fake_api.base_url, TOKEN, session=session)
    defaults = Timeouts()
    fake_api.reply(200, fixture="get-jobs-jobid-200-video-completed")
    api.get_job(JOB_ID)
    fake_api.reply(200, fixture="post-images-200")
    api.generate_images("a")
    fake_api.reply(201, fixture="post-videos-201-async")
    api.generate_videos("a")
    fake_api.reply(200, fixture="post-videos-200-sync")
    api.generate_videos("a", async_=False)
    fake_api.reply(200, fixture="post-videos-gif-200")
    api.make_gif("m", dest=io.BytesIO())
    fake_api.reply(200, fixture="post-videos-concatenate-200")
    api.concatenate_videos(["a", "b"], dest=io.BytesIO())
    assert session.timeouts == [
        (10.0, defaults.short),
        (10.0, defaults.image),
        (10.0, defaults.video_async),
        (10.0, defaults.video_sync),
        (10.0, defaults.gif),
        (10.0, defaults.concatenate),
    ]
    assert defaults.image >= 120 and defaults.video_sync >= 600 and defaults.concatenate >= 180
    assert defaults.gif >= 90 and defaults.short <= 60
    api.close()
    assert session.adapters  # a caller's session is not closed by the client


def test_one_pooled_session_is_reused(fake_api: FakeApi, api_client: UseapiClient) -> None:
    session = api_client.session
    for _ in range(3):
        fake_api.reply(200, fixture="get-accounts-200")
        api_client.list_accounts()
    assert api_client.session is session
    assert len(fake_api.requests) == 3
