"""Benchmark of the job pipeline against the simulator, with ONE worker process. Prints ratios.

    python bench/pipeline.py --videos 50 --images 20          # about a minute
    python bench/pipeline.py --videos 500 --images 100 --speed 10 --big-mb 200   # the issue's run

What it starts (all on 127.0.0.1, all stopped at the end): the simulator, a private
redis-server, one Celery worker (threads pool), a beat running the reconciler every
``--reconcile`` seconds, and for the webhook round the web side receiving the callbacks
(gunicorn as in production; ``--web runserver`` for the development server).
The database is a fresh SQLite file in a temporary data folder.

Figures (issue #4 "Speed and memory"):
* videos: wall ÷ ideal, where ideal = the moment the simulator finished the last video (its own
  generation time, including captcha and queueing) and wall = the moment flowdash recorded it;
* API calls per video job (POST + GET /jobs/{id}) ÷ the docs' naive loop (POST + one GET every
  5 s of the job's nominal duration), polling and webhook modes;
* images: wall ÷ the ideal the simulator's concurrency allows: the simulator's own image
  durations list-scheduled on its accounts × imageConcurrency slots in the order the jobs were
  made, each slot taking the next job the moment it frees (see ``list_schedule``); also printed
  against the lower bound max(longest image, Σ image durations ÷ slots);
* worker peak RSS (VmHWM of the worker process);
* RSS growth of a process downloading one big result (``--big-mb``) through the same code.

The reconciler interval is real seconds while the simulator runs ``--speed`` times faster than
documented; keep ``reconcile × speed`` near the production 15 s (e.g. speed 10 → 1.5 s) so the
ratio means what it would at speed 1.
"""

from __future__ import annotations

import argparse
import math
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

from flowdash.lib.ports import free_port, wait_for_port  # noqa: E402


def rss_peak_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


class Procs:
    def __init__(self) -> None:
        self.items: list[subprocess.Popen] = []

    def start(self, args, env, log: Path) -> subprocess.Popen:
        proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log.open("a"), stderr=subprocess.STDOUT
        )
        self.items.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)

    def stop_all(self) -> None:
        for proc in reversed(self.items):
            self.stop(proc)


