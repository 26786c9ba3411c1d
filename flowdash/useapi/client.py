"""HTTP client of the useapi.net Google Flow API v1 — the only code that talks to useapi.net.

One :class:`UseapiClient` holds one pooled :class:`requests.Session`. Every call goes through
:meth:`UseapiClient._request`, which adds the bearer token and a named ``User-Agent``, applies the
endpoint's (connect, read) timeouts, and turns every failure into a class from
:mod:`flowdash.useapi.errors`. Results are typed (:mod:`flowdash.useapi.types`) and keep the raw
body in ``.payload``. The token never appears in an exception, a ``repr`` or a log line.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import ssl
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import IO, Any, BinaryIO
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NewConnectionError
from urllib3.exceptions import ProxyError as Urllib3ProxyError
from urllib3.exceptions import SSLError as Urllib3SSLError

from flowdash.useapi import catalog
from flowdash.useapi import validation as check
from flowdash.useapi.errors import (
    ConnectionFailed,
    MalformedResponse,
    RequestValidationError,
    ResponseLost,
    UseapiError,
    error_from_response,
)
from flowdash.useapi.streaming import ExtractedDocument, JsonFieldExtractor
from flowdash.useapi.types import (
    Account,
    AccountSaved,
    CaptchaInfo,
    CaptchaProviders,
    CaptchaStats,
    ConcatenateResult,
    ConcatItem,
    GenerationResult,
    GifResult,
    ImageUpscaleResult,
    Job,
    JobStats,
    MediaItem,
    UploadedAsset,
    concat_items,
    job_id_of,
)

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_USER_AGENT", "Timeouts", "UseapiClient"]

logger = logging.getLogger("flowdash.useapi")

DEFAULT_BASE_URL = "https://api.useapi.net/v1/google-flow"
DEFAULT_USER_AGENT = "flowdash/0.1 (+self-hosted)"
CHUNK_SIZE = 64 * 1024
ERROR_BODY_LIMIT = 1 << 20  # error bodies are small; never buffer more than this
JSON_BODY_LIMIT = 256 << 20  # ordinary JSON answers (a job record may inline rawBytes)

Destination = str | os.PathLike[str] | BinaryIO


@dataclass(frozen=True)
class Timeouts:
    """Connect timeout and per-endpoint read timeouts, in seconds.

    A read timeout bounds the wait for each piece of the answer, so it must exceed the longest
    silence the endpoint documents: sync images 10-20 s after captcha solving; sync videos poll
    up to 10 minutes server-side; concatenate up to 3 minutes; GIFs up to 90 s.
    """

    connect: float = 10.0
    short: float = 30.0  # GETs, DELETE, captcha providers
    account: float = 120.0  # POST /accounts validates cookies and creates a Flow project
    upload: float = 120.0  # POST /assets
    image: float = 180.0  # POST /images and /images/upscale (captcha retries + generation)
    video_async: float = 120.0  # async POST /videos* answer once captcha and submit are done
    video_sync: float = 660.0  # sync POST /videos* (10-minute server-side polling)
    gif: float = 150.0  # POST /videos/gif (up to ~90 s)
    concatenate: float = 300.0  # POST /videos/concatenate (3-minute polling + a big body)

    @classmethod
    def uniform(cls, seconds: float) -> Timeouts:
        """Every timeout the same (tests)."""
        return cls(**{f.name: seconds for f in fields(cls)})

    def pair(self, read: float) -> tuple[float, float]:
        return (self.connect, read)


@dataclass(frozen=True)
class _Answer:
    status: int
    payload: Any
    extracted: ExtractedDocument | None = None


class UseapiClient:
    """Typed client of the useapi.net Google Flow API v1.

    ``base_url`` is e.g. ``https://api.useapi.net/v1/google-flow`` (settings: ``USEAPI_BASE_URL``)
    or the simulator's URL; endpoint paths are appended to it. ``era`` says which of the API's
    forms the service speaks (:data:`flowdash.useapi.catalog.ERAS`; default today's), so the
    checks before sending use that era's models and limits.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        session: requests.Session | None = None,
        timeouts: Timeouts | None = None,
        era: str | None = None,
    ) -> None:
        parts = urlsplit(base_url or "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("base_url must be an absolute http(s) URL")
        if not isinstance(token, str) or not token.strip():
            raise ValueError("an API token is required")
        if not user_agent:
            raise ValueError("a User-Agent is required (the API's edge rejects anonymous ones)")
        self.base_url = base_url.rstrip("/")
        self._token = token.strip()
        self.user_agent = user_agent
        self.timeouts = timeouts or Timeouts()
        self.era = catalog.era(era).name
        self._owns_session = session is None
        self.session = session or self._new_session()

    @staticmethod
    def _new_session() -> requests.Session:
        session = requests.Session()
        # No automatic retries: a re-sent generation would be paid twice. Pool sized for a
        # threads-pool worker.
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    def __repr__(self) -> str:
        return f"UseapiClient(base_url={self.base_url!r})"

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> UseapiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # === accounts ==============================================================================

    def list_accounts(self) -> list[Account]:
        """GET /accounts — every configured account, keyed by (masked) email in the API."""
        payload = self._json_object(self._request("GET", "/accounts", read=self.timeouts.short))
        return [
            Account.from_json(value, email=email)
            for email, value in payload.items()
            if isinstance(value, dict)
        ]

    def get_account(self, email: str) -> Account:
        """GET /accounts/{email} — one account with live health, credits and video models."""
        path = f"/accounts/{_path_part(check.text('email', email))}"
        answer = self._request("GET", path, read=self.timeouts.short)
        return Account.from_json(self._json_object(answer), email=email)

    def add_account(self, cookies: str) -> AccountSaved:
        """POST /accounts — add (201) or update (200) the account the cookies belong to."""
        body = {"cookies": check.text("cookies", cookies)}
        answer = self._request("POST", "/accounts", json_body=body, read=self.timeouts.account)
        account = Account.from_json(self._json_object(answer))
        return AccountSaved(account=account, is_new=answer.status == 201)

    def delete_account(self, email: str) -> str:
        """DELETE /accounts/{email}; returns the API's confirmation message."""
        path = f"/accounts/{_path_part(check.text('email', email))}"
        payload = self._json_object(self._request("DELETE", path, read=self.timeouts.short))
        message = payload.get("message")
        return message if isinstance(message, str) else ""

    def get_captcha_providers(self) -> CaptchaProviders:
        """GET /accounts/captcha-providers — masked keys, or ``freeCaptchaCredits``."""
        answer = self._request("GET", "/accounts/captcha-providers", read=self.timeouts.short)
        return CaptchaProviders.from_json(self._json_object(answer))

    def set_captcha_providers(self, keys: Mapping[str, str]) -> CaptchaProviders:
        """POST /accounts/captcha-providers — ``{"CapSolver": "key"}``; ``""`` removes one."""
        if not isinstance(keys, Mapping) or not keys:
            raise RequestValidationError("body", "name at least one captcha provider")
        body: dict[str, str] = {}
        for name, key in keys.items():
            check.text("provider", name)
            if not isinstance(key, str):
                raise RequestValidationError(name, "must be a string (an empty one removes it)")
            body[name] = key
        answer = self._request(
            "POST", "/accounts/captcha-providers", json_body=body, read=self.timeouts.short
        )
        return CaptchaProviders.from_json(self._json_object(answer))

    def get_captcha_stats(
        self,
        *,
        date: str | datetime.date | None = None,
        limit: int | None = None,
        provider: str | None = None,
        anonymized: bool = False,
    ) -> CaptchaStats:
        """GET /accounts/captcha-stats (``date`` YYYY-MM-DD or a date, ``limit`` ≤ 50000)."""
        query = check.stats_query(date, limit, provider, anonymized)
        answer = self._request(
            "GET", "/accounts/captcha-stats", params=query, read=self.timeouts.short
        )
        return CaptchaStats.from_json(self._json_object(answer))

    # === assets ================================================================================

    def upload_asset(
        self,
        data: bytes | bytearray | memoryview | IO[bytes] | os.PathLike[str],
        content_type: str,
        *,
        email: str | None = None,
    ) -> UploadedAsset:
        """POST /assets[/{email}] — raw PNG/JPEG bytes (today also WebP, and MP4 up to 100 MB);
        a file object or path is streamed."""
        path = "/assets" if email is None else f"/assets/{_path_part(check.text('email', email))}"
        opened: IO[bytes] | None = None
        try:
            if isinstance(data, os.PathLike):
                opened = open(data, "rb")  # noqa: SIM115  (closed in finally)
                body: Any = opened
            elif isinstance(data, bytes | bytearray | memoryview):
                body = bytes(data)
            elif hasattr(data, "read"):
                body = data
            else:
                raise RequestValidationError("body", "must be bytes, a binary file or a path")
            check.asset(content_type, _known_size(body), self.era)
            answer = self._request(
                "POST", path, data=body, content_type=content_type, read=self.timeouts.upload
            )
        finally:
            if opened is not None:
                opened.close()
        return UploadedAsset.from_json(self._json_object(answer))

    # === images ================================================================================

    def generate_images(
        self,
        prompt: str,
        *,
        email: str | None = None,
        model: str | None = None,
        aspect_ratio: str | None = None,
        count: int | None = None,
        seed: int | None = None,
        references: Sequence[str] = (),
        reply_url: str | None = None,
        reply_ref: str | None = None,
        captcha_retry: int | None = None,
        captcha_order: str | Sequence[str] | None = None,
        captcha_token: str | None = None,
        extra: Mapping[str, Any] | None = None,
        inline_dir: str | os.PathLike[str] | None = None,
    ) -> GenerationResult:
        """POST /images (synchronous, typically 10-20 s). ``references`` → ``reference_1…``.

        An image may come back inline (``encodedImage``) instead of as a ``fifeUrl``. With
        ``inline_dir`` the body is read as it streams and each inline image is decoded straight
        into a file there (``MediaItem.file``), never held whole in memory; without it the
        base64 stays in ``MediaItem.encoded``.
        """
        body: dict[str, Any] = {"prompt": check.text("prompt", prompt)}
        _put(body, "email", check.optional_text("email", email))
        _put(body, "model", check.optional_text("model", model))
        refs = check.image_references(model, references, self.era)
        _put(body, "aspectRatio", check.image_aspect_ratio(aspect_ratio, len(refs), self.era))
        _put(body, "count", check.count(count))
        _put(body, "seed", check.seed(seed))
        for index, ref in enumerate(refs, start=1):
            body[f"reference_{index}"] = ref
        _add_common(
            body, False, reply_url, reply_ref, captcha_retry, captcha_order, captcha_token, extra
        )
        if inline_dir is not None:
            answer = self._request_inline(
                "/images", body, "encodedImage", inline_dir, read=self.timeouts.image
            )
        else:
            answer = self._request("POST", "/images", json_body=body, read=self.timeouts.image)
        result = self._generation(answer, "POST /images")
        if isinstance(result, Job):  # a job record instead of the documented result
            return GenerationResult(
                job_id=result.job_id,
                media=result.media,
                captcha=result.captcha,
                remaining_credits=result.remaining_credits,
                payload=result.payload,
            )
        return result

    def upscale_image(
        self,
        media_generation_id: str,
        *,
        resolution: str = "2k",
        dest: Destination,
        captcha_retry: int | None = None,
        captcha_order: str | Sequence[str] | None = None,
        captcha_token: str | None = None,
    ) -> ImageUpscaleResult:
        """POST /images/upscale — the JPEG (``encodedImage``) is decoded into ``dest``."""
        body: dict[str, Any] = {
            "mediaGenerationId": check.text("mediaGenerationId", media_generation_id),
            "resolution": check.image_upscale_resolution(resolution),
        }
        body.update(check.captcha_params(captcha_retry, captcha_order, captcha_token))
        document = self._stream_decode(
            "/images/upscale", body, "encodedImage", dest, read=self.timeouts.image
        )
        return ImageUpscaleResult(
            bytes_written=document.bytes_written,
            captcha=CaptchaInfo.find(document.document),
            payload=document.document,
        )

    # === videos ================================================================================

    def _video_read(self, async_: bool) -> float:
        """The read timeout of a video request: an async one waits only for its 201 (the job),
        a sync one for the videos themselves."""
        return self.timeouts.video_async if async_ else self.timeouts.video_sync

    def _put_video_model(
        self, body: dict[str, Any], model: str | None, count: int | None, seed: int | None
    ) -> str | None:
        """``model`` (in this era's wire name), ``count`` and ``seed`` into ``body``; returns
        the model's request name (None: the API's default)."""
        name = check.optional_text("model", model)
        _put(body, "model", None if name is None else catalog.wire_name(name, self.era))
        _put(body, "count", check.count(count))
        _put(body, "seed", check.seed(seed))
        return name

    def generate_videos(
        self,
        prompt: str,
        *,
        email: str | None = None,
        model: str | None = None,
        aspect_ratio: str | None = None,
        count: int | None = None,
        seed: int | None = None,
        start_image: str | None = None,
        end_image: str | None = None,
        reference_images: Sequence[str] = (),
        duration: int | None = None,
        resolution: str | None = None,
        reference_video: str | None = None,
        start_frame: int | None = None,
        end_frame: int | None = None,
        async_: bool = True,
        reply_url: str | None = None,
        reply_ref: str | None = None,
        captcha_retry: int | None = None,
        captcha_order: str | Sequence[str] | None = None,
        captcha_token: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Job | GenerationResult:
        """POST /videos. ``async_=True`` (default) → the 201 :class:`Job`; otherwise the call
        blocks until the videos are ready and returns a :class:`GenerationResult`.

        Newer parameters (supplement §5.2): ``duration`` (s), ``resolution`` (``720p``/``360p``),
        ``reference_images`` up to 7 (omni), and a V2V edit of ``reference_video`` between
        frames ``start_frame`` and ``end_frame`` (24 per second, at most 240). The mutual
        exclusions of §11 are checked before anything is sent (see :mod:`.validation`).
        """
        body: dict[str, Any] = {"prompt": check.text("prompt", prompt)}
        _put(body, "email", check.optional_text("email", email))
        name = self._put_video_model(body, model, count, seed)
        v2v = reference_video is not None
        start, end, refs = check.video_frames(
            name, start_image, end_image, reference_images, self.era, v2v=v2v
        )
        edit = check.video_edit(
            name, reference_video, start_frame, end_frame, start_image=start, era=self.era
        )
        mode = catalog.video_mode(
            start_image=start is not None,
            end_image=end is not None,
            references=len(refs),
            reference_video=v2v,
        )
        body.update(
            check.video_options(
                name,
                aspect_ratio=aspect_ratio,
                duration=duration,
                resolution=resolution,
                mode=mode,
                era=self.era,
            )
        )
        _put(body, "startImage", start)
        _put(body, "endImage", end)
        for index, ref in enumerate(refs, start=1):
            body[f"referenceImage_{index}"] = ref
        body.update(edit)
        _add_common(
            body, async_, reply_url, reply_ref, captcha_retry, captcha_order, captcha_token, extra
        )
        read = self._video_read(async_)
        answer = self._request("POST", "/videos", json_body=body, read=read)
        return self._generation(answer, "POST /videos")

    def extend_video(
        self,
        media_generation_id: str,
        prompt: str,
        *,
        model: str | None = None,
        count: int | None = None,
        seed: int | None = None,
        async_: bool = True,
        reply_url: str | None = None,
        reply_ref: str | None = None,
        captcha_retry: int | None = None,
        captcha_order: str | Sequence[str] | None = None,
        captcha_token: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Job | GenerationResult:
        """POST /videos/extend — one more 8-s segment continuing the source video."""
        body: dict[str, Any] = {
            "mediaGenerationId": check.text("mediaGenerationId", media_generation_id),
            "prompt": check.text("prompt", prompt),
        }
        self._put_video_model(body, model, count, seed)
        _add_common(
            body, async_, reply_url, reply_ref, captcha_retry, captcha_order, captcha_token, extra
        )
        read = self._video_read(async_)
        answer = self._request("POST", "/videos/extend", json_body=body, read=read)
        return self._generation(answer, "POST /videos/extend")

    def upscale_video(
        self,
        media_generation_id: str,
        *,
        resolution: str = "1080p",
        async_: bool = True,
        reply_url: str | None = None,
        reply_ref: str | None = None,
        captcha_retry: int | None = None,
        captcha_order: str | Sequence[str] | None = None,
        captcha_token: str | None = None,
        dest: Destination | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Job | GenerationResult:
        """POST /videos/upscale (``1080p`` or ``4K``).

        A cached re-upscale answers with the MP4 inline (``rawBytes``). With ``dest`` and
        ``async_=False`` that base64 is decoded into ``dest`` while streaming
        (``raw_bytes_written`` > 0, the media item's ``encoded`` left empty); without ``dest``
        it stays in ``MediaItem.encoded``.
        """
        body: dict[str, Any] = {
            "mediaGenerationId": check.text("mediaGenerationId", media_generation_id),
            "resolution": check.video_upscale_resolution(resolution),
        }
        _add_common(
            body, async_, reply_url, reply_ref, captcha_retry, captcha_order, captcha_token, extra
        )
        read = self._video_read(async_)
        if dest is not None and not async_:
            document = self._stream_decode(
                "/videos/upscale", body, "rawBytes", dest, read=read, required=False
            )
            answer = _Answer(200, document.document, document)
        else:
            answer = self._request("POST", "/videos/upscale", json_body=body, read=read)
        return self._generation(answer, "POST /videos/upscale")

    def make_gif(self, media_generation_id: str, *, dest: Destination) -> GifResult:
        """POST /videos/gif — the animated GIF (``encodedGif``) is decoded into ``dest``."""
        body = {"mediaGenerationId": check.text("mediaGenerationId", media_generation_id)}
        document = self._stream_decode(
            "/videos/gif", body, "encodedGif", dest, read=self.timeouts.gif
        )
        return GifResult(bytes_written=document.bytes_written, payload=document.document)

    def concatenate_videos(
        self, items: Sequence[ConcatItem | str | Mapping[str, Any]], *, dest: Destination
    ) -> ConcatenateResult:
        """POST /videos/concatenate — 2-10 videos joined in order; the MP4 (``encodedVideo``,
        ~7 MB of base64 per input) is decoded into ``dest`` while streaming."""
        if isinstance(items, str | bytes) or not isinstance(items, Sequence):
            raise RequestValidationError("media", "must be a list of videos")
        body = {"media": check.concat_media(concat_items(items))}
        document = self._stream_decode(
            "/videos/concatenate",
            body,
            "encodedVideo",
            dest,
            read=self.timeouts.concatenate,
            required=False,
        )
        payload = document.document
        status = payload.get("status") if isinstance(payload.get("status"), str) else None
        if document.found == 0 and not (status or "").endswith("FAILED"):
            raise MalformedResponse("POST /videos/concatenate answered without encodedVideo")
        inputs = payload.get("inputsCount")
        return ConcatenateResult(
            job_id=job_id_of(payload),
            status=status,
            inputs_count=inputs if isinstance(inputs, int) else None,
            bytes_written=document.bytes_written,
            payload=payload,
        )

    # === jobs ==================================================================================

    def get_jobs(self, options: str = "summary") -> JobStats:
        """GET /jobs?options=summary|executing|history — load-balancing statistics."""
        query = {"options": check.job_options(options)}
        answer = self._request("GET", "/jobs", params=query, read=self.timeouts.short)
        return JobStats.from_json(self._json_object(answer))

    def get_job(self, job_id: str, *, inline_dir: str | os.PathLike[str] | None = None) -> Job:
        """GET /jobs/{jobId} — the job record (same shape as webhook bodies).

        With ``inline_dir``, inline images (``encodedImage``) are decoded into files there while
        the body streams (``MediaItem.file``), as :meth:`generate_images` does."""
        path = f"/jobs/{_path_part(check.text('jobId', job_id), safe=_JOB_ID_SAFE)}"
        if inline_dir is not None:
            answer = self._request_inline(
                path, None, "encodedImage", inline_dir, read=self.timeouts.short, method="GET"
            )
        else:
            answer = self._request("GET", path, read=self.timeouts.short)
        job = Job.from_json(self._json_object(answer))
        if answer.extracted is not None:
            job = replace(job, media=_with_files(job.media, answer.extracted))
        return job.checked()

    # === the funnel ============================================================================

    def _request(
        self,
        method: str,
        path: str,
        *,
        read: float,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        data: Any = None,
        content_type: str | None = None,
        stream_field: str | None = None,
        sink: BinaryIO | None = None,
        sinks: Callable[[int], BinaryIO] | None = None,
    ) -> _Answer:
        """Send one request and map every failure to a :mod:`~flowdash.useapi.errors` class.

        With ``stream_field`` the success body is scanned as it arrives and that field's base64
        is decoded into ``sink`` (see :mod:`flowdash.useapi.streaming`).
        """
        endpoint = f"{method} {path}"
        headers = {
            "Authorization": f"Bearer {self._token}",
            "User-Agent": self.user_agent,
            "Accept": "application/json",
        }
        if json_body is not None:
            data = json.dumps(json_body, ensure_ascii=False).encode()
            content_type = "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        started = time.monotonic()
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                params=params,
                data=data,
                headers=headers,
                timeout=self.timeouts.pair(read),
                stream=True,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            error = self._transport_error(exc, endpoint)
            logger.warning(
                "useapi %s failed after %.1fs: %s", endpoint, time.monotonic() - started, error
            )
            raise error from None
        try:
            status = response.status_code
            if not 200 <= status < 300:
                try:
                    raw = self._read_body(response, endpoint, ERROR_BODY_LIMIT, status)
                except ResponseLost:
                    raw = b""  # the status alone says what happened
                payload = _loads_or_none(raw)
                error = error_from_response(
                    status,
                    payload,
                    response.headers,
                    endpoint=endpoint,
                    body_text=raw[:2000].decode("utf-8", "replace") if payload is None else None,
                    secrets=(self._token,),
                )
                logger.warning(
                    "useapi %s -> %s in %.1fs (reason=%s)",
                    endpoint,
                    status,
                    time.monotonic() - started,
                    error.reason,
                )
                raise error
            if stream_field is not None:
                extracted = self._scan_body(response, endpoint, stream_field, sink, sinks)
                answer = _Answer(status, extracted.document, extracted)
            else:
                raw = self._read_body(response, endpoint, JSON_BODY_LIMIT, status)
                try:
                    payload = json.loads(raw)
                except ValueError:
                    raise MalformedResponse(
                        "the answer is not JSON", status=status, endpoint=endpoint
                    ) from None
                answer = _Answer(status, payload)
            logger.info("useapi %s -> %s in %.1fs", endpoint, status, time.monotonic() - started)
            return answer
        finally:
            response.close()

    def _transport_error(self, exc: requests.RequestException, endpoint: str) -> UseapiError:
        """ConnectionFailed when the request cannot have been sent, else ResponseLost."""
        detail = f"{type(exc).__name__}: {exc}".replace(self._token, "***")[:400]
        if _never_sent(exc):
            return ConnectionFailed(f"{endpoint}: could not connect ({detail})", endpoint=endpoint)
        return ResponseLost(f"{endpoint}: no complete answer ({detail})", endpoint=endpoint)

    def _chunks(self, response: requests.Response, endpoint: str, status: int) -> Iterator[bytes]:
        try:
            yield from response.iter_content(chunk_size=CHUNK_SIZE)
        except requests.exceptions.ContentDecodingError:
            raise MalformedResponse(
                "the answer's content encoding is broken", status=status, endpoint=endpoint
            ) from None
        except (requests.RequestException, OSError) as exc:
            raise ResponseLost(
                f"{endpoint}: connection lost while reading the answer ({type(exc).__name__})",
                status=status,
                endpoint=endpoint,
            ) from None

    def _read_body(
        self, response: requests.Response, endpoint: str, limit: int, status: int
    ) -> bytes:
        parts: list[bytes] = []
        size = 0
        for chunk in self._chunks(response, endpoint, status):
            size += len(chunk)
            if size > limit:
                if 200 <= status < 300:
                    raise MalformedResponse(
                        "the answer is unexpectedly large", status=status, endpoint=endpoint
                    )
                break  # an oversized error body: keep its start
            parts.append(chunk)
        return b"".join(parts)

    def _scan_body(
        self,
        response: requests.Response,
        endpoint: str,
        field: str,
        sink: BinaryIO | None,
        sinks: Callable[[int], BinaryIO] | None = None,
    ) -> ExtractedDocument:
        extractor = JsonFieldExtractor(field, sink, sinks=sinks)
        try:
            for chunk in self._chunks(response, endpoint, response.status_code):
                extractor.feed(chunk)
            document = extractor.finish()
        except MalformedResponse as exc:
            exc.status = response.status_code
            exc.endpoint = endpoint
            raise
        if not isinstance(document.document, dict):
            raise MalformedResponse(
                "the answer is not a JSON object", status=response.status_code, endpoint=endpoint
            )
        return document

    def _stream_decode(
        self,
        path: str,
        body: dict[str, Any],
        field: str,
        dest: Destination,
        *,
        read: float,
        required: bool = True,
    ) -> ExtractedDocument:
        with _DestinationFile(dest) as out:
            answer = self._request(
                "POST", path, json_body=body, read=read, stream_field=field, sink=out.file
            )
            assert answer.extracted is not None
            if required and answer.extracted.found == 0:
                raise MalformedResponse(
                    f"POST {path} answered without {field}",
                    status=answer.status,
                    endpoint=f"POST {path}",
                )
            out.keep = answer.extracted.found > 0
            return answer.extracted

    def _request_inline(
        self,
        path: str,
        body: dict[str, Any] | None,
        field: str,
        directory: str | os.PathLike[str],
        *,
        read: float,
        method: str = "POST",
    ) -> _Answer:
        """Send a request whose answer may hold several inline files in ``field``: each one is
        decoded into its own file in ``directory`` while the body streams (removed again when
        the request fails)."""
        files = _InlineFiles(Path(directory), field)
        try:
            answer = self._request(
                method, path, json_body=body, read=read, stream_field=field, sinks=files.open
            )
        except BaseException:
            files.discard()
            raise
        finally:
            files.close()
        assert answer.extracted is not None
        answer.extracted.files = files.paths
        return answer

    # === parsing helpers =======================================================================

    @staticmethod
    def _json_object(answer: _Answer) -> dict[str, Any]:
        if not isinstance(answer.payload, dict):
            raise MalformedResponse("the answer is not a JSON object", status=answer.status)
        return answer.payload

    def _generation(self, answer: _Answer, endpoint: str) -> Job | GenerationResult:
        payload = self._json_object(answer)
        if Job.looks_like_job(payload):
            return Job.from_json(payload).checked()
        written = answer.extracted.bytes_written if answer.extracted else 0
        result = GenerationResult.from_json(payload, raw_bytes_written=written)
        if answer.extracted is not None and answer.extracted.files:
            result = replace(result, media=_with_files(result.media, answer.extracted))
        if not result.media and "error" in payload:
            code = payload.get("code")
            status = code if isinstance(code, int) and code >= 400 else 500
            raise error_from_response(status, payload, endpoint=endpoint, secrets=(self._token,))
        if not result.media and not result.job_id:
            raise MalformedResponse(
                f"{endpoint} answered without media or a job id", status=answer.status
            )
        return result.checked()


# --- module helpers ---------------------------------------------------------------------------

# Job ids look like "j1731859234567v-u12345-email:jo***@gmail.com-bot:google-flow"; keep the
# characters the documented examples send raw, encode the rest.
_JOB_ID_SAFE = "@:*!$&'()+,;="


def _path_part(value: str, safe: str = "") -> str:
    """URL-encode one path segment (``john@gmail.com`` → ``john%40gmail.com``)."""
    return quote(value, safe=safe)


def _put(body: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        body[key] = value


def _loads_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _known_size(body: Any) -> int | None:
    """The number of bytes a body will send, when it can be known without reading it."""
    if isinstance(body, bytes):
        return len(body)
    try:
        return os.fstat(body.fileno()).st_size - body.tell()
    except (AttributeError, OSError, ValueError):
        pass
    try:
        if body.seekable():
            here = body.tell()
            end = body.seek(0, os.SEEK_END)
            body.seek(here)
            return end - here
    except (AttributeError, OSError, ValueError):
        pass
    return None


def _never_sent(exc: requests.RequestException) -> bool:
    """Whether a requests failure happened before any byte of the request could leave.

    Connection refused, DNS failure, connect timeout, certificate rejection and proxy refusal
    are "never sent". Everything else (read timeout, connection reset or closed after sending,
    other TLS errors) may have reached the service.
    """
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(
        exc,
        requests.exceptions.InvalidURL
        | requests.exceptions.MissingSchema
        | requests.exceptions.InvalidSchema,
    ):
        return True
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return False
    cause = exc.args[0] if exc.args else None
    if not isinstance(cause, MaxRetryError):
        return False
    reason = cause.reason
    if isinstance(reason, NewConnectionError | Urllib3ProxyError):
        return True
    if isinstance(reason, Urllib3SSLError):
        inner = reason.args[0] if reason.args else None
        return isinstance(inner, ssl.SSLCertVerificationError)
    return False


class _DestinationFile:
    """``dest`` as a writable binary file; a path is written via a temporary file and renamed
    into place only when the download succeeded."""

    def __init__(self, dest: Destination) -> None:
        self._dest = dest
        self._temp: Path | None = None
        self.file: BinaryIO
        self.keep = False

    def __enter__(self) -> _DestinationFile:
        if isinstance(self._dest, str | os.PathLike):
            target = Path(self._dest)
            handle = tempfile.NamedTemporaryFile(  # noqa: SIM115  (closed in __exit__)
                dir=target.parent, prefix=f".{target.name}.", suffix=".part", delete=False
            )
            self._temp = Path(handle.name)
            self.file = handle
        elif hasattr(self._dest, "write"):
            self.file = self._dest
        else:
            raise RequestValidationError("dest", "must be a path or a writable binary file")
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if self._temp is None:
            return
        self.file.close()
        if exc_type is None and self.keep:
            os.replace(self._temp, Path(self._dest))  # type: ignore[arg-type]
        else:
            self._temp.unlink(missing_ok=True)


def _add_common(
    body: dict[str, Any],
    async_: bool,
    reply_url: str | None,
    reply_ref: str | None,
    captcha_retry: int | None,
    captcha_order: str | Sequence[str] | None,
    captcha_token: str | None,
    extra: Mapping[str, Any] | None,
) -> None:
    """The parameters every generation POST shares: async, webhook, captcha, extra keys."""
    if async_:
        body["async"] = True  # the API default is false: omitted then
    body.update(check.reply_params(reply_url, reply_ref))
    body.update(check.captcha_params(captcha_retry, captcha_order, captcha_token))
    check.merge_extra(body, extra)


class _InlineFiles:
    """One file per inline base64 value of an answer (``encoded-1.bin``, ``encoded-2.bin`` …)."""

    def __init__(self, directory: Path, field: str) -> None:
        if not directory.is_dir():
            raise RequestValidationError("inline_dir", "must be an existing directory")
        self._directory = directory
        self._field = field
        self._open: BinaryIO | None = None
        self.paths: list[Path] = []

    def open(self, number: int) -> BinaryIO:
        self.close()
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115  (closed by close())
            dir=self._directory, prefix=f"{self._field}-{number}-", suffix=".bin", delete=False
        )
        self.paths.append(Path(handle.name))
        self._open = handle
        return handle

    def close(self) -> None:
        if self._open is not None:
            self._open.close()
            self._open = None

    def discard(self) -> None:
        self.close()
        for path in self.paths:
            path.unlink(missing_ok=True)
        self.paths = []


def _with_files(
    media: tuple[MediaItem, ...], extracted: ExtractedDocument
) -> tuple[MediaItem, ...]:
    """Attach the files an inline-decoding read wrote to the media items whose base64 they held
    (in document order: the items whose inline value was emptied by the extractor)."""
    files = iter(extracted.files)
    out = []
    for item in media:
        if item.encoded == "" and item.file is None:
            path = next(files, None)
            item = replace(item, encoded=None, file=str(path) if path else None)
        out.append(item)
    return tuple(out)
