"""Scale benchmark: thousands of videos in flight on TWO worker processes, with webhooks.

    python bench/scale.py                                # 500 then 5,000 videos, speed 20
    python bench/scale.py --videos 1000 --baseline 200   # a shorter run

What it starts (all on 127.0.0.1, all stopped at the end): the simulator, a private
redis-server, a beat running the reconciler, the web side receiving the callbacks (gunicorn
as in production, FLOWDASH_PUBLIC_URL set so every job carries a replyUrl), and for each round
two Celery workers (threads pool, node names w1/w2). SQLite in WAL mode in a temporary folder.
The pieces (processes, job parameters, the simulator's ideal, lag figures, the big download)
come from ``bench/pipeline.py``.

Figures (issue #17 "Speed and scale"), per round:
* wall ÷ ideal: when flowdash recorded the last video ÷ when the simulator finished it;
* API calls per video (POST + GET /jobs/{id}) ÷ the naive loop (POST + a GET every 5 s of the
  job's nominal duration);
* peak RSS of each worker process (VmHWM);
* worker CPU seconds per video (both workers' user + system time ÷ videos), and the ratio of
  that at the big round to that at the baseline round (linear cost: near 1).
Then one ``--big-mb`` MB result streamed to S3 (moto's standalone server, as in the tests) by a
process running the worker's download code, and that process's RSS growth.
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
sys.path.insert(0, str(ROOT / "bench"))

import pipeline  # noqa: E402 — bench/pipeline.py: processes, parameters, ideal, big download

from flowdash.lib.ports import free_port, wait_for_port  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Jobs are made in batches of this many per transaction (one at a time, SQLite's commits made
# 500 jobs take 4 minutes on a loaded machine: they were never all in flight at once).
BATCH = 100


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--videos", type=int, default=5000)
    parser.add_argument("--baseline", type=int, default=500)
    parser.add_argument("--speed", type=float, default=20.0)
    parser.add_argument("--reconcile", type=float, default=None, help="seconds (15/speed)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--big-mb", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    parser.add_argument("--probe-s3", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe_s3:
        return probe_s3(args.probe_s3)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    reconcile = args.reconcile or max(15.0 / args.speed, 0.5)

    data_dir = Path(tempfile.mkdtemp(prefix="flowdash-scale-"))
    os.environ["FLOWDASH_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flowdash.settings")
    procs = pipeline.Procs()
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
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def run(args, reconcile: float, data_dir: Path, sim, procs) -> None:
    from flowdash.lib.embedded_redis import server_args

    redis_port = free_port()
    (data_dir / "redis").mkdir()
    procs.start(
        server_args(data_dir=data_dir / "redis", port=redis_port, persist=False),
        os.environ.copy(),
        data_dir / "redis.log",
    )
    wait_for_port(redis_port)
    web_port = free_port()
    env = {
        **os.environ,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "USEAPI_BASE_URL": sim.base_url,
        "USEAPI_TOKEN": sim.token,
        "FLOWDASH_SANDBOX": "0",
        "FLOWDASH_JOB_TIME_SCALE": str(args.speed),
        "FLOWDASH_RECONCILE_SECONDS": str(reconcile),
        "FLOWDASH_RENUDGE_SECONDS": str(max(int(60 / args.speed), 3)),
        "FLOWDASH_PUBLIC_URL": f"http://127.0.0.1:{web_port}",
        "DEBUG": "0",
        "FLOWDASH_HTTPS": "0",
        "SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
    }
    os.environ.update({k: v for k, v in env.items() if k != "DEBUG"})
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    import django

    django.setup()
    from flowdash.accounts.models import FlowAccount
    from flowdash.useapi.client import UseapiClient

    for email in sim.state.accounts:
        sim.state.set_account_state(email, credits=10**8)
        local, _, domain = email.partition("@")
        FlowAccount.objects.get_or_create(
            email=f"{local[:2]}***@{domain}", defaults={"full_email": email, "health": "OK"}
        )
    UseapiClient(sim.base_url, sim.token).set_captcha_providers({"CapSolver": "CAP-bench-key-1"})
    procs.start(
        [sys.executable, "-m", "celery", "-A", "flowdash", "beat", "-s"]
        + [str(data_dir / "beat-schedule"), "--loglevel", "WARNING"],
        env,
        data_dir / "beat.log",
    )
    web = procs.start(pipeline.web_server_args("gunicorn", web_port), env, data_dir / "web.log")
    wait_for_port(web_port, timeout=60)
    print(
        f"# simulator speed {args.speed}, reconciler every {reconcile:g} s, two workers × "
        f"{args.concurrency} threads, webhooks to gunicorn, data in {data_dir}",
        flush=True,
    )
    figures = {}
    for videos in dict.fromkeys(n for n in (args.baseline, args.videos) if n):
        figures[videos] = round_of_videos(args, env, data_dir, sim, procs, videos)
    if len(figures) == 2:
        small, big = (figures[n]["cpu_per_video"] for n in (args.baseline, args.videos))
        print(
            f"\nCPU s per video at {args.videos} ÷ at {args.baseline} = {big / small:.3f}  "
            f"({big * 1000:.1f} ms vs {small * 1000:.1f} ms)"
        )
    procs.stop(web)
    if args.big_mb:
        big_result_to_s3(args, data_dir, sim)


def round_of_videos(args, env, data_dir, sim, procs, videos: int) -> dict:
    from django.db import transaction
    from django.utils import timezone

    from flowdash.celery import app
    from flowdash.gallery.models import Media
    from flowdash.jobs.models import Job
    from flowdash.jobs.queue import create_job

    app.conf.broker_url = env["REDIS_URL"]
    workers = []
    for name in ("w1", "w2"):
        log = data_dir / f"worker-{videos}-{name}.log"
        proc = procs.start(
            [sys.executable, "-m", "celery", "-A", "flowdash", "worker", "--pool", "threads"]
            + ["--concurrency", str(args.concurrency), "--loglevel", "INFO"]
            + ["--without-gossip", "--without-mingle", "-n", f"{name}@%h"],
            env,
            log,
        )
        workers.append((proc, log))
    for proc, log in workers:
        pipeline.wait_worker(log, proc, timeout=90)
    cpu_before = [cpu_seconds(proc.pid) for proc, _ in workers]
    sim.state.clear_requests()
    started = timezone.now()
    t0 = time.monotonic()
    ids: list[int] = []
    for start in range(0, videos, BATCH):  # a transaction per batch: the row writes, then
        with transaction.atomic():  # the nudges, as after a burst of submissions
            ids += [
                create_job("video", pipeline.video_params(i)).pk
                for i in range(start, min(start + BATCH, videos))
            ]
    made = time.monotonic() - t0
    end = time.monotonic() + args.timeout
    while time.monotonic() < end:
        active = Job.objects.filter(pk__in=ids).exclude(
            status__in=[Job.Status.COMPLETED, Job.Status.FAILED, Job.Status.NEEDS_ATTENTION]
        )
        pending = Media.objects.filter(job_id__in=ids, download_status="pending")
        if not active.exists() and not pending.exists():
            break
        time.sleep(1.0)
    wall_all = time.monotonic() - t0
    cpu = sum(
        cpu_seconds(proc.pid) - before
        for (proc, _), before in zip(workers, cpu_before, strict=True)
    )
    peaks = [pipeline.rss_peak_kb(proc.pid) / 1024 for proc, _ in workers]
    for proc, _ in workers:
        procs.stop(proc)
    requests = sim.state.requests()
    jobs = list(Job.objects.filter(pk__in=ids))
    result = report(jobs, requests, started, sim, args, videos)
    states: dict[str, int] = {}
    for job in jobs:
        states[job.status] = states.get(job.status, 0) + 1
    stored = Media.objects.filter(job_id__in=ids, download_status="stored").count()
    print(f"{videos} jobs made in {made:.1f} s; everything settled in {wall_all:.1f} s")
    print(f"job states: {states}; media stored: {stored}")
    print(f"worker peak RSS               = {', '.join(f'{p:.0f} MB' for p in peaks)}")
    print(f"worker CPU s per video        = {cpu / videos * 1000:.1f} ms ({cpu:.1f} s in all)")
    return {**result, "cpu_per_video": cpu / videos}


def report(jobs, requests, started, sim, args, videos: int) -> dict:
    """The pipeline bench's figures, counted with indexes (5,000 jobs × 15,000 requests)."""
    posts: dict[str, int] = {}
    gets: dict[str, int] = {}
    for r in requests:
        if r["method"] == "POST" and r["apiPath"] == "/videos":
            ref = (r.get("body") or {}).get("replyRef")
            posts[ref] = posts.get(ref, 0) + 1
        elif r["method"] == "GET" and r["apiPath"].startswith("/jobs/"):
            key = r["apiPath"][len("/jobs/") :]
            gets[key] = gets.get(key, 0) + 1
    remote = {}
    for job in jobs:
        record = sim.state.job(job.remote_job_id) if job.remote_job_id else None
        if record is not None:
            remote[job.pk] = record
    done = [j for j in jobs if j.finished_at]
    print(f"\n## {videos} videos, two workers, webhooks")
    if not done:
        print("nothing finished")
        return {}
    last_ours = max((j.finished_at - started).total_seconds() for j in done)
    ideal = pipeline.ideal_seconds(done, remote, started)
    calls = naive = 0
    twice = 0
    for job in done:
        sent = posts.get(job.webhook_token(), 0)
        twice += sent > 1
        calls += sent + gets.get(job.remote_job_id, 0)
        naive += 1 + math.ceil(pipeline.nominal_seconds(job, remote, args.speed) / 5)
    if ideal:
        print(
            f"video wall / ideal            = {last_ours / ideal:.3f}  "
            f"({last_ours:.1f} s / {ideal:.1f} s)"
        )
    print(f"video lag after the simulator = {pipeline.lag_figures(done, remote)}")
    print(
        f"API calls per video / naive   = {calls / naive:.3f}  "
        f"({calls / len(done):.2f} vs {naive / len(done):.2f} per job); "
        f"jobs POSTed more than once: {twice}"
    )
    return {"wall_ratio": last_ours / ideal if ideal else None, "calls_ratio": calls / naive}


