"""Gallery benchmark: the real server, p95 of each page vs the empty page and a static file.

    python bench/gallery.py [--rows 10000,1000000] [--requests 200] [--reuse]
    DATABASE_URL=postgres://…/flowdash_bench python bench/gallery.py --rows 10000,1000000

Every figure printed is a ratio of two timings taken side by side, so a loaded machine slows
both sides alike:
- each page's p95 ÷ the empty signed-in page's p95 (the "floor": the same layout with nothing
  in it, i.e. what the session, role, token and layout work costs every signed-in page before
  the gallery adds anything). Target <= 1.5 at every size.
- each page's p95 at the largest size ÷ its p95 at the smallest (target <= 1.3: the gallery
  costs the same at a million rows as at ten thousand);
- the empty page's p95 ÷ the p95 of a static file of the same size (target <= 4);
- each page's SQL query count, at 48 and 96 items per page (constant);
- the same ratios in server CPU time: the gunicorn worker's time.process_time() per request
  (bench/gunicorn_cpu.py, median), which a loaded machine does not inflate as it does p95.

How:
1. each size is prepared in its own process, in its own place: a SQLite file in
   ``$BENCH_DATA_DIR/sqlite-<rows>`` (default /tmp/fd-bench), or with DATABASE_URL a schema
   ``bench_<rows>`` of that database (point it at a throwaway database: the schemas are
   dropped and refilled). ``--reuse`` keeps a size filled by an earlier run (migrations still
   apply, statistics are refreshed), so a new index is measured in minutes, not an hour;
2. a size is filled with ``--rows`` Media rows (COPY / executemany, no files) from 8 people,
   4 models, 3 kinds, 3 aspect ratios, two years of dates, a tag and favourites on 2% of them;
3. each page is rendered once in-process to count its SQL queries (CaptureQueriesContext);
   a static file of each page's byte size is written;
4. one gunicorn per size (1 sync worker, DEBUG off, whitenoise for static files) starts, all at
   once, and each round requests every page of every size, then the same page's static file,
   over fresh connections, in an order that alternates between rounds.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = [
    "lighthouse",
    "dawn",
    "waves",
    "cliffs",
    "fox",
    "snow",
    "neon",
    "city",
    "rain",
    "reflections",
    "desert",
    "caravan",
    "sunset",
    "ramen",
    "steam",
    "astronaut",
    "earth",
    "library",
    "staircase",
    "balloon",
    "valley",
    "forest",
    "mist",
    "river",
    "bridge",
    "portrait",
    "studio",
    "light",
    "cinematic",
    "macro",
    "dew",
    "fern",
    "mountain",
    "lake",
    "temple",
    "garden",
    "robot",
    "dragon",
    "castle",
    "ocean",
    "whale",
    "coral",
    "reef",
    "market",
    "lantern",
    "train",
    "station",
    "tokyo",
    "paris",
    "cafe",
    "vintage",
    "car",
    "coastal",
    "road",
    "golden",
    "hour",
    "aerial",
    "drone",
    "shot",
    "slow",
    "motion",
    "close",
    "up",
    "wide",
]
MODELS = ["imagen-4", "nano-banana", "veo-3.1-fast", "veo-3.1-quality"]


def slug(name: str) -> str:
    return re.sub(r"\W+", "-", name).strip("-")


def setup_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {
        "FLOWDASH_DATA_DIR": str(data_dir),
        "FLOWDASH_STATIC_ROOT": str(data_dir / "static"),
        "DEBUG": "0",
        "FLOWDASH_HTTPS": "0",
        "SECRET_KEY": "bench-secret-key-not-for-production-0123456789abcdef",
        "FLOWDASH_SANDBOX": "1",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "flowdash.settings",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    os.environ.update(env)
    return env


def fill(rows: int) -> None:
    from django.contrib.auth import get_user_model

    from flowdash.gallery.models import Media, Tag, search_text_for
    from flowdash.team.roles import set_role

    users = []
    for i in range(8):
        user = get_user_model().objects.create_user(f"user{i}", f"u{i}@example.com", "bench-pass-1")
        set_role(user, "creator")
        users.append(user)
    rng = random.Random(7)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    span = 2 * 365 * 24 * 3600
    moments = sorted(start + timedelta(seconds=rng.randrange(span)) for _ in range(rows))
    t0 = time.monotonic()
    # Rows go in as plain values (COPY on PostgreSQL, executemany on SQLite), the way Media's
    # bulk_create would write them (search_text included) but without building one INSERT per
    # batch of model objects: a million rows in minutes instead of an hour on a busy machine.
    from django.db import connection

    fields = [f for f in Media._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    write = row_writer(connection, Media._meta.db_table, columns)
    # Every column starts at its field's default as the database stores it; each row then sets
    # what a generated result has (the same values Media(...) would hold, without building one).
    defaults = {f.column: f.get_db_prep_save(f.get_default(), connection) for f in fields}
    as_db_time = (
        connection.ops.adapt_datetimefield_value
        if connection.vendor == "sqlite"
        else (lambda moment: moment)
    )
    batch = []
    for n, moment in enumerate(moments):
        model = rng.choice(MODELS)
        kind = "video" if model.startswith("veo") else rng.choice(["image", "image", "gif"])
        prompt = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 18)))
        row = dict(defaults)
        row.update(
            kind=kind,
            prompt=prompt,
            model=model,
            seed=rng.randrange(1, 2**31),
            aspect_ratio=rng.choice(["16:9", "9:16", "1:1"]),
            created_by_id=rng.choice(users).pk,
            account_email="studio@example.com",
            download_status="stored",
            file=f"media/2026/01/bench-{n}.{'mp4' if kind == 'video' else 'png'}",
            width=1280,
            height=720,
            created_at=as_db_time(moment),  # spread over two years
            search_text=search_text_for(prompt),
        )
        batch.append([row[c] for c in columns])
        if len(batch) == 20_000:
            write(batch)
            batch = []
            if (n + 1) % 200_000 == 0:
                print(f"  {n + 1:,} rows in {time.monotonic() - t0:.0f}s", flush=True)
    if batch:
        write(batch)
    tag = Tag.objects.create(name="hero")
    ids = list(Media.objects.order_by("?").values_list("pk", flat=True)[: rows // 50])
    Tag.media.through.objects.bulk_create(Tag.media.through(tag=tag, media_id=i) for i in ids)
    Media.favourited_by.through.objects.bulk_create(
        Media.favourited_by.through(user=users[0], media_id=i) for i in ids[: len(ids) // 2]
    )
    # The planner statistics a running flowdash has: its hourly housekeeping task on SQLite,
    # autovacuum on PostgreSQL.
    from flowdash.lib.database import refresh_statistics

    if not refresh_statistics(connection):
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"filled {rows} rows in {time.monotonic() - t0:.1f}s", flush=True)


def row_writer(connection, table: str, columns: list[str]):
    """A function that appends rows (lists of database values) to ``table``."""
    from django.db import transaction

    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    if connection.vendor == "postgresql":
        sql = f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN"

        def write(rows: list[list]) -> None:
            with (
                transaction.atomic(),
                connection.cursor() as cursor,
                cursor.cursor.copy(sql) as copy,
            ):
                for row in rows:
                    copy.write_row(row)

        return write
    sql = (
        f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )

    def write(rows: list[list]) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)

    return write


def session_cookie(user) -> str:
    """The Cookie header of a browser signed in as ``user``: its session, and the CSRF cookie
    the sign-in form gave it (without that, every page would make and set a new one)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.middleware.csrf import _get_new_csrf_string

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "flowdash.team.backends.RoleBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"sessionid={store.session_key}; csrftoken={_get_new_csrf_string()}"