def wait_worker(log: Path, proc, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(log.read_text()[-3000:])
        if " ready." in log.read_text():
            return
        time.sleep(0.1)
    raise RuntimeError("worker did not start")


def video_params(i: int) -> dict:
    return {
        "prompt": f"bench video {i}",
        "model": "veo-3.1-fast",
        "aspect_ratio": "landscape",
        "count": 1,
        "seed": i,
        "mode": "text",
        "start": None,
        "end": None,
        "references": [],
    }


def image_params(i: int) -> dict:
    return {
        "prompt": f"bench image {i}",
        "model": "imagen-4",
        "aspect_ratio": "landscape",
        "count": 1,
        "seed": i,
        "references": [],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--videos", type=int, default=50)
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--speed", type=float, default=20.0)
    parser.add_argument("--reconcile", type=float, default=None, help="seconds (15/speed)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--big-mb", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument(
        "--rounds", default="polling,webhooks", help="which rounds to run (comma-separated)"
    )
    parser.add_argument(
        "--web",
        choices=["gunicorn", "runserver"],
        default="gunicorn",
        help="the web server receiving the callbacks: production's (gunicorn, 3 workers × 4 "
        "threads as in docker-compose.yml) or the development server of `make run`",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the data folder (logs, database, media)"
    )
    parser.add_argument("--probe-download", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    # SIGTERM (e.g. a time limit) ends the run like Ctrl-C: every child is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.probe_download:
        return probe_download(args.probe_download)
    reconcile = args.reconcile or max(15.0 / args.speed, 0.5)

    data_dir = Path(tempfile.mkdtemp(prefix="flowdash-bench-"))
    os.environ["FLOWDASH_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flowdash.settings")
    procs = Procs()
    from flowdash.simulator.server import SimulatorServer

    sim = SimulatorServer(host="127.0.0.1", port=0, speed=args.speed, data_dir=data_dir / "sim")
    sim.start()
    try:
        run(args, reconcile, data_dir, sim, procs)
    finally:
        procs.stop_all()
        sim.stop()
        if args.keep:
            print(f"# data folder kept: {data_dir}")
        else:  # a 500-video run leaves about 600 MB of media behind
            shutil.rmtree(data_dir, ignore_errors=True)


def run(args, reconcile: float, data_dir: Path, sim, procs: Procs) -> None:
    from flowdash.lib.embedded_redis import server_args

    redis_port = free_port()
    (data_dir / "redis").mkdir()
    procs.start(
        server_args(data_dir=data_dir / "redis", port=redis_port, persist=False),
        os.environ.copy(),
        data_dir / "redis.log",
    )
    wait_for_port(redis_port)
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "USEAPI_BASE_URL": sim.base_url,
        "USEAPI_TOKEN": sim.token,
        "FLOWDASH_SANDBOX": "0",
        "FLOWDASH_JOB_TIME_SCALE": str(args.speed),
        "FLOWDASH_RECONCILE_SECONDS": str(reconcile),
        "FLOWDASH_RENUDGE_SECONDS": str(max(int(60 / args.speed), 3)),
        "DEBUG": "0",
        "FLOWDASH_HTTPS": "0",
        "SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
    }
    os.environ.update(
        {
            k: env[k]
            for k in (
                "REDIS_URL",
                "USEAPI_BASE_URL",
                "USEAPI_TOKEN",
                "FLOWDASH_SANDBOX",
                "FLOWDASH_JOB_TIME_SCALE",
                "SECRET_KEY",
            )
        }
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    import django

    django.setup()
    from flowdash.accounts.models import FlowAccount

    # Enough for the run: credits on every account, and a captcha provider key (the 100 free
    # captcha credits would run out).
    for email in sim.state.accounts:
        sim.state.set_account_state(email, credits=10**7)
    from flowdash.useapi.client import UseapiClient

    UseapiClient(sim.base_url, sim.token).set_captcha_providers({"CapSolver": "CAP-bench-key-1"})
    for email in sim.state.accounts:
        local, _, domain = email.partition("@")
        FlowAccount.objects.get_or_create(
            email=f"{local[:2]}***@{domain}", defaults={"full_email": email, "health": "OK"}
        )

    beat = procs.start(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "flowdash",
            "beat",
            "-s",
            str(data_dir / "beat-schedule"),
            "--loglevel",
            "WARNING",
        ],
        env,
        data_dir / "beat.log",
    )
    print(
        f"# simulator speed {args.speed}, reconciler every {reconcile:g} s, "
        f"{args.concurrency} worker threads, data in {data_dir}"
    )

    rounds = {r.strip() for r in args.rounds.split(",")}
    if "polling" in rounds:
        poll = round_of_jobs(args, env, data_dir, sim, procs, "polling", args.videos, args.images)
        report(poll, args, sim, "polling")

    if "webhooks" in rounds and args.videos:
        # a Django server to receive the callbacks, PUBLIC_URL set for the worker
        web_port = free_port()
        web_env = {**env, "FLOWDASH_PUBLIC_URL": f"http://127.0.0.1:{web_port}"}
        web = procs.start(web_server_args(args.web, web_port), web_env, data_dir / "web.log")
        wait_for_port(web_port)
        hooks = round_of_jobs(args, web_env, data_dir, sim, procs, "webhooks", args.videos, 0)
        report(hooks, args, sim, "webhooks")
        procs.stop(web)
    procs.stop(beat)

    if args.big_mb:
        big_download(args, data_dir, sim)


def web_server_args(kind: str, port: int) -> list[str]:
    """The web side that receives the callbacks: what production runs (compose's gunicorn
    line, Dockerfile CMD), or the development server ``make run`` uses."""
    if kind == "runserver":
        return [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "flowdash.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "3",
        "--threads",
        "4",
        "--timeout",
        "60",
    ]


def round_of_jobs(args, env, data_dir, sim, procs, name, videos, images) -> dict:
    from django.utils import timezone

    from flowdash.celery import app
    from flowdash.gallery.models import Media
    from flowdash.jobs.models import Job
    from flowdash.jobs.queue import create_job

    app.conf.broker_url = env["REDIS_URL"]
    log = data_dir / f"worker-{name}.log"
    worker = procs.start(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "flowdash",
            "worker",
            "--pool",
            "threads",
            "--concurrency",
            str(args.concurrency),
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        {**env, "FLOWDASH_PUBLIC_URL": env.get("FLOWDASH_PUBLIC_URL", "")},
        log,
    )
    wait_worker(log, worker)
    sim.state.clear_requests()
    started = timezone.now()
    t0 = time.monotonic()
    video_ids = [create_job("video", video_params(i)).pk for i in range(videos)]
    image_ids = [create_job("image", image_params(i)).pk for i in range(images)]
    all_ids = video_ids + image_ids
    end = time.monotonic() + args.timeout
    while time.monotonic() < end:
        active = Job.objects.filter(pk__in=all_ids).exclude(
            status__in=[Job.Status.COMPLETED, Job.Status.FAILED, Job.Status.NEEDS_ATTENTION]
        )
        pending = Media.objects.filter(job_id__in=all_ids, download_status="pending")
        if not active.exists() and not pending.exists():
            break
        time.sleep(0.25)
    wall_all = time.monotonic() - t0
    peak_kb = rss_peak_kb(worker.pid)
    procs.stop(worker)
    jobs = {j.pk: j for j in Job.objects.filter(pk__in=all_ids)}
    return {
        "started": started,
        "videos": [jobs[i] for i in video_ids],
        "images": [jobs[i] for i in image_ids],
        "wall_all": wall_all,
        "peak_kb": peak_kb,
        "requests": sim.state.requests(),
    }


def report(result: dict, args, sim, mode: str) -> None:
    from flowdash.gallery.models import Media

    started = result["started"]
    requests = result["requests"]
    remote = {}
    for job in result["videos"] + result["images"]:
        record = sim.state.job(job.remote_job_id) if job.remote_job_id else None
        if record is not None:
            remote[job.pk] = record
    videos, images = result["videos"], result["images"]
    print(
        f"\n## {mode}: {len(videos)} videos, {len(images)} images, everything settled in "
        f"{result['wall_all']:.1f} s"
    )
    states = {}
    for job in videos + images:
        states[job.status] = states.get(job.status, 0) + 1
    print(
        f"job states: {states}; media stored: "
        f"{Media.objects.filter(job__in=videos + images, download_status='stored').count()}"
    )

    if videos:
        done = [j for j in videos if j.finished_at]
        last_ours = max((j.finished_at - started).total_seconds() for j in done)
        ideal = ideal_seconds(done, remote, started)
        if ideal:
            print(
                f"video wall / ideal            = {last_ours / ideal:.3f}  "
                f"({last_ours:.1f} s / {ideal:.1f} s)"
            )
        print(f"video lag after the simulator = {lag_figures(done, remote)}")
        calls = 0
        naive = 0
        for job in done:
            calls += sum(
                1
                for r in requests
                if r["method"] == "POST"
                and r["apiPath"] == "/videos"
                and (r.get("body") or {}).get("replyRef") == job.webhook_token()
            )
            calls += sum(
                1
                for r in requests
                if r["method"] == "GET" and r["apiPath"] == f"/jobs/{job.remote_job_id}"
            )
            nominal = nominal_seconds(job, remote, args.speed)
            naive += 1 + math.ceil(nominal / 5)
        print(
            f"API calls per video / naive   = {calls / naive:.3f}  "
            f"({calls / len(done):.2f} vs {naive / len(done):.2f} per job)"
        )
    if images:
        done = [j for j in images if j.finished_at]
        last_ours = max((j.finished_at - started).total_seconds() for j in done)
        durations = [nominal_seconds(j, remote, args.speed) / args.speed for j in done]
        slots = len(sim.state.accounts) * sim.state.settings.image_concurrency
        bound = max(max(durations), sum(durations) / slots)
        ideal = list_schedule(durations, slots)
        print(
            f"image wall / ideal            = {last_ours / ideal:.3f}  "
            f"({last_ours:.1f} s / {ideal:.1f} s; {slots} image slots)"
        )
        print(
            f"image wall / lower bound      = {last_ours / bound:.3f}  "
            f"({last_ours:.1f} s / {bound:.1f} s = max(longest, sum / slots))"
        )
        retried = sum(1 for r in requests if r["apiPath"] == "/images" and r["status"] == 429)
        print(f"image 429s retried            = {retried}")
    print(f"worker peak RSS               = {result['peak_kb'] / 1024:.0f} MB")


def list_schedule(durations: list[float], slots: int) -> float:
    """When the last image ends if every slot takes the next job (in the order they were made)
    the moment it frees, with no time lost between two: what a perfect client could do, as it
    cannot know the durations in advance. ``max(longest, sum / slots)`` is only a lower bound
    that a client reaches when the durations happen to pack exactly."""
    import heapq

    free = [0.0] * slots
    for seconds in durations:
        heapq.heapreplace(free, free[0] + seconds)
    return max(free)


def nominal_seconds(job, remote, speed: float) -> float:
    """The simulator's own duration of the job (created → finished), at speed 1."""
    rec = remote.get(job.pk)
    if rec is None:
        return 0.0
    start = getattr(rec, "created", None)
    end = getattr(rec, "updated", None) or getattr(rec, "finished", None)
    if isinstance(start, int | float) and isinstance(end, int | float):
        return (end - start) * speed
    return 0.0


def lag_figures(done, remote) -> str:
    """How long after the simulator finished each job flowdash recorded it (real seconds)."""
    lags = []
    for job in done:
        rec = remote.get(job.pk)
        end = getattr(rec, "updated", None) or getattr(rec, "finished", None)
        if isinstance(end, int | float):
            lags.append(job.finished_at.timestamp() - end)
    if not lags:
        return "n/a"
    lags.sort()

    def pct(p: float) -> float:
        return lags[min(len(lags) - 1, int(p * len(lags)))]

    return f"median {pct(0.5):.2f} s, p90 {pct(0.9):.2f} s, max {lags[-1]:.2f} s"


def ideal_seconds(done, remote, started) -> float:
    """When the simulator finished the last of these jobs, from our start."""
    ends = []
    for job in done:
        rec = remote.get(job.pk)
        end = getattr(rec, "updated", None) or getattr(rec, "finished", None)
        if isinstance(end, int | float):
            ends.append(end - started.timestamp())
    return max(ends) if ends else 0.0


def big_download(args, data_dir: Path, sim) -> None:
    """One finished video whose file on the simulator is made ``--big-mb`` MB, downloaded by a
    fresh process through ``jobs.downloads``; prints that process's RSS growth."""
    from flowdash.accounts.connection import build_client
    from flowdash.jobs.models import Job
    from flowdash.jobs.pipeline import dispatch
    from flowdash.jobs.queue import create_job

    job = create_job("video", video_params(99999))
    client = build_client()
    deadline = time.monotonic() + 120
    while job.status != Job.Status.COMPLETED and time.monotonic() < deadline:
        job = dispatch.drive(job, client)
        time.sleep(0.2)
    media = job.media.get()
    record = sim.state.store.get(media.media_generation_id)
    path = sim.state.store.ensure(record)
    with path.open("ab") as fh:  # trailing bytes after the MP4's boxes: still a playable file
        block = b"\0" * (1 << 20)
        for _ in range(args.big_mb):
            fh.write(block)
    out = subprocess.run(
        [sys.executable, __file__, "--probe-download", str(media.pk)],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        check=False,
    )
    print(f"\n## one {args.big_mb} MB result")
    print(out.stdout.strip() or out.stderr[-2000:])


def probe_download(media_id: int) -> None:
    import django

    django.setup()
    import av  # noqa: F401 — loaded before measuring, as in a worker that has made thumbnails
    import PIL.Image  # noqa: F401

    from flowdash.gallery.models import Media
    from flowdash.jobs import downloads

    media = Media.objects.get(pk=media_id)
    before = rss_peak_kb(os.getpid())
    t0 = time.monotonic()
    media = downloads.download(media)
    took = time.monotonic() - t0
    after = rss_peak_kb(os.getpid())
    print(
        f"download status {media.download_status}, {media.file_size or 0} bytes in {took:.1f} s "
        f"{media.download_error}"
    )
    print(
        f"RSS growth downloading it     = {(after - before) / 1024:.1f} MB "
        f"(peak {before / 1024:.0f} → {after / 1024:.0f} MB)"
    )


if __name__ == "__main__":
    main()