def big_result_to_s3(args, data_dir: Path, sim) -> None:
    """One finished video made ``--big-mb`` MB larger on the simulator, stored by a fresh
    process whose media is on S3 (moto's server, a new bucket) through ``jobs.downloads``;
    prints that process's RSS growth and the S3 calls made."""
    from flowdash.accounts.connection import build_client
    from flowdash.jobs.models import Job
    from flowdash.jobs.pipeline import dispatch
    from flowdash.jobs.queue import create_job
    from tests.s3 import S3Server

    job = create_job("video", pipeline.video_params(99999))
    client = build_client()
    deadline = time.monotonic() + 120
    while job.status != Job.Status.COMPLETED and time.monotonic() < deadline:
        job = dispatch.drive(job, client)
        time.sleep(0.2)
    media = job.media.get()
    path = sim.state.store.ensure(sim.state.store.get(media.media_generation_id))
    with path.open("ab") as fh:  # trailing bytes after the MP4's boxes: still a playable file
        for _ in range(args.big_mb):
            fh.write(b"\0" * (1 << 20))
    s3 = S3Server()
    s3.start()
    try:
        bucket = s3.new_bucket("flowdash-bench")
        out = subprocess.run(
            [sys.executable, __file__, "--probe-s3", str(media.pk)],
            cwd=ROOT,
            env={**os.environ, **s3.env(bucket)},
            capture_output=True,
            text=True,
            check=False,
        )
        print(f"\n## one {args.big_mb} MB result streamed to S3")
        print(out.stdout.strip() or out.stderr[-2000:])
        print(f"objects in the bucket afterwards: {len(s3.keys(bucket))}")
    finally:
        s3.stop()


