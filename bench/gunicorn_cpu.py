"""Gunicorn hooks for bench/gallery.py: the worker's CPU time for each request, written to
``$BENCH_CPU_LOG`` (one line per request: seconds, HX-Target, path?query).

CPU time (time.process_time in the worker, from before the application is called until the
body is written) is what a request costs the server; unlike wall time it does not grow when
other processes take the machine's cores, so its ratios hold on a loaded machine.
"""

import os
import time


def pre_request(worker, req):
    worker.bench_cpu_started = time.process_time()


def post_request(worker, req, environ, resp):
    took = time.process_time() - getattr(worker, "bench_cpu_started", time.process_time())
    target = environ.get("HTTP_HX_TARGET", "") or "-"
    path = req.uri
    with open(os.environ["BENCH_CPU_LOG"], "a", encoding="utf-8") as log:
        log.write(f"{took:.6f} {target} {path}\n")