def pages(user) -> dict[str, str]:
    """The URLs measured; the deep page starts 90% of the way down."""
    from flowdash.gallery.filters import make_cursor
    from flowdash.gallery.models import Media

    count = Media.objects.count()
    deep = Media.objects.order_by("-created_at", "-pk")[int(count * 0.9)]
    cursor = make_cursor(deep.created_at, deep.pk)
    return {
        # Not a target, measured first: the same layout with almost nothing in it (no
        # collections exist), i.e. what any signed-in page costs before the gallery adds a thing.
        "floor: empty page": "/gallery/collections/",
        "first page": "/gallery/",
        "filtered page": "/gallery/?kind=video&model=veo-3.1-fast&ratio=16%3A9",
        "favourites+tag": "/gallery/?fav=1&tag=hero",
        # One tag (on 2% of the items): read from the tag's rows, newest first.
        "tag": "/gallery/?tag=hero",
        "search": "/gallery/?q=lighthouse+dawn",
        # A word no item has: without a word index the search reads every row to say so.
        "search, rare word": "/gallery/?q=zebra",
        "deep page": f"/gallery/?cursor={cursor}",
        "load more (htmx)": f"/gallery/?cursor={cursor}",
    }


HTMX = {"HX-Request": "true", "HX-Target": "gallery-more"}