def probe_s3(media_id: int) -> None:
    """The download, measured in a process that has already made an S3 client (a worker that
    has stored a file before): the growth is the transfer's own."""
    import django

    django.setup()
    import av  # noqa: F401 — loaded before measuring, as in a worker that has made thumbnails
    import PIL.Image  # noqa: F401
    from django.core.files.storage import storages

    from flowdash.gallery.models import Media
    from flowdash.jobs import downloads

    storage = storages["default"]
    storage.exists("warm-up")  # boto3 imported, client made
    calls: list[str] = []
    storage.connection.meta.client.meta.events.register(
        "provide-client-params.s3.*", lambda model, **_: calls.append(model.name)
    )
    media = Media.objects.get(pk=media_id)
    before = pipeline.rss_peak_kb(os.getpid())
    t0 = time.monotonic()
    media = downloads.download(media)
    took = time.monotonic() - t0
    after = pipeline.rss_peak_kb(os.getpid())
    print(
        f"download status {media.download_status}, {media.file_size or 0} bytes in {took:.1f} s "
        f"{media.download_error}"
    )
    print(
        f"S3 calls: {calls.count('UploadPart')} UploadPart, {calls.count('PutObject')} PutObject "
        f"(the thumbnail), {calls.count('CreateMultipartUpload')} CreateMultipartUpload"
    )
    print(
        f"RSS growth storing it on S3   = {(after - before) / 1024:.1f} MB "
        f"(peak {before / 1024:.0f} → {after / 1024:.0f} MB)"
    )


if __name__ == "__main__":
    main()
