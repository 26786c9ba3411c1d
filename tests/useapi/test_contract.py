"""Every documented (and newer) response, replayed over HTTP, parses to the right type or error."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image

from flowdash.useapi import errors
from flowdash.useapi.client import UseapiClient
from flowdash.useapi.types import (
    Account,
    AccountSaved,
    CaptchaProviders,
    CaptchaStats,
    ConcatenateResult,
    GenerationResult,
    GifResult,
    ImageUpscaleResult,
    Job,
    JobStats,
    UploadedAsset,
)

from .conftest import FIXTURES, FakeApi, fixture_json

MGID_IMAGE = "user:12345-email:6a6f...-image:CAMaJDMx..."
MGID_VIDEO = "user:12345-email:6a6f...-video:CAMaJDMx..."
JOB_ID = "j1731859234567v-u12345-email:jo***@gmail.com-bot:google-flow"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

CALLS: dict[str, Callable[[UseapiClient], Any]] = {
    "list_accounts": lambda c: c.list_accounts(),
    "get_account": lambda c: c.get_account("john@gmail.com"),
    "add_account": lambda c: c.add_account("HSID\tAYQ...\t.google.com\t/\t2027-11-10..."),
    "delete_account": lambda c: c.delete_account("john@gmail.com"),
    "get_captcha_providers": lambda c: c.get_captcha_providers(),
    "set_captcha_providers": lambda c: c.set_captcha_providers({"CapSolver": "key"}),
    "get_captcha_stats": lambda c: c.get_captcha_stats(),
    "upload_asset": lambda c: c.upload_asset(PNG_BYTES, "image/png", email="john@gmail.com"),
    "generate_images": lambda c: c.generate_images("A serene mountain landscape"),
    "upscale_image": lambda c: c.upscale_image(MGID_IMAGE, dest=io.BytesIO()),
    "generate_videos": lambda c: c.generate_videos("A serene mountain landscape"),
    "generate_videos_sync": lambda c: c.generate_videos("A mountain", async_=False),
    "extend_video": lambda c: c.extend_video(MGID_VIDEO, "The camera pans right"),
    "extend_video_sync": lambda c: c.extend_video(MGID_VIDEO, "Pans right", async_=False),
    "upscale_video": lambda c: c.upscale_video(MGID_VIDEO),
    "upscale_video_sync": lambda c: c.upscale_video(MGID_VIDEO, async_=False),
    "make_gif": lambda c: c.make_gif(MGID_VIDEO, dest=io.BytesIO()),
    "concatenate_videos": lambda c: c.concatenate_videos(
        [MGID_VIDEO, MGID_VIDEO], dest=io.BytesIO()
    ),
    "get_jobs": lambda c: c.get_jobs(),
    "get_job": lambda c: c.get_job(JOB_ID),
}


# --- error responses ----------------------------------------------------------------------------

# (fixture, call, class, reason, captcha attempts)
ERROR_CASES: list[tuple[str, str, type[errors.UseapiError], str | None, int]] = [
    ("delete-accounts-email-401", "delete_account", errors.InvalidToken, None, 0),
    ("delete-accounts-email-404", "delete_account", errors.NotFound, None, 0),
    ("get-accounts-401", "list_accounts", errors.InvalidToken, None, 0),
    ("get-accounts-email-401", "get_account", errors.InvalidToken, None, 0),
    ("get-accounts-email-404", "get_account", errors.NotFound, None, 0),
    ("get-accounts-captcha-providers-401", "get_captcha_providers", errors.InvalidToken, None, 0),
    ("post-accounts-captcha-providers-400", "set_captcha_providers", errors.BadRequest, None, 0),
    ("get-accounts-captcha-stats-401", "get_captcha_stats", errors.InvalidToken, None, 0),
    ("post-accounts-400", "add_account", errors.BadRequest, None, 0),
    ("post-accounts-401", "add_account", errors.InvalidToken, None, 0),
    ("post-accounts-402", "add_account", errors.PaymentRequired, None, 0),
    ("post-assets-400", "upload_asset", errors.BadRequest, None, 0),
    (
        "post-assets-400-content-policy",
        "upload_asset",
        errors.ContentPolicy,
        "PUBLIC_ERROR_TRUMP_FACE_DETECTED",
        0,
    ),
    ("post-assets-401", "upload_asset", errors.InvalidToken, None, 0),
    ("post-assets-404", "upload_asset", errors.NotFound, None, 0),
    (
        "post-assets-429",
        "upload_asset",
        errors.RateLimited,
        "PUBLIC_ERROR_USER_REQUESTS_THROTTLED",
        0,
    ),
    ("post-assets-596", "upload_asset", errors.SessionExpired, None, 0),
    ("post-images-400", "generate_images", errors.BadRequest, None, 0),
    (
        "post-images-400-content-policy",
        "generate_images",
        errors.ContentPolicy,
        "PUBLIC_ERROR_UNSAFE_GENERATION",
        0,
    ),
    ("post-images-401", "generate_images", errors.InvalidToken, None, 0),
    ("post-images-402", "generate_images", errors.PaymentRequired, None, 0),
    (
        "post-images-403-captcha",
        "generate_images",
        errors.CaptchaRejected,
        "PUBLIC_ERROR_SOMETHING_WENT_WRONG",
        3,
    ),
    ("post-images-404", "generate_images", errors.NotFound, None, 0),
    (
        "post-images-429-throttled",
        "generate_images",
        errors.RateLimited,
        "PUBLIC_ERROR_USER_REQUESTS_THROTTLED",
        0,
    ),
    (
        "post-images-429-daily-quota",
        "generate_images",
        errors.RateLimited,
        "PUBLIC_ERROR_PER_MODEL_DAILY_QUOTA_REACHED",
        0,
    ),
    ("post-images-500", "generate_images", errors.Moderated, None, 0),
    ("post-images-503", "generate_images", errors.Unavailable, "SERVICE_UNAVAILABLE", 0),
    ("post-images-596", "generate_images", errors.SessionExpired, None, 0),
    ("post-images-upscale-400", "upscale_image", errors.BadRequest, None, 0),
    ("post-images-upscale-401", "upscale_image", errors.InvalidToken, None, 0),
    (
        "post-images-upscale-403-captcha",
        "upscale_image",
        errors.CaptchaRejected,
        "PUBLIC_ERROR_SOMETHING_WENT_WRONG",
        1,
    ),
    ("post-images-upscale-404", "upscale_image", errors.NotFound, None, 0),
    (
        "post-images-upscale-429",
        "upscale_image",
        errors.RateLimited,
        "PUBLIC_ERROR_PER_MODEL_DAILY_QUOTA_REACHED_UPGRADEABLE",
        1,
    ),
    ("post-videos-596", "generate_videos", errors.SessionExpired, None, 0),
    ("post-videos-408", "generate_videos_sync", errors.PollingTimeout, None, 0),
    (
        "post-videos-400-content-policy",
        "generate_videos",
        errors.ContentPolicy,
        "PUBLIC_ERROR_UNSAFE_GENERATION",
        0,
    ),
    (
        "post-videos-403-model-access-denied",
        "generate_videos",
        errors.ModelAccessDenied,
        "PUBLIC_ERROR_MODEL_ACCESS_DENIED",
        0,
    ),
    (
        "post-videos-429-no-eligible-account",
        "generate_videos",
        errors.NoEligibleAccount,  # its own class since the supplement (§1.2)
        "no_eligible_account",
        0,
    ),
    ("post-videos-extend-400", "extend_video", errors.BadRequest, None, 0),
    ("post-videos-extend-401", "extend_video", errors.InvalidToken, None, 0),
    (
        "post-videos-extend-403-captcha",
        "extend_video",
        errors.CaptchaRejected,
        "PUBLIC_ERROR_SOMETHING_WENT_WRONG",
        0,
    ),
    ("post-videos-extend-404", "extend_video", errors.NotFound, None, 0),
    ("post-videos-extend-408", "extend_video_sync", errors.PollingTimeout, None, 0),
    ("post-videos-upscale-400", "upscale_video", errors.BadRequest, None, 0),
    ("post-videos-upscale-401", "upscale_video", errors.InvalidToken, None, 0),
    (
        "post-videos-upscale-403-captcha",
        "upscale_video",
        errors.CaptchaRejected,
        "PUBLIC_ERROR_SOMETHING_WENT_WRONG",
        1,
    ),
    ("post-videos-upscale-404", "upscale_video", errors.NotFound, None, 0),
    ("post-videos-upscale-408", "upscale_video_sync", errors.PollingTimeout, None, 0),
    ("post-videos-gif-400", "make_gif", errors.BadRequest, None, 0),
    ("post-videos-gif-400-invalid-type", "make_gif", errors.BadRequest, None, 0),
    ("post-videos-gif-401", "make_gif", errors.InvalidToken, None, 0),
    ("post-videos-gif-404", "make_gif", errors.NotFound, None, 0),
    ("post-videos-concatenate-400", "concatenate_videos", errors.BadRequest, None, 0),
    ("post-videos-concatenate-401", "concatenate_videos", errors.InvalidToken, None, 0),
    ("post-videos-concatenate-404", "concatenate_videos", errors.NotFound, None, 0),
    ("post-videos-concatenate-408", "concatenate_videos", errors.PollingTimeout, None, 0),
    ("get-jobs-400", "get_jobs", errors.BadRequest, None, 0),
    ("get-jobs-401", "get_jobs", errors.InvalidToken, None, 0),
    ("get-jobs-jobid-400", "get_job", errors.BadRequest, None, 0),
    ("get-jobs-jobid-401", "get_job", errors.InvalidToken, None, 0),
    ("get-jobs-jobid-403", "get_job", errors.Forbidden, None, 0),
    ("get-jobs-jobid-404", "get_job", errors.NotFound, None, 0),
    ("get-jobs-jobid-410", "get_job", errors.JobExpired, None, 0),
]


def _status_of(fixture: str) -> int:
    return int(re.search(r"-(\d{3})(?:-|$)", fixture).group(1))


@pytest.mark.parametrize(
    ("fixture", "call", "cls", "reason", "attempts"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES]
)
def test_error_fixture_raises_its_class(
    fake_api: FakeApi,
    api_client: UseapiClient,
    fixture: str,
    call: str,
    cls: type[errors.UseapiError],
    reason: str | None,
    attempts: int,
) -> None:
    status = _status_of(fixture)
    fake_api.reply(status, fixture=fixture)
    with pytest.raises(errors.UseapiError) as caught:
        CALLS[call](api_client)
    error = caught.value
    assert type(error) is cls
    assert error.status == status
    assert error.reason == reason
    assert len(error.attempts) == attempts
    assert error.payload == fixture_json(fixture)
    body_error = fixture_json(fixture)["error"]
    expected_message = body_error if isinstance(body_error, str) else body_error["message"]
    assert error.api_message == expected_message
    assert error.may_have_reached_service is True
    assert error.user_message.endswith(".") and "\n" not in error.user_message
    assert str(status) in str(error)


def test_captcha_rejection_exposes_attempts_and_job(
    fake_api: FakeApi, api_client: UseapiClient
) -> None:
    fake_api.reply(403, fixture="post-images-403-captcha")
    with pytest.raises(errors.CaptchaRejected) as caught:
        api_client.generate_images("A serene mountain landscape at sunset")
    error = caught.value
    assert [a.task_id for a in error.attempts] == [
        "14af1dbb-885c-4e25-8121-7a79489dfd0e",
        "fd044078-0a4a-4303-a585-26fd5d2acb00",
        "ab0251dc-6930-4a82-966a-71fe6ab6aa42",
    ]
    assert all(a.success and a.service == "EzCaptcha" for a in error.attempts)
    assert error.captcha.duration_ms == 18091
    assert error.job_id == "j1223215426393445325i-u12345-email:us***@gmail.com-bot:google-flow"
    assert error.user_message == (
        "Google rejected the captcha (3 attempts); try again later or review the captcha "
        "providers and their keys on the Captcha page."
    )
    assert isinstance(error, errors.Forbidden)


def test_content_policy_user_sentence(fake_api: FakeApi, api_client: UseapiClient) -> None:
    fake_api.reply(400, fixture="post-images-400-content-policy")
    with pytest.raises(errors.ContentPolicy) as caught:
        api_client.generate_images("something unsafe")
    assert caught.value.user_message == (
        "Google refused the prompt under its content policy (PUBLIC_ERROR_UNSAFE_GENERATION)."
    )
    assert isinstance(caught.value, errors.BadRequest)


def test_session_expired_user_sentence(fake_api: FakeApi, api_client: UseapiClient) -> None:
    fake_api.reply(596, fixture="post-assets-596")
    with pytest.raises(errors.SessionExpired) as caught:
        api_client.upload_asset(PNG_BYTES, "image/png")
    assert caught.value.user_message == (
        "The Google account's session expired; re-add its cookies on the Accounts page."
    )


def test_rate_limit_retry_after_header_wins(fake_api: FakeApi, api_client: UseapiClient) -> None:
    fake_api.reply(
        429, fixture="post-videos-429-no-eligible-account", headers={"Retry-After": "30"}
    )
    with pytest.raises(errors.RateLimited) as caught:
        api_client.generate_videos("a fox")
    assert caught.value.retry_after == 30
    assert caught.value.reason == "no_eligible_account"
    assert "30 seconds" in caught.value.user_message


def test_rate_limit_retry_after_from_body(fake_api: FakeApi, api_client: UseapiClient) -> None:
    fake_api.reply(429, fixture="post-videos-429-no-eligible-account")
    with pytest.raises(errors.RateLimited) as caught:
        api_client.generate_videos("a fox")
    assert caught.value.retry_after == 1180


def test_rate_limit_retry_after_http_date(fake_api: FakeApi, api_client: UseapiClient) -> None:
    fake_api.reply(
        429,
        fixture="post-images-429-throttled",
        headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"},
    )
    with pytest.raises(errors.RateLimited) as caught:
        api_client.generate_images("a fox")
    assert caught.value.retry_after == 0  # a date in the past: retry now
    assert caught.value.reason == "PUBLIC_ERROR_USER_REQUESTS_THROTTLED"


def test_unexpected_and_gateway_statuses(fake_api: FakeApi, api_client: UseapiClient) -> None:
    fake_api.reply(409, {"error": "Conflict"})
    with pytest.raises(errors.UnexpectedStatus) as caught:
        api_client.get_job(JOB_ID)
    assert caught.value.status == 409
    fake_api.reply(504, raw=b"<html>gateway timeout</html>", headers={"Content-Type": "text/html"})
    with pytest.raises(errors.GatewayError) as gateway:
        api_client.generate_images("a fox")
    assert isinstance(gateway.value, errors.ResponseLost)  # outcome unknown: never re-POST blindly
    assert gateway.value.payload is None


def test_cloudflare_block_is_named(fake_api: FakeApi, api_client: UseapiClient) -> None:
    fake_api.reply(403, raw=b"error code: 1010", headers={"Content-Type": "text/plain"})
    with pytest.raises(errors.Forbidden) as caught:
        api_client.list_accounts()
    assert type(caught.value) is errors.Forbidden
    assert caught.value.reason == "cloudflare_1010"


# --- success responses --------------------------------------------------------------------------


def _accounts(result: list[Account]) -> None:
    assert [a.email for a in result] == ["a***@gmail.com", "b***@gmail.com"]
    first = result[0]
    assert first.health == "OK" and first.is_healthy
    assert first.created == datetime(2025, 11, 9, 22, 2, 4, 802000, tzinfo=UTC)
    assert first.session_expires == datetime(2025, 12, 1, 12, 46, 1, tzinfo=UTC)
    assert first.next_refresh == datetime(2025, 12, 1, 11, 46, 1, tzinfo=UTC)
    assert first.project_id == "a7e08e13-a6ea-4945-9841-cb4147e4f024"
    assert first.credits is None and first.video_models == ()


def _account(result: Account) -> None:
    assert result.email == "john@gmail.com"
    assert result.masked_email == "jo***@gmail.com"
    assert result.is_healthy
    assert result.credits.credits == 1250
    assert result.paygate_tier == "PAYGATE_TIER_TWO"
    fast, quality = result.video_models
    assert (fast.key, fast.display_name, fast.credit_cost) == (
        "veo_3_1_t2v_fast_ultra",
        "Veo 3.1 - Fast",
        None,
    )
    assert (quality.key, quality.credit_cost, quality.video_generation_time_seconds) == (
        "veo_3_1_t2v",
        100,
        210,
    )
    assert fast.supported_aspect_ratios == ("VIDEO_ASPECT_RATIO_LANDSCAPE",)
    assert fast.paygate_tier == "PAYGATE_TIER_TWO" and fast.video_length_seconds == 8
    assert result.session_expires == datetime(2025, 11, 11, 12, 0, tzinfo=UTC)
    assert result.next_refresh == datetime(2025, 11, 11, 11, 0, tzinfo=UTC)
    # cookies and the access token never reach the stored payload
    assert "accountCookies" not in result.payload and "sessionCookies" not in result.payload
    assert "access_token" not in result.payload["sessionData"]
    assert result.payload["models"]["videoModels"][1]["creditCost"] == 100


def _account_unhealthy(result: Account) -> None:
    assert not result.is_healthy
    assert result.health == result.error == "Failed to refresh session: 500 Internal Server Error"
    assert result.credits is None and result.video_models == ()


def _account_newer(result: Account) -> None:
    assert [m.key for m in result.video_models] == ["veo_3_1_lite_low_priority", "omni_flash_1_1"]
    assert "VIDEO_ASPECT_RATIO_4_3" in result.video_models[0].supported_aspect_ratios
    assert result.video_models[0].credit_cost is None
    assert result.video_models[1].credit_cost == 15
    assert result.paygate_tier == "PAYGATE_TIER_THREE"
    assert result.video_models[0].payload["someNewField"] == {"nested": True}


def _saved(is_new: bool) -> Callable[[AccountSaved], None]:
    def check(result: AccountSaved) -> None:
        assert result.is_new is is_new
        assert result.account.project_title == "Nov 11 - 02:56"
        assert result.account.created == datetime(2025, 11, 10, 12, 0, tzinfo=UTC)
        assert "accountCookies" not in result.account.payload

    return check


def _providers(result: CaptchaProviders) -> None:
    assert result.keys == {"EzCaptcha": "abc12…", "CapSolver": "def34…"}
    assert result.free_captcha_credits is None


def _free_credits(result: CaptchaProviders) -> None:
    assert result.keys == {} and result.free_captcha_credits == 100


def _providers_set(result: CaptchaProviders) -> None:
    assert set(result.keys) == {"EzCaptcha", "CapSolver"}


def _stats(result: CaptchaStats) -> None:
    assert result.date == "2026-02-04" and result.total == 3
    assert result.success_rate_by_provider == {"EzCaptcha": 50.0, "CapSolver": 100.0}
    assert result.sample_size_by_provider == {"EzCaptcha": 2, "CapSolver": 1}
    assert len(result.rows) == 3 and result.time_span == "9 hours 39 minutes"


def _stats_anonymized(result: CaptchaStats) -> None:
    assert result.rows == () and result.success_rate_by_provider["CapSolver"] == 91.4


def _asset(result: UploadedAsset) -> None:
    assert result.media_generation_id == "...redacted..."
    assert (result.width, result.height, result.email) == (685, 900, "jo***@gmail.com")


def _asset_newer(result: UploadedAsset) -> None:
    assert result.media_generation_id.startswith("user:12345-email:")
    assert (result.width, result.height) == (1024, 768)


def _images(result: GenerationResult) -> None:
    assert result.job_id == "j1731859345678i-u12345-email:jo***@gmail.com-bot:google-flow"
    (image,) = result.media
    assert image.kind == "image"
    assert image.media_generation_id == "user:12345…redacted…"
    assert image.url == "https://storage.googleapis.com/…redacted…"
    assert image.encoded is None and image.decode() is None
    assert image.seed == 123456 and image.model == "IMAGEN_3_5"
    assert image.aspect_ratio == "IMAGE_ASPECT_RATIO_LANDSCAPE"
    assert image.prompt == "A serene mountain landscape at sunset with vibrant colors"
    assert result.captcha.service == "EzCaptcha" and result.captcha.attempts[0].success


def _images_encoded(result: GenerationResult) -> None:
    (image,) = result.media
    assert image.url is None and image.has_content
    picture = Image.open(io.BytesIO(image.decode()))
    assert picture.format == "PNG" and picture.size == (1, 1)
    assert image.aspect_ratio == "IMAGE_ASPECT_RATIO_SQUARE" and image.model == "NARWHAL"


def _image_upscale(result: ImageUpscaleResult) -> None:
    assert result.bytes_written == 18
    assert result.captcha.task_id == "abc123..."
    assert result.payload["encodedImage"] == ""  # decoded to the file, not kept


def _video_sync(result: GenerationResult) -> None:
    assert isinstance(result, GenerationResult)
    (video,) = result.media
    assert video.kind == "video"
    assert video.url == "https://storage.googleapis.com/ai-sandbox-videofx/video/...redacted..."
    assert video.thumbnail_url.endswith("/image/...redacted...")
    assert video.media_generation_id == "user:12345-email:6a6f...-video:CAUSJ...redacted"
    assert video.status == "MEDIA_GENERATION_STATUS_SUCCESSFUL" and not video.failed
    assert result.remaining_credits == 1230


def _video_async(result: Job) -> None:
    assert isinstance(result, Job)
    assert result.status == "created" and not result.is_finished
    assert result.job_id == JOB_ID and result.type == "video"
    assert result.reply_ref == "custom-reference-123"
    (pending,) = result.media
    assert pending.status == "MEDIA_GENERATION_STATUS_PENDING" and not pending.has_content
    assert result.captcha.duration_ms == 5357 and result.captcha.attempts == ()


def _video_media(result: GenerationResult) -> None:
    (video,) = result.media
    assert video.url == "https://storage.googleapis.com/ai-sandbox-videofx/video/...newer..."
    assert video.thumbnail_url == "https://lh3.googleusercontent.com/...newer-thumb..."
    assert (video.seed, video.model, video.aspect_ratio) == (
        77,
        "omni_flash_1_1",
        "VIDEO_ASPECT_RATIO_4_3",
    )
    assert video.status == "MEDIA_GENERATION_STATUS_SUCCESSFUL"
    assert result.job_id.startswith("j0520") and result.remaining_credits == 955


def _video_failed_operation(result: GenerationResult) -> None:
    (video,) = result.media
    assert video.failed and not video.has_content
    assert "PUBLIC_ERROR_UNSAFE_GENERATION" in video.error


def _extend_sync(result: GenerationResult) -> None:
    (video,) = result.media
    assert video.seed == 987654321 and video.model == "veo_3_1_t2v"


def _extend_async(result: Job) -> None:
    assert result.status == "created"
    assert result.request["mediaGenerationId"] == MGID_VIDEO


def _upscale_sync(result: GenerationResult) -> None:
    (video,) = result.media
    assert video.model == "veo_3_1_upsampler_1080p" and video.url.startswith("https://")


def _upscale_async(result: Job) -> None:
    assert result.status == "created" and result.request["resolution"] == "1080p"


def _upscale_rawbytes(result: GenerationResult) -> None:
    (video,) = result.media
    assert video.url is None
    assert video.decode().startswith(b"\x00\x00\x00 ftypisom")
    assert video.media_generation_id.endswith("_upsampled")


def _upscale_both_forms(result: GenerationResult) -> None:
    (video,) = result.media  # the same video in media[] and operations[] appears once
    assert video.url == "https://storage.googleapis.com/ai-sandbox-videofx/video/...upscaled..."
    assert video.seed == 987654321  # only operations[] carries the seed
    assert video.status == "MEDIA_GENERATION_STATUS_SUCCESSFUL"


def _gif(result: GifResult) -> None:
    assert result.bytes_written == 42


def _concat(result: ConcatenateResult) -> None:
    assert result.job_id == "j1737312345678v-u12345-email:jo***@gmail.com-bot:google-flow"
    assert result.status == "MEDIA_GENERATION_STATUS_SUCCESSFUL" and result.succeeded
    assert result.inputs_count == 3 and result.bytes_written == 12


def _delete(result: str) -> None:
    assert result == "Google Flow account john@gmail.com deleted"


def _jobs_summary(result: JobStats) -> None:
    assert result.emails == ("jo***@gmail.com", "an***@gmail.com")
    load = result.videos.summary["an***@gmail.com"]
    assert (load.executing, load.completed, load.failed, load.rate_limited) == (0, 8, 1, 0)
    assert load.avg_response_time_ms == 98234.75 and load.score == 10
    assert result.combined.summary["an***@gmail.com"].score == 30
    assert result.videos.executing == {} and result.videos.history == {}


def _jobs_executing(result: JobStats) -> None:
    assert len(result.videos.executing) == 2
    entry = next(iter(result.images.executing.values()))
    assert entry.elapsed == "0:15" and entry.email == "jo***@gmail.com"
    assert entry.started == datetime.fromtimestamp(1731859345.678, tz=UTC)


def _jobs_history(result: JobStats) -> None:
    statuses = sorted(h.http_status for h in result.videos.history.values())
    assert statuses == [200, 500]
    assert result.images.history == {}


def _job_video(result: Job) -> None:
    assert result.is_completed and result.type == "video"
    assert result.job_id == JOB_ID
    assert result.created == datetime(2025, 11, 17, 12, 34, 56, 789000, tzinfo=UTC)
    assert result.updated == datetime(2025, 11, 17, 12, 37, 23, 456000, tzinfo=UTC)
    assert result.request["seed"] == 123456 and result.request["async"] is True
    (video,) = result.media
    assert video.url == "https://storage.googleapis.com/..."
    assert video.thumbnail_url == "https://lh3.googleusercontent.com/..."
    assert video.media_generation_id == "CAUSJ...redacted...OWQ5ZA" and video.seed == 123456
    assert result.captcha.attempts[0].duration_ms == 3500
    assert result.error is None and result.reason is None


def _job_image(result: Job) -> None:
    assert result.is_completed and result.reply_ref == "custom-reference-123"
    (image,) = result.media
    assert image.kind == "image" and image.seed == 987654


def _job_failed(result: Job) -> None:
    assert result.is_failed and result.is_finished
    assert (result.error, result.code) == ("API error: 500", 500)
    assert result.media == ()


def _job_media(result: Job) -> None:
    assert result.job_id.startswith("j0520")  # spelled jobId here
    assert result.is_completed
    (video,) = result.media
    assert video.url.endswith("...newer...") and video.model == "omni_flash_1_1"
    assert result.reply_ref == "ref-42" and result.remaining_credits == 955


# (fixture, call, expected type, check)
SUCCESS_CASES: list[tuple[str, str, type, Callable[[Any], None]]] = [
    ("get-accounts-200", "list_accounts", list, _accounts),
    ("get-accounts-200-empty", "list_accounts", list, lambda r: r == []),
    ("get-accounts-email-200", "get_account", Account, _account),
    ("get-accounts-email-200-unhealthy", "get_account", Account, _account_unhealthy),
    ("get-accounts-email-200-newer-models", "get_account", Account, _account_newer),
    ("post-accounts-201", "add_account", AccountSaved, _saved(True)),
    ("post-accounts-200", "add_account", AccountSaved, _saved(False)),
    ("delete-accounts-email-200", "delete_account", str, _delete),
    ("get-accounts-captcha-providers-200", "get_captcha_providers", CaptchaProviders, _providers),
    (
        "get-accounts-captcha-providers-200-free-credits",
        "get_captcha_providers",
        CaptchaProviders,
        _free_credits,
    ),
    (
        "post-accounts-captcha-providers-200",
        "set_captcha_providers",
        CaptchaProviders,
        _providers_set,
    ),
    ("get-accounts-captcha-stats-200", "get_captcha_stats", CaptchaStats, _stats),
    (
        "get-accounts-captcha-stats-200-anonymized",
        "get_captcha_stats",
        CaptchaStats,
        _stats_anonymized,
    ),
    ("post-assets-200", "upload_asset", UploadedAsset, _asset),
    ("post-assets-200-newer", "upload_asset", UploadedAsset, _asset_newer),
    ("post-images-200", "generate_images", GenerationResult, _images),
    ("post-images-200-encoded-image", "generate_images", GenerationResult, _images_encoded),
    ("post-images-upscale-200", "upscale_image", ImageUpscaleResult, _image_upscale),
    ("post-videos-200-sync", "generate_videos_sync", GenerationResult, _video_sync),
    ("post-videos-201-async", "generate_videos", Job, _video_async),
    ("post-videos-200-media", "generate_videos_sync", GenerationResult, _video_media),
    (
        "post-videos-200-failed-operation",
        "generate_videos_sync",
        GenerationResult,
        _video_failed_operation,
    ),
    ("post-videos-extend-200", "extend_video_sync", GenerationResult, _extend_sync),
    ("post-videos-extend-201-async", "extend_video", Job, _extend_async),
    ("post-videos-upscale-200", "upscale_video_sync", GenerationResult, _upscale_sync),
    ("post-videos-upscale-201-async", "upscale_video", Job, _upscale_async),
    ("post-videos-upscale-200-rawbytes", "upscale_video_sync", GenerationResult, _upscale_rawbytes),
    ("post-videos-upscale-200-media", "upscale_video_sync", GenerationResult, _upscale_both_forms),
    ("post-videos-gif-200", "make_gif", GifResult, _gif),
    ("post-videos-concatenate-200", "concatenate_videos", ConcatenateResult, _concat),
    ("get-jobs-200-summary", "get_jobs", JobStats, _jobs_summary),
    ("get-jobs-200-executing", "get_jobs", JobStats, _jobs_executing),
    ("get-jobs-200-history", "get_jobs", JobStats, _jobs_history),
    ("get-jobs-jobid-200-video-completed", "get_job", Job, _job_video),
    ("get-jobs-jobid-200-image-completed", "get_job", Job, _job_image),
    ("get-jobs-jobid-200-failed", "get_job", Job, _job_failed),
    ("get-jobs-jobid-200-video-media", "get_job", Job, _job_media),
]


@pytest.mark.parametrize(
    ("fixture", "call", "expected", "check"), SUCCESS_CASES, ids=[c[0] for c in SUCCESS_CASES]
)
def test_success_fixture_parses(
    fake_api: FakeApi,
    api_client: UseapiClient,
    fixture: str,
    call: str,
    expected: type,
    check: Callable[[Any], Any],
) -> None:
    fake_api.reply(_status_of(fixture), fixture=fixture)
    result = CALLS[call](api_client)
    assert type(result) is expected
    assert check(result) is not False
    if hasattr(result, "payload") and not isinstance(result, Account | AccountSaved):
        assert result.payload.keys() == fixture_json(fixture).keys()


def test_inline_files_are_decoded_into_the_destination(
    fake_api: FakeApi, api_client: UseapiClient, tmp_path: Any
) -> None:
    fake_api.reply(200, fixture="post-videos-gif-200")
    gif_path = tmp_path / "preview.gif"
    api_client.make_gif(MGID_VIDEO, dest=gif_path)
    assert Image.open(gif_path).format == "GIF"

    fake_api.reply(200, fixture="post-images-upscale-200")
    out = io.BytesIO()
    api_client.upscale_image(MGID_IMAGE, dest=out)
    assert out.getvalue().startswith(b"\xff\xd8\xff\xe0\x00\x10JFIF")

    fake_api.reply(200, fixture="post-videos-concatenate-200")
    video_path = tmp_path / "joined.mp4"
    api_client.concatenate_videos([MGID_VIDEO, MGID_VIDEO], dest=video_path)
    assert video_path.read_bytes() == b"\x00\x00\x00 ftypisom"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["joined.mp4", "preview.gif"]


def test_cached_video_upscale_streams_raw_bytes_to_dest(
    fake_api: FakeApi, api_client: UseapiClient, tmp_path: Any
) -> None:
    fake_api.reply(200, fixture="post-videos-upscale-200-rawbytes")
    target = tmp_path / "upscaled.mp4"
    result = api_client.upscale_video(MGID_VIDEO, async_=False, dest=target)
    assert isinstance(result, GenerationResult)
    assert result.raw_bytes_written == target.stat().st_size == 32
    assert target.read_bytes().startswith(b"\x00\x00\x00 ftypisom")
    assert result.media[0].encoded is None  # not held in memory


def test_url_upscale_with_dest_leaves_no_file(
    fake_api: FakeApi, api_client: UseapiClient, tmp_path: Any
) -> None:
    fake_api.reply(200, fixture="post-videos-upscale-200")
    target = tmp_path / "upscaled.mp4"
    result = api_client.upscale_video(MGID_VIDEO, async_=False, dest=target)
    assert result.raw_bytes_written == 0 and result.media[0].url
    assert list(tmp_path.iterdir()) == []


def test_success_that_is_not_json_is_malformed(fake_api: FakeApi, api_client: UseapiClient) -> None:
    fake_api.reply(200, raw=b"<html>maintenance</html>", headers={"Content-Type": "text/html"})
    with pytest.raises(errors.MalformedResponse) as caught:
        api_client.get_job(JOB_ID)
    assert caught.value.status == 200
    fake_api.reply(200, raw=b'{"jobid": "j1", "status": "comp')
    with pytest.raises(errors.MalformedResponse):
        api_client.get_job(JOB_ID)
    fake_api.reply(200, raw=b"[1, 2]")
    with pytest.raises(errors.MalformedResponse):
        api_client.list_accounts()
    fake_api.reply(200, {"unexpected": True})
    with pytest.raises(errors.MalformedResponse):
        api_client.upload_asset(PNG_BYTES, "image/png")


def test_every_fixture_is_replayed() -> None:
    from .test_requests import REQUEST_FIXTURES

    on_disk = {p.stem for p in FIXTURES.glob("*.json")}
    used = {c[0] for c in ERROR_CASES} | {c[0] for c in SUCCESS_CASES} | set(REQUEST_FIXTURES)
    assert on_disk - used == set(), "fixtures no test replays"
    assert used - on_disk == set(), "tests name fixtures that do not exist"
