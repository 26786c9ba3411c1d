"""The job pipeline: API ⇄ database for every kind of job (design.md "Jobs: the rules").

``dispatch.drive(job, client)`` advances a job by one step and returns; it is safe to call any
number of times, from any number of workers, at any moment:

* every step starts with a *claim* — a conditional update of the row (expected status, due,
  no live lease) that sets ``lease_until``; a worker that loses the claim does nothing;
* ``queued`` → ``submitting`` (``submit.py``): the kind's ONE paid request, recorded as a
  :class:`JobAttempt` whose outcome is written as soon as it is known (sent → accepted / not
  delivered / rejected / unknown);
* a request that provably did not reach the service (connection refused, 429, 503) goes back to
  ``queued`` with ``next_check_at`` in 5-10 s, growing with jitter and honouring ``Retry-After``;
* an ambiguous one (timeout after sending, a crash while ``submitting``) is looked up
  (``recovery.py``): the job's ``replyRef`` (always sent) is searched among the jobs
  GET /jobs?options=history lists; when it cannot be found the job goes to ``needs_attention``
  and a person decides (``flowdash.jobs.decisions``);
* async kinds are followed by GET /jobs/{jobId} at scheduled times (``follow.py``: first check
  near the model's generation time, then growing intervals; a slow fallback when webhooks are
  on); a webhook only moves the next check forward;
* what an answer means for the job — results stored, a failure in words, the captcha and the
  account it ran on — is ``outcomes.py``; which account and its references, ``references.py``;
  image slots, ``slots.py``; every wait and budget, ``timing.py``.

Nothing here sleeps: the next step is a time in ``next_check_at``. A step due now is nudged at
once (a Celery message); a later one arms a timer that a worker's timer thread turns into a
message when it falls due; the reconciler (beat) re-nudges anything whose message or timer was
lost (see ``flowdash.jobs.nudges.nudge``).
"""
