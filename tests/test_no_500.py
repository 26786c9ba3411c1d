"""No 500, whatever people type: a crawler over every URL pattern of the project.

Every pattern of the URL resolver (the Django admin included) is requested as anonymous, viewer,
creator and admin, GET and POST, with its path filled by existing objects and by hostile ids. Each
request that gets past the sign-in and the role check is then repeated with hostile values
(the probe values of issue 19, empty, 100,000 characters, NUL, emoji, negatives, huge integers,
nan/inf, dates out of range, references and redirect targets) in every query parameter and form
field the view accepts: all fields at once, then one field at a time on top of the form as the
page renders it (so the rest of the form is valid and the code behind it is reached), with and
without htmx's HX-Request header. The field names come from the forms the pages render and from
the request values the view's app reads in its source.

The test fails listing every 500 (method, URL, fields and the exception) at once.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from flowdash.lib.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
# FLOWDASH_CRAWL_PROGRESS=1 prints each URL as the crawl reaches it (run with -s).
_PROGRESS = os.environ.get("FLOWDASH_CRAWL_PROGRESS")
HUGE = "99999999999999999999999"

# The whole corpus, used with every field set at once.
HOSTILE = [
    "",
    "²",
    "١٢",
    "0",
    "-1",
    str(2**63),
    HUGE,
    "2**63",
    "nan",
    "inf",
    "1e999",
    "9999-12-31",
    "0000-01-01",
    "2026-02-30",
    "asset:²",
    f"asset:{HUGE}",
    "x",
    "//evil.example/",
    "javascript:alert(1)",
    "\x00",
    "a\x00b",
    "🙂",
]
LONG = "x" * 100_000
# The sharpest values, tried one field at a time (with a valid rest of the form).
SHARP = [
    "",
    "²",
    "-1",
    str(2**63),
    HUGE,
    "nan",
    "1e999",
    "9999-12-31",
    "0000-01-01",
    "asset:²",
    "x",
    "\x00",
    "🙂",
    LONG,
]
HOSTILE_IDS = ["0", str(2**63), HUGE]
ROLES = ("anonymous", "viewer", "creator", "admin")
# Last, so they do not take away the objects the other URLs need (and logout the session).
DESTRUCTIVE = re.compile(r"delete|logout|remove|cancel|give-up|resolve|token|password")
# Request values read in the source: request.GET.get("x"), params.getlist("x"), data.get("x")...
SOURCE_NAME = re.compile(
    r"""\b(?:GET|POST|params|source|data|query|q)\s*\.\s*(?:get|getlist|pop)\(\s*f?["']([\w-]+)["']"""
)
ADMIN_NAMES = ["q", "o", "p", "all", "e", "_popup", "_to_field", "_changelist_filters", "id__exact"]


# --- the world the crawler walks in ------------------------------------------------------------


@pytest.fixture
def world(db, settings, tmp_path, make_user):
    from django.contrib.auth import get_user_model

    from flowdash.accounts.models import Alert, FlowAccount
    from flowdash.assets.models import Asset
    from flowdash.gallery.models import Collection, CollectionItem, Tag
    from flowdash.jobs.models import Job
    from tests.gallery.factories import make_media, png_bytes

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    # Views that call the API (adding an account, captcha keys) meet a closed loopback port.
    closed = f"http://127.0.0.1:{free_port()}/v1/google-flow"
    settings.USEAPI_BASE_URL = closed
    settings.SANDBOX_BASE_URL = closed
    settings.USEAPI_TOKEN = "user:1-crawler"
    settings.FLOWDASH_SANDBOX = False

    users = {
        "viewer": make_user("vera", "viewer"),
        "creator": make_user("carl", "creator"),
        "admin": make_user("ada", "admin"),
    }
    get_user_model().objects.filter(username="ada").update(is_staff=True, is_superuser=True)
    account = FlowAccount.objects.create(email="jo***@example.com", full_email="jo@example.com")
    image = make_media(account=account, created_by=users["creator"])
    video = make_media(kind="video", account=account, duration_seconds=8.0)
    from django.core.files.base import ContentFile

    data = png_bytes()
    asset = Asset(
        sha256="0" * 64,
        content_type=Asset.PNG,
        size=len(data),
        width=64,
        height=48,
        uploaded_by=users["creator"],
    )
    asset.file.save("crawler.png", ContentFile(data), save=False)
    asset.save()
    tag = Tag.objects.create(name="fox")
    image.tags.add(tag)
    collection = Collection.objects.create(name="Foxes", created_by=users["creator"])
    item = CollectionItem.objects.create(collection=collection, media=image, position=1)
    job = Job.objects.create(
        kind=Job.Kind.IMAGE,
        status=Job.Status.NEEDS_ATTENTION,
        params={"prompt": "a fox", "model": "imagen-4"},
        requested_by=users["creator"],
        account=account,
        remote_job_id="user:1-email:00-image:crawler",
    )
    job.set_webhook_token_hash()
    job.save(update_fields=["webhook_token_hash"])
    Job.objects.create(kind=Job.Kind.VIDEO, status=Job.Status.FAILED, params={"prompt": "x"})
    alert = Alert.objects.create(
        kind=Alert.Kind.LOW_CREDITS, subject=account.email, account=account, message="low"
    )
    return {
        "users": users,
        "ids": {
            "media": image.pk,
            "video": video.pk,
            "asset": asset.pk,
            "tag": tag.pk,
            "collection": collection.pk,
            "item": item.pk,
            "job": job.pk,
            "job_uuid": str(job.uuid),
            "job_token": job.webhook_token(),
            "account": account.pk,
            "alert": alert.pk,
            "user": users["viewer"].pk,
        },
    }


def existing(name: str, kwarg: str, ids: dict) -> str:
    """The id of an existing object for a path parameter of the URL called ``name``."""
    app = name.split(":")[0]
    if kwarg == "tag_pk":
        return str(ids["tag"])
    if kwarg == "entry_pk":
        return str(ids["item"])
    if kwarg == "user_id":
        return str(ids["user"])
    if kwarg == "job_uuid":
        return ids["job_uuid"]
    if kwarg == "token":
        return ids["job_token"]
    if app == "gallery":
        return str(ids["collection"] if ":collection" in name else ids["media"])
    if app == "postprod":
        return str(ids["video"])
    if app == "assets":
        return str(ids["asset"])
    if app == "accounts":
        return str(ids["alert"] if ":alert" in name else ids["account"])
    if app == "jobs":
        return str(ids["job"])
    if app == "admin":
        return {"app_label": "auth", "object_id": str(ids["user"])}.get(kwarg, "1")
    return "1"


# --- walking the resolver ----------------------------------------------------------------------


def patterns(resolver=None, namespace: str = "", prefix: str = ""):
    """(full name, route, kwarg names, view) of every URL pattern, through includes."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from patterns(entry, ns, route)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            kwargs = list(re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route))
            names = [a or b for a, b in kwargs]
            yield name, route, names, entry.callback


def concrete_urls(ids: dict) -> list[tuple[str, str, bool]]:
    """(name, path, real) for every pattern: its existing objects, then each id made hostile."""
    found = []
    for name, _route, kwargs, _view in patterns():
        real = {k: existing(name, k, ids) for k in kwargs}
        variants = [(real, True)]
        for k in kwargs:
            extra = ["²", "x" * 300] if k not in ("pk", "object_id") else []
            for bad in (HUGE, "²") if name.startswith("admin:") else HOSTILE_IDS + extra:
                variants.append(({**real, k: bad}, False))
        for values, is_real in variants:
            try:
                path = reverse(name, kwargs=values) if values else reverse(name)
            except NoReverseMatch:
                continue  # the converter refuses that value: the resolver gives a 404
            found.append((name, path, is_real))
    # Keep one path per (path, real) and push destructive URLs to the end.
    unique = list(dict.fromkeys(found))
    return sorted(unique, key=lambda row: bool(DESTRUCTIVE.search(row[0])))


def source_names(view) -> set[str]:
    """Request value names read anywhere in the view's app (its views, forms, filters...)."""
    module = getattr(view, "__module__", "") or ""
    if not module.startswith("flowdash."):
        return set()
    package = ROOT / Path(*module.split(".")[:2])
    names: set[str] = set()
    for file in package.glob("*.py"):
        names.update(SOURCE_NAME.findall(file.read_text()))
    return names


# --- forms as the pages render them ------------------------------------------------------------


class FormParser(HTMLParser):
    """Every <form>: its action, method and fields with the values the page gives them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.loose: set[str] = set()  # inputs outside any form (htmx hx-include, hx-vals)
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {
                "action": a.get("action") or a.get("hx-post") or a.get("hx-get") or "",
                "method": (a.get("method") or ("post" if a.get("hx-post") else "get")).lower(),
                "fields": defaultdict(list),
            }
            self.forms.append(self._form)
            return
        name = a.get("name")
        if tag in ("input", "select", "textarea", "button") and name:
            if self._form is None:
                self.loose.add(name)
                return
            fields = self._form["fields"]
            kind = (a.get("type") or "text").lower()
            if tag == "input" and kind == "file":
                fields.setdefault(name, [])
            elif tag == "input" and kind in ("checkbox", "radio"):
                if "checked" in a:
                    fields[name].append(a.get("value") or "on")
                else:
                    fields.setdefault(name, [])
            elif tag == "select":
                self._select = name
                fields.setdefault(name, [])
            elif tag == "textarea":
                self._textarea = name
                fields[name].append("")
            elif tag == "button":
                if not fields.get(name):
                    fields[name] = [a.get("value") or ""]
            else:
                fields[name].append(a.get("value") or "")
        elif tag == "option" and self._select and self._form is not None:
            chosen = self._form["fields"][self._select]
            value = a.get("value", "")
            if "selected" in a or not chosen:
                chosen[:] = [value]

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form["fields"][self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def page_forms(html: str) -> FormParser:
    parser = FormParser()
    parser.feed(html)
    return parser


# --- the crawl ---------------------------------------------------------------------------------


class Crawl:
    def __init__(self, world):
        self.world = world
        self.clients = {role: Client(raise_request_exception=False) for role in ROLES}
        self.failures: dict[tuple[str, str, str], dict] = {}
        self.count = 0

    def client(self, role: str) -> Client:
        client = self.clients[role]
        if role != "anonymous":
            client.force_login(self.world["users"][role])
        return client

    def send(self, role, method, path, data=None, htmx=False, json_body=None):
        client = self.clients[role]
        headers = {"HX-Request": "true"} if htmx else {}
        self.count += 1
        if json_body is not None:
            data = {"json": json_body}
            response = client.post(
                path, json_body, content_type="application/json", headers=headers
            )
        elif method == "GET":
            response = client.get(path, data or {}, headers=headers)
        else:
            response = client.post(path, data or {}, headers=headers)
        # /readyz/ says 503 when a part is down (no Redis in this test): its answer, not an error.
        if response.status_code >= 500 and not (path == "/readyz/" and response.status_code == 503):
            exc = getattr(response, "exc_info", None)
            what = f"{type(exc[1]).__name__}: {exc[1]}"[:200] if exc else ""
            values = sorted({_short(v) for v in (data or {}).values()})
            example = f"{role}{' htmx' if htmx else ''} {dict(list((data or {}).items())[:3])}"
            key = (method, path, what)
            if key not in self.failures:
                self.failures[key] = {"count": 0, "values": set(), "example": _short(example, 160)}
            self.failures[key]["count"] += 1
            self.failures[key]["values"].update(values)
        return response

    def report(self) -> str:
        lines = []
        for (method, path, what), seen in sorted(self.failures.items()):
            lines.append(
                f"{seen['count']:4d}× 500 {method} {path} → {what}\n"
                f"       values: {', '.join(sorted(seen['values']))[:300]}\n"
                f"       e.g. {seen['example']}"
            )
        return "\n".join(lines)


def _short(value, limit: int = 24) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 8]}…({len(text)})"


def _passes(response) -> bool:
    """Did the request get past the sign-in, the role check and the method check?"""
    if response.status_code in (401, 403, 404, 405):
        return False
    location = response.get("Location", "")
    return not ("/login/" in location and response.status_code in (301, 302))


def test_no_url_answers_500_to_anyone_whatever_the_values(world, settings):
    started = time.monotonic()
    quiet = [logging.getLogger(n) for n in ("django.request", "django.security", "axes")]
    levels = [q.level for q in quiet]
    for q in quiet:
        q.setLevel(logging.CRITICAL)
    crawl = Crawl(world)
    try:
        _crawl(crawl)
    finally:
        for q, level in zip(quiet, levels, strict=True):
            q.setLevel(level)
    elapsed = time.monotonic() - started
    print(f"\ncrawler: {crawl.count} requests in {elapsed:.1f} s, {len(crawl.failures)} 500s")
    assert crawl.count > 1_500  # the crawl really walked (not a test that cannot fail)
    assert not crawl.failures, f"{len(crawl.failures)} kinds of 500:\n{crawl.report()}"


def _crawl(crawl: Crawl) -> None:
    ids = crawl.world["ids"]
    urls = concrete_urls(ids)
    views = {name: view for name, _route, _kwargs, view in patterns()}
    assert len({name for name, _path, _real in urls}) >= 60

    # The forms each page of ours renders for the admin: field names and a valid baseline per
    # action (the Django admin's own forms are left to Django).
    baselines: dict[str, dict] = {}
    rendered_names: dict[str, set[str]] = defaultdict(set)
    crawl.client("admin")
    for name, path, real in urls:
        if not real or DESTRUCTIVE.search(name) or name.startswith("admin:"):
            continue
        response = crawl.send("admin", "GET", path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parsed = page_forms(response.content.decode(errors="replace"))
        rendered_names[path].update(parsed.loose)
        for form in parsed.forms:
            action = urlsplit(form["action"]).path or path
            rendered_names[action].update(form["fields"])
            if form["method"] == "post":
                baselines.setdefault(action, {k: v for k, v in form["fields"].items() if v})

    for name, path, real in urls:
        if _PROGRESS:
            print(f"{time.monotonic():.1f} {crawl.count} {name} {path[:60]}", flush=True)
        admin_site = name.startswith("admin:")
        if not real:
            # A hostile id in the path: past the resolver, only the view's lookup differs.
            crawl.client("admin")
            crawl.send("admin", "GET", path)
            if not admin_site:
                crawl.send("admin", "POST", path, baselines.get(path, {}))
            continue
        if admin_site:
            # Django's admin: every page for a stranger and for the admin; its list pages with
            # hostile search, ordering, paging and filter values.
            crawl.client("admin")
            crawl.send("anonymous", "GET", path)
            crawl.send("admin", "GET", path)
            crawl.send("admin", "POST", path)  # an empty POST: forms answer with their errors
            if name == "admin:login":  # the admin's sign-in goes through django-axes too
                for value in HOSTILE + [LONG]:
                    crawl.send("anonymous", "POST", path, {"username": value, "password": value})
            if name.endswith("changelist"):
                for value in ("²", HUGE, "nan", "\x00", LONG):
                    crawl.send("admin", "GET", path, {n: value for n in ADMIN_NAMES})
            continue
        if name == "hooks:useapi":
            # The webhook reads JSON: hostile values in each field the API's callbacks carry.
            for value in [*HOSTILE, LONG, 12, -1, 2**64, 1e308, None, [], {}]:
                body = {"status": value, "jobid": value, "jobId": value, "error": value}
                crawl.send("anonymous", "POST", path, json_body=json.dumps(body))
            for raw in ("", "{", "[]", "null", '"x"', "\x00", "{" * 5000):
                crawl.send("anonymous", "POST", path, json_body=raw)
        get_names = sorted(rendered_names.get(path, set()) | source_names(views[name]))
        post_names = sorted(set(baselines.get(path, {})) | set(get_names))
        for role in ROLES:
            crawl.client(role)
            for method, names in (("GET", get_names), ("POST", post_names)):
                baseline = baselines.get(path, {}) if method == "POST" else {}
                first = crawl.send(role, method, path, baseline)
                if not names or not _passes(first):
                    continue
                if role in ("viewer", "creator"):
                    # Roles change what is shown, not how values are read: one sharp probe.
                    value = "²" if role == "viewer" else HUGE
                    crawl.send(role, method, path, {n: value for n in names})
                    continue
                # The admin, and a stranger where a view lets one in (sign-in, webhooks):
                crawl.send(role, method, path, baseline, htmx=True)
                # every field at once, each hostile value (every other one through htmx).
                for i, value in enumerate(HOSTILE):
                    crawl.send(role, method, path, {n: value for n in names}, htmx=bool(i % 2))
                # One field at a time on top of the rendered form, so the rest is valid and the
                # code behind an early refusal is reached too: each field gets one sharp value,
                # taken in turn so that the fields together get all of them (the whole corpus
                # already reached every field above).
                for i, field in enumerate(names):
                    value = SHARP[(i + len(path)) % len(SHARP)]
                    crawl.send(role, method, path, {**baseline, field: value}, htmx=bool(i % 2))
                # A list of hostile values for fields read with getlist (clip, tag, references).
                crawl.send(role, method, path, {n: ["1", "²", HUGE, "-1"] for n in names})
        crawl.client("admin")  # a logout URL ends the sessions: sign back in


def test_the_crawler_finds_a_500_when_there_is_one(world, settings):
    """The crawler itself can fail: a view that int()s a value is caught."""
    from django.http import HttpResponse
    from django.urls import path

    def naive(request):
        return HttpResponse(str(int(request.GET.get("n", "1"))))

    crawl = Crawl(world)
    with settings_urls(settings, [path("naive/", naive, name="naive")]):
        crawl.client("admin")
        quiet = logging.getLogger("django.request")
        level = quiet.level
        quiet.setLevel(logging.CRITICAL)
        try:
            crawl.send("admin", "GET", "/naive/", {"n": "²"})
        finally:
            quiet.setLevel(level)
    assert len(crawl.failures) == 1
    assert "ValueError" in crawl.report() and "/naive/" in crawl.report()


class settings_urls:  # noqa: N801 - used as a context manager like override_settings
    """Serve a throw-away URLconf (the project's plus ``extra``) for the duration."""

    def __init__(self, settings, extra):
        self.settings, self.extra = settings, extra

    def __enter__(self):
        import types

        from django.urls import clear_url_caches

        import flowdash.urls

        module = types.ModuleType("crawler_urls")
        module.urlpatterns = list(flowdash.urls.urlpatterns) + list(self.extra)
        import sys

        sys.modules["crawler_urls"] = module
        self.old = self.settings.ROOT_URLCONF
        self.settings.ROOT_URLCONF = "crawler_urls"
        clear_url_caches()
        return self

    def __exit__(self, *exc):
        import sys

        from django.urls import clear_url_caches

        self.settings.ROOT_URLCONF = self.old
        sys.modules.pop("crawler_urls", None)
        clear_url_caches()