def count_queries(user, url: str, htmx: bool) -> tuple[int, int, int]:
    """(queries at 48 per page, queries at 96 per page, bytes of the 48-per-page body)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    headers = HTMX if htmx else {}
    results = []
    size = 0
    for per in (48, 96):
        joiner = "&" if "?" in url else "?"
        page = f"{url}{joiner}per={per}" if per != 48 else url
        # Warm the caches as a running server has them: the first view of cards nobody has
        # seen yet costs one more query (their full rows), whatever the page size or depth.
        client.get(page, headers=headers)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(page, headers=headers)
        assert response.status_code == 200, (url, response.status_code)
        results.append(len(ctx.captured_queries))
        if per == 48:
            size = len(response.content)
    return results[0], results[1], size


def fetch(port: int, path: str, cookie: str | None, headers: dict[str, str]) -> tuple[float, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)  # a loaded machine
    all_headers = dict(headers)
    if cookie:
        all_headers["Cookie"] = cookie
    started = time.perf_counter()
    conn.request("GET", path, headers=all_headers)
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"{path}: HTTP {response.status}")
    return elapsed, len(body)


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def row_counts(raw: str) -> list[int]:
    """``10000,1000000`` (underscores allowed) → [10000, 1000000]; anything else is an error."""
    try:
        counts = [int(part.replace("_", "")) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of row counts: {raw!r}") from None
    if not counts or any(n < 100 for n in counts):
        raise argparse.ArgumentTypeError("each row count must be at least 100")
    return counts


def place(rows: int) -> tuple[Path, str | None, str | None]:
    """(data folder, DATABASE_URL, PostgreSQL schema) of one size."""
    base = Path(os.environ.get("BENCH_DATA_DIR") or "/tmp/fd-bench")
    url = os.environ.get("DATABASE_URL")
    if not url:
        return base / f"sqlite-{rows}", None, None
    schema = f"bench_{rows}"
    # The schema first, public second (where an extension such as pg_trgm lives).
    joiner = "&" if "?" in url else "?"
    return (
        base / f"postgresql-{rows}",
        f"{url}{joiner}options=-c%20search_path%3D{schema},public",
        schema,
    )


def prepare(rows: int, reuse: bool, out: Path) -> None:
    """Fill (or reuse) one size, count each page's queries, write the static files."""
    data_dir, database_url, schema = place(rows)
    marker = data_dir / "filled"
    reused = reuse and marker.exists() and marker.read_text().strip() == str(rows)
    if not reused:
        shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    env = setup_env(data_dir, database_url)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if schema:
        with connection.cursor() as cursor:
            if not reused:
                cursor.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    from flowdash.gallery.models import Media

    if reused:
        found = Media.objects.count()
        if found != rows:
            raise SystemExit(f"{data_dir}: {found} rows, not {rows}; run without --reuse")
        print(f"reused {rows:,} rows ({connection.vendor})", flush=True)
    else:
        fill(rows)
        marker.write_text(str(rows))
    from flowdash.lib.database import refresh_statistics

    if not refresh_statistics(connection):  # autovacuum's part on PostgreSQL: statistics,
        with connection.cursor() as cursor:  # and the visibility map index-only scans need
            cursor.execute("VACUUM ANALYZE")
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="user0")
    urls = pages(user)
    print(f"SQL queries per request at {rows:,} rows (48 / 96 items per page):", flush=True)
    blob_dir = data_dir / "static" / "bench"
    blob_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict] = {}
    for name, url in urls.items():
        at48, at96, size = count_queries(user, url, htmx=name.startswith("load more"))
        static = f"{slug(name)}-{size}.html"
        (blob_dir / static).write_bytes(b"x" * size)
        results[name] = {
            "url": url,
            "queries": [at48, at96],
            "bytes": size,
            "static": f"/static/bench/{static}",
        }
        print(f"  {name:18s} {at48:3d} / {at96:3d}   {size:7d} bytes", flush=True)
    out.write_text(
        json.dumps(
            {
                "rows": rows,
                "database": connection.vendor,
                "env": env,
                "cookie": session_cookie(user),
                "pages": results,
            }
        )
    )


