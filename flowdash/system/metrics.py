"""``/metrics`` in the Prometheus text format, through prometheus-client.

Figures that live in the database (jobs, submissions, submit → result time, downloads, captcha,
accounts) are read when Prometheus scrapes, so every web process answers the same; queue lengths
come from Redis; HTTP request latency is measured by :class:`RequestLatencyMiddleware` in the
process that answers (one series per process: scrape each web process, or read it as a sample).
"""

from __future__ import annotations

import time

from django.db.models import Count, Q, Sum
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

SUBMIT_TO_RESULT_BUCKETS = (10, 30, 60, 120, 300, 600, 1800, 3600, 7200)

registry = CollectorRegistry()

http_latency = Histogram(
    "flowdash_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and status class.",
    ["method", "status"],
    registry=registry,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class DatabaseCollector:
    """Reads the figures from the database at scrape time."""

    def collect(self):
        from flowdash.accounts.models import FlowAccount
        from flowdash.gallery.models import Media
        from flowdash.jobs.models import Job, JobAttempt
        from flowdash.stats.captcha_attempts import job_captcha_blocks, summarize_captcha_blocks

        jobs = GaugeMetricFamily(
            "flowdash_jobs", "Jobs by kind and state (every job kept).", labels=["kind", "state"]
        )
        counts = {
            (kind, status): n
            for kind, status, n in Job.objects.values_list("kind", "status")
            .annotate(n=Count("pk"))
            .order_by()
        }
        for kind, _ in Job.Kind.choices:
            for status, _ in Job.Status.choices:
                jobs.add_metric([kind, status], counts.get((kind, status), 0))
        yield jobs

        submissions = CounterMetricFamily(
            "flowdash_submissions",
            "Paid submissions sent to the API, by outcome and HTTP status (JobAttempt rows).",
            labels=["outcome", "status"],
        )
        for outcome, status, n in (
            JobAttempt.objects.filter(action="submit")
            .values_list("outcome", "http_status")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            submissions.add_metric([outcome, str(status or "none")], n)
        yield submissions

        yield self._submit_to_result(Job)

        stored = Media.objects.filter(download_status=Media.Download.STORED)
        downloaded = stored.exclude(source_url="").aggregate(n=Count("pk"), size=Sum("file_size"))
        yield CounterMetricFamily(
            "flowdash_download_bytes",
            "Bytes of results downloaded from the API's links and stored.",
            value=downloaded["size"] or 0,
        )
        media = GaugeMetricFamily(
            "flowdash_media", "Result files by download state.", labels=["state"]
        )
        for state, n in (
            Media.objects.values_list("download_status").annotate(n=Count("pk")).order_by()
        ):
            media.add_metric([state], n)
        yield media

        captcha = summarize_captcha_blocks(job_captcha_blocks())
        attempts = CounterMetricFamily(
            "flowdash_captcha_attempts",
            "Captcha solves recorded on jobs, by provider and result.",
            labels=["provider", "result"],
        )
        spend = CounterMetricFamily(
            "flowdash_captcha_spend_dollars",
            "Estimated captcha spend (documented prices per 1,000 solves), by provider.",
            labels=["provider"],
        )
        for figures in captcha.provider_rows:
            attempts.add_metric([figures.provider, "solved"], figures.successes)
            attempts.add_metric([figures.provider, "failed"], figures.attempts - figures.successes)
            if figures.cost is not None:
                spend.add_metric([figures.provider], round(figures.cost, 6))
        yield attempts
        yield spend

        states = GaugeMetricFamily(
            "flowdash_accounts", "Google accounts by state.", labels=["state"]
        )
        by_state = dict(
            FlowAccount.objects.filter(removed_at__isnull=True)
            .values_list("state")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for state, _ in FlowAccount.State.choices:
            states.add_metric([state], by_state.get(state, 0))
        yield states
        credits = GaugeMetricFamily(
            "flowdash_account_credits", "Credits left per Google account.", labels=["account"]
        )
        for email, value in FlowAccount.objects.filter(removed_at__isnull=True).values_list(
            "email", "credits"
        ):
            if value is not None:
                credits.add_metric([email], value)
        yield credits

    def _submit_to_result(self, Job):
        """Seconds from the first submission to the recorded result of completed jobs."""
        took = Q(status=Job.Status.COMPLETED, submitted_at__isnull=False, finished_at__isnull=False)
        done = Job.objects.filter(took)
        buckets = []
        durations = [
            (finished - submitted).total_seconds()
            for submitted, finished in done.values_list("submitted_at", "finished_at").iterator()
        ]
        for bound in SUBMIT_TO_RESULT_BUCKETS:
            buckets.append((str(float(bound)), sum(1 for d in durations if d <= bound)))
        buckets.append(("+Inf", len(durations)))
        histogram = HistogramMetricFamily(
            "flowdash_submit_to_result_seconds",
            "Time from a job's submission to its stored result (completed jobs).",
        )
        histogram.add_metric([], buckets, sum_value=sum(durations))
        return histogram


class QueueCollector:
    def collect(self):
        from flowdash.system.engine import queue_lengths

        queues = GaugeMetricFamily(
            "flowdash_queue_length", "Messages waiting in each Celery queue.", labels=["queue"]
        )
        for name, length in queue_lengths().items():
            if length is not None:
                queues.add_metric([name], length)
        yield queues


registry.register(DatabaseCollector())
registry.register(QueueCollector())


class RequestLatencyMiddleware:
    """Observes every request's duration into ``flowdash_http_request_duration_seconds``."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        http_latency.labels(request.method, f"{response.status_code // 100}xx").observe(
            time.perf_counter() - started
        )
        return response
