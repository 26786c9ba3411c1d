"""Benchmark of a 500-row CSV batch against the simulator with ONE worker process. Prints ratios.

    python bench/batch.py                       # 500 image rows at simulator speed 20
    python bench/batch.py --rows 200 --speed 10

What it starts (all on 127.0.0.1, all stopped at the end): the simulator, a private
redis-server, one Celery worker (threads pool) and a beat (the job reconciler and the batches'
wave release), on a fresh SQLite file in a temporary data folder.

Figures (issue #15 "Speed"):
* preview: the server time of the 500-row CSV preview (POST: read, check every row with the
  studio's forms, price, store; then GET: render the preview table) ÷ the empty signed-in
  /batches/ page, both through Django's request handling in this process (best of 3);
* batch: wall ÷ ideal, where wall = batch start → the last row's job recorded finished, and
  ideal = the simulator's own image durations list-scheduled on its image slots (accounts ×
  imageConcurrency), every slot taking the next job the moment it frees (bench/pipeline.py's
  ``list_schedule``), the single jobs included;
* fairness: ``--singles`` image jobs submitted by another person, the first ``--single-after``
  seconds after the batch started, then one every ``--single-every`` seconds: for each, (its
  finish − its creation) ÷ its own simulator duration; the median and the worst.

Two rounds, side by side on the same processes: first the same rows made into jobs all at once
(no batch: what the job pipeline alone does with 500 jobs — skip with ``--no-baseline``), then
the batch. The first round's figures are what the pipeline itself reaches on this machine; the
difference between the rounds is the batch's cost (waves) and benefit (fairness).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import pipeline as pipeline_bench  # noqa: E402  (bench/pipeline.py: processes, ideal)

from flowdash.lib.ports import free_port, wait_for_port  # noqa: E402


def csv_bytes(rows: int) -> bytes:
    lines = ["prompt,model,aspect,count,seed"]
    lines += [f"catalogue shot {i} of a ceramic vase,imagen-4,landscape,1,{i}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def celery(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "flowdash", *args]


def best_of(times: int, action) -> float:
    best = float("inf")
    for _ in range(times):
        t = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--speed", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--release", type=float, default=0.25, help="beat's wave release, s")
    parser.add_argument("--buffer", type=int, default=8, help="FLOWDASH_BATCH_BUFFER")
    parser.add_argument("--single-after", type=float, default=3.0)
    parser.add_argument("--singles", type=int, default=5, help="single jobs sent during a round")
    parser.add_argument("--single-every", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--no-baseline",
        dest="baseline",
        action="store_false",
        help="skip the round that makes the same rows into jobs all at once",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    data_dir = Path(tempfile.mkdtemp(prefix="flowdash-bench-batch-"))
    os.environ["FLOWDASH_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flowdash.settings")
    procs = pipeline_bench.Procs()
    from flowdash.simulator.server import SimulatorServer

    sim = SimulatorServer(host="127.0.0.1", port=0, speed=args.speed, data_dir=data_dir / "sim")
    sim.start()
    try:
        run(args, data_dir, sim, procs)
    finally:
        procs.stop_all()
        sim.stop()
        if args.keep:
            print(f"# data folder kept: {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def run(args, data_dir: Path, sim, procs) -> None:
    from flowdash.lib.embedded_redis import server_args

    redis_port = free_port()
    (data_dir / "redis").mkdir()
    procs.start(
        server_args(data_dir=data_dir / "redis", port=redis_port, persist=False),
        os.environ.copy(),
        data_dir / "redis.log",
    )
    wait_for_port(redis_port)
    reconcile = max(15.0 / args.speed, 0.5)
    env = {
        **os.environ,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "USEAPI_BASE_URL": sim.base_url,
        "USEAPI_TOKEN": sim.token,
        "FLOWDASH_SANDBOX": "0",
        "FLOWDASH_JOB_TIME_SCALE": str(args.speed),
        "FLOWDASH_RECONCILE_SECONDS": str(reconcile),
        "FLOWDASH_BATCH_RELEASE_SECONDS": str(args.release),
        "FLOWDASH_BATCH_BUFFER": str(args.buffer),
        "DEBUG": "0",
        "FLOWDASH_HTTPS": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
        # DEBUG off as in production: pages need the collected static files' manifest.
        "FLOWDASH_STATIC_ROOT": str(data_dir / "static"),
    }
    os.environ.update(env)
    for command in (["migrate"], ["collectstatic", "--noinput"]):
        subprocess.run(
            [sys.executable, "manage.py", *command, "-v", "0"], cwd=ROOT, env=env, check=True
        )
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from flowdash.accounts.models import FlowAccount
    from flowdash.batches import services
    from flowdash.batches.models import Batch, BatchRow
    from flowdash.celery import app
    from flowdash.spending.services import create_priced_job
    from flowdash.team.roles import set_role
    from flowdash.useapi.client import UseapiClient

    app.conf.broker_url = env["REDIS_URL"]
    for email in sim.state.accounts:
        sim.state.set_account_state(email, credits=10**7)
    UseapiClient(sim.base_url, sim.token).set_captcha_providers({"CapSolver": "CAP-bench-key-1"})
    for email in sim.state.accounts:
        local, _, domain = email.partition("@")
        FlowAccount.objects.get_or_create(
            email=f"{local[:2]}***@{domain}", defaults={"full_email": email, "health": "OK"}
        )
    users = get_user_model().objects
    carol = users.create_user("carol", "carol@example.com", "a-long-password-1")
    dan = users.create_user("dan", "dan@example.com", "a-long-password-1")
    set_role(carol, "creator")
    set_role(dan, "creator")

    # --- the preview's server time ------------------------------------------------------------
    client = Client()
    client.force_login(carol)
    empty = best_of(3, lambda: client.get("/batches/"))
    data = csv_bytes(args.rows)
    drafts: list[int] = []

    def preview() -> None:
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("rows.csv", data, "text/csv")
        answer = client.post(
            "/batches/",
            {"source": "csv", "file": upload, "kind": "image", "count": "1"},
        )
        assert answer.status_code == 302, answer.content[:500]
        page = client.get(answer.url)
        assert page.status_code == 200
        drafts.append(int(answer.url.rstrip("/").split("/")[-1]))

    preview_s = best_of(3, preview)
    batch = Batch.objects.get(pk=drafts[-1])
    assert batch.rows.filter(status=BatchRow.Status.READY).count() == args.rows
    print(
        f"# simulator speed {args.speed}, reconciler every {reconcile:g} s, wave release every "
        f"{args.release:g} s, buffer {args.buffer}, {args.concurrency} worker threads"
    )
    print(
        f"preview of {args.rows} rows / empty page = {preview_s / empty:.1f}  "
        f"({preview_s * 1000:.0f} ms / {empty * 1000:.1f} ms server time)"
    )

    # --- the batch, and one job of someone else's after it started -----------------------------
    log = data_dir / "worker.log"
    worker = procs.start(
        celery("worker", "--pool", "threads", "--concurrency", str(args.concurrency))
        + ["--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        env,
        log,
    )
    pipeline_bench.wait_worker(log, worker)
    procs.start(
        celery("beat", "-s", str(data_dir / "beat-schedule"), "--loglevel", "WARNING"),
        env,
        data_dir / "beat.log",
    )
    single_params = {
        "prompt": "a single urgent image",
        "model": "imagen-4",
        "aspect_ratio": "landscape",
        "count": 1,
        "seed": 7,
        "references": [],
    }

    def at_once() -> list[int]:
        """The baseline: the same rows made into jobs all at once, no batch, no waves."""
        rows = batch.rows.order_by("number")
        return [create_priced_job(r.kind, dict(r.params), user=carol, check=False).pk for r in rows]

    def as_batch() -> list[int]:
        services.start(batch)
        return []

    if args.baseline:
        measure("all at once (no batch)", at_once, None, args, sim, dan, single_params)
    measure("batch", as_batch, batch, args, sim, dan, single_params)
    print(f"worker peak RSS               = {pipeline_bench.rss_peak_kb(worker.pid) / 1024:.0f} MB")


def measure(name, make, batch, args, sim, dan, single_params) -> None:
    from flowdash.batches.models import Batch
    from flowdash.jobs.models import FINISHED, Job
    from flowdash.spending.services import create_priced_job

    sim.state.clear_requests()
    t0 = time.monotonic()
    started = time.time()
    ids = make()
    singles = []
    for k in range(args.singles):
        time.sleep(args.single_after if k == 0 else args.single_every)
        params = {**single_params, "seed": 7 + k}
        singles.append(create_priced_job("image", params, user=dan))
    end = time.monotonic() + args.timeout
    while time.monotonic() < end:
        if batch is not None:
            batch.refresh_from_db()
            ids = list(batch.rows.exclude(job=None).values_list("job_id", flat=True))
            if batch.status != Batch.Status.DONE:
                time.sleep(0.25)
                continue
        settled = Job.objects.filter(pk__in=[*ids, *(j.pk for j in singles)]).exclude(
            status__in=[*FINISHED, Job.Status.NEEDS_ATTENTION]
        )
        if not settled.exists():
            break
        time.sleep(0.25)
    wall_all = time.monotonic() - t0
    jobs = list(Job.objects.filter(pk__in=ids))
    singles = list(Job.objects.filter(pk__in=[j.pk for j in singles]).order_by("pk"))
    states: dict[str, int] = {}
    for job in jobs:
        states[job.status] = states.get(job.status, 0) + 1
    print(f"\n## {name}: {len(jobs)} jobs {states}; everything settled in {wall_all:.1f} s")
    remote = {}
    for job in [*jobs, *singles]:
        record = sim.state.job(job.remote_job_id) if job.remote_job_id else None
        if record is not None:
            remote[job.pk] = record
    done = [j for j in jobs if j.finished_at]
    last = max(j.finished_at.timestamp() for j in done) - started
    durations = [
        pipeline_bench.nominal_seconds(j, remote, args.speed) / args.speed
        for j in sorted([*done, *singles], key=lambda j: j.created_at)
    ]
    slots = len(sim.state.accounts) * sim.state.settings.image_concurrency
    ideal = pipeline_bench.list_schedule(durations, slots)
    bound = max(max(durations), sum(durations) / slots)
    print(
        f"wall / ideal                  = {last / ideal:.3f}  "
        f"({last:.1f} s / {ideal:.1f} s; {slots} image slots)"
    )
    print(f"wall / lower bound            = {last / bound:.3f}  ({last:.1f} s / {bound:.1f} s)")
    print(f"slot refill gap               = {refill_gaps(remote.values(), sim)}")
    ratios = []
    for k, single in enumerate(singles):
        own = pipeline_bench.nominal_seconds(single, remote, args.speed) / args.speed
        took = (single.finished_at - single.created_at).total_seconds()
        ratios.append(took / own if own else float("inf"))
        sent = args.single_after + k * args.single_every
        print(
            f"single job {k + 1} / its ideal      = {ratios[-1]:.2f}  ({took:.2f} s / {own:.2f} s;"
            f" sent {sent:g} s after the start, {single.status})"
        )
    ratios.sort()
    print(
        f"single jobs / ideal: median    = {ratios[len(ratios) // 2]:.2f}, worst {ratios[-1]:.2f}"
    )
    posts = [r for r in sim.state.requests() if r["method"] == "POST" and r["apiPath"] == "/images"]
    refused = sum(1 for r in posts if r["status"] == 429)
    print(
        f"POST /images                  = {len(posts)} for {len(jobs) + len(singles)} jobs "
        f"({refused} 429s)"
    )


def refill_gaps(records, sim) -> str:
    """How long a freed image slot sat idle, from the simulator's own records: on each account,
    the k-th image to end frees the slot the (concurrency + k)-th image to start takes; the gap
    is that start − that end (real seconds; median and p90; negative gaps count as 0)."""
    per_account: dict[str, tuple[list[float], list[float]]] = {}
    for rec in records:
        if rec.type != "image" or not isinstance(rec.updated, int | float):
            continue
        starts, ends = per_account.setdefault(rec.email, ([], []))
        starts.append(rec.created)
        ends.append(rec.updated)
    conc = sim.state.settings.image_concurrency
    gaps = []
    for starts, ends in per_account.values():
        starts.sort()
        ends.sort()
        for k, start in enumerate(starts[conc:]):
            gaps.append(max(0.0, start - ends[k]))
    if not gaps:
        return "n/a"
    gaps.sort()
    median, p90 = gaps[len(gaps) // 2], gaps[int(0.9 * (len(gaps) - 1))]
    return f"median {median * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms ({len(gaps)} refills)"


if __name__ == "__main__":
    main()