def start_server(env: dict[str, str], cpu_log: Path) -> tuple[subprocess.Popen, int]:
    sys.path.insert(0, str(ROOT))
    from flowdash.lib.ports import free_port

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "flowdash.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--log-level",
            "warning",
            "--timeout",
            "120",
            "--config",
            str(ROOT / "bench" / "gunicorn_cpu.py"),
        ],
        cwd=ROOT,
        env={**os.environ, **env, "BENCH_CPU_LOG": str(cpu_log)},
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server, port
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError("gunicorn did not start") from None
            time.sleep(0.1)


def measure(runs: list[dict], requests: int) -> None:
    """Request every page of every size, interleaved, and store p50/p95 in ``runs``."""
    servers = []
    logs = tempfile.TemporaryDirectory(prefix="fd-bench-cpu-")
    try:
        for run in runs:
            run["cpu_log"] = Path(logs.name) / f"{run['rows']}.log"
            server, port = start_server(run["env"], run["cpu_log"])
            servers.append(server)
            run["port"] = port
        # (size, page) pairs; each round walks them forwards or backwards, page then its static.
        pairs = [(run, name) for name in runs[0]["pages"] for run in runs]
        times = {(id(run), name): ([], []) for run, name in pairs}

        def one(run, name, keep: bool) -> None:
            page = run["pages"][name]
            headers = HTMX if name.startswith("load more") else {}
            took = fetch(run["port"], page["url"], run["cookie"], headers)[0]
            static = fetch(run["port"], page["static"], None, {})[0]
            if keep:
                times[(id(run), name)][0].append(took)
                times[(id(run), name)][1].append(static)

        for _ in range(5):  # warm up: caches filled, code paths loaded
            for run, name in pairs:
                one(run, name, keep=False)
        started = time.monotonic()
        for n in range(requests):
            for run, name in pairs if n % 2 == 0 else reversed(pairs):
                one(run, name, keep=True)
        print(
            f"\n{requests} rounds in {time.monotonic() - started:.0f}s: every page of every size "
            "and its static file in turn, fresh connections, gunicorn 1 sync worker per size",
            flush=True,
        )
        for run, name in pairs:
            page_times, static_times = times[(id(run), name)]
            run["pages"][name].update(
                p50=statistics.median(page_times),
                p95=p(page_times, 0.95),
                static_p95=p(static_times, 0.95),
            )
        time.sleep(1)  # the last request's line is written just after its response
        for run in runs:
            read_cpu(run)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(60)  # a loaded machine stops slowly
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(15)
        logs.cleanup()


def read_cpu(run: dict) -> None:
    """Each page's (and its static file's) median server CPU time per request, from the
    worker's log, past the warm-up requests."""
    seen: dict[tuple[str, str], list[float]] = {}
    for line in run["cpu_log"].read_text().splitlines():
        took, target, path = line.split(" ", 2)
        seen.setdefault((target, path), []).append(float(took))
    for name, page in run["pages"].items():
        target = HTMX["HX-Target"] if name.startswith("load more") else "-"
        page_cpu = seen[(target, page["url"])][5:]
        static_cpu = seen[("-", page["static"])][5:]
        page.update(cpu=statistics.median(page_cpu), static_cpu=statistics.median(static_cpu))


def compare(runs: list[dict]) -> None:
    """Per size: each page ÷ the floor and ÷ its static file, in wall time (p95) and in server
    CPU time (median); then largest ÷ smallest."""
    small, large = runs[0], runs[-1]
    floor_name = next(n for n in small["pages"] if n.startswith("floor"))
    for run in runs:
        floor = run["pages"][floor_name]
        print(f"\n{run['database']}, {run['rows']:,} rows")
        print(
            f"  {'page':18s} {'p50 ms':>8s} {'p95 ms':>8s} {'÷ static':>9s} {'÷ floor':>8s}"
            f" {'cpu ms':>8s} {'÷ static':>9s} {'÷ floor':>8s} {'queries 48/96':>14s}"
        )
        for name, page in run["pages"].items():
            print(
                f"  {name:18s} {page['p50'] * 1000:8.2f} {page['p95'] * 1000:8.2f} "
                f"{page['p95'] / page['static_p95']:9.2f} {page['p95'] / floor['p95']:8.2f} "
                f"{page['cpu'] * 1000:8.2f} {page['cpu'] / page['static_cpu']:9.2f} "
                f"{page['cpu'] / floor['cpu']:8.2f} "
                f"{' / '.join(map(str, page['queries'])):>14s}"
            )
    sizes = " / ".join(f"{r['rows']:,}" for r in runs)
    print(f"\n== Summary ({small['database']}; rows {sizes})")
    for label, key, static in (("wall p95", "p95", "static_p95"), ("CPU", "cpu", "static_cpu")):
        print(
            f"  the empty signed-in page ÷ a static file of its size, {label} (target <= 4): "
            + ", ".join(
                f"{r['pages'][floor_name][key] / r['pages'][floor_name][static]:.2f}"
                f" at {r['rows']:,}"
                for r in runs
            )
        )
    head = "".join(f"{'÷ floor @' + format(r['rows'], ','):>18s}" for r in runs)
    worst = {}
    for label, key in (("wall p95", "p95"), ("server CPU (median)", "cpu")):
        print(f"\n  {label}")
        print(f"  {'page':18s}{head} {'large÷small':>12s} {'queries':>14s}")
        worst_floor = worst_growth = 0.0
        for name in small["pages"]:
            if name.startswith("floor"):
                continue
            per_size = [r["pages"][name][key] / r["pages"][floor_name][key] for r in runs]
            growth = large["pages"][name][key] / small["pages"][name][key]
            queries = " / ".join(str(r["pages"][name]["queries"][0]) for r in runs)
            worst_floor = max(worst_floor, *per_size)
            worst_growth = max(worst_growth, growth)
            cells = "".join(f"{v:18.2f}" for v in per_size)
            print(f"  {name:18s}{cells} {growth:12.2f} {queries:>14s}")
        worst[label] = (worst_floor, worst_growth)
    constant = all(
        len({q for r in runs for q in r["pages"][name]["queries"]}) == 1 for name in small["pages"]
    )
    print()
    for label, (worst_floor, worst_growth) in worst.items():
        print(
            f"  {label}: worst ÷ floor {worst_floor:.2f} (target <= 1.5); "
            f"worst large÷small {worst_growth:.2f} (target <= 1.3)"
        )
    print(
        f"  query counts {'constant' if constant else 'NOT constant'} across sizes and page sizes"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=row_counts, default=[10_000, 1_000_000])
    parser.add_argument("--requests", type=int, default=200, help="rounds of requests")
    parser.add_argument(
        "--reuse", action="store_true", help="keep a size filled by an earlier run as it is"
    )
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)  # one size, in a child
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(args.prepare, args.reuse, Path(args.json))
        return
    runs = []
    with tempfile.TemporaryDirectory(prefix="fd-bench-runs-") as folder:
        for rows in args.rows:
            out = Path(folder) / f"{rows}.json"
            print(f"\n######## {rows:,} rows", flush=True)
            command = [sys.executable, __file__, "--prepare", str(rows), "--json", str(out)]
            subprocess.run(command + (["--reuse"] if args.reuse else []), check=True)
            runs.append(json.loads(out.read_text()))
    measure(runs, args.requests)
    compare(runs)


if __name__ == "__main__":
    main()
