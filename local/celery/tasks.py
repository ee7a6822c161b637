"""Fixture Celery app for tests and the local demo. Configured from the environment only."""
import os
import time

import redis
from celery import Celery
from celery.signals import task_received

BROKER = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
PREFIX = os.environ.get("CELERY_GLOBAL_KEYPREFIX", "")
RESULTS_PREFIX = os.environ.get("FIXTURE_RESULTS_PREFIX", "fixture:")

app = Celery("tasks", broker=BROKER)
options = {}
if PREFIX:
    options["global_keyprefix"] = PREFIX
app.conf.update(
    broker_transport_options=options,
    worker_prefetch_multiplier=int(os.environ.get("CELERY_PREFETCH", "1")),
    task_acks_late=os.environ.get("CELERY_ACKS_LATE", "0") == "1",
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
    task_default_queue="default",
)

# RabbitMQ only (unset on Redis, whose behaviour stays as it was): priority queues declared with
# x-max-priority, and quorum queues, which a worker must declare with the same x-queue-type.
if os.environ.get("CELERY_QUEUE_MAX_PRIORITY"):
    app.conf.task_queue_max_priority = int(os.environ["CELERY_QUEUE_MAX_PRIORITY"])
_quorum = [q for q in os.environ.get("CELERY_QUORUM_QUEUES", "").split(",") if q]
if _quorum:
    from kombu import Queue

    app.conf.task_queues = [Queue(q, routing_key=q, queue_arguments={"x-queue-type": "quorum"}) for q in _quorum]
    if app.conf.get("worker_detect_quorum_queues") is None:
        # Celery before 5.5 sets global QoS on RabbitMQ >= 3.3 (celery/worker/consumer/tasks.py), and
        # RabbitMQ refuses a quorum queue consumer on such a channel: per-consumer prefetch instead,
        # as 5.5's worker_detect_quorum_queues does.
        from kombu.transport import pyamqp

        pyamqp.Transport.qos_semantics_matches_spec = lambda self, connection: True

# A separate results server keeps the counts when a fault restarts the broker without its data.
# On a RabbitMQ broker with no FIXTURE_RESULTS_URL there is none: only sleep_task runs there.
_results_url = os.environ.get("FIXTURE_RESULTS_URL") or BROKER
_results = redis.Redis.from_url(_results_url) if _results_url.startswith(("redis://", "rediss://", "unix://")) else None


@app.task(name="tasks.sleep_task")
def sleep_task(seconds):
    time.sleep(float(seconds))
    return seconds


def _count(write):
    """The counts are the tests' instrument: a broker restarted by a fault scenario must not lose them."""
    deadline = time.time() + 120
    while True:
        try:
            return write()
        except redis.exceptions.ConnectionError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)


@app.task(name="tasks.record", bind=True)
def record(self, task_key, seconds):
    """Sleeps, then counts its completion so tests can find lost and duplicated tasks exactly.

    While it runs, `running` maps the task to its worker, so a test knows what ran during a
    drain and what a killed worker took with it.
    """
    _count(lambda: _results.hset(RESULTS_PREFIX + "running", task_key, self.request.hostname or ""))
    # A message the broker delivered before (RabbitMQ's basic.deliver `redelivered`, in the request's
    # delivery_info, celery/worker/request.py): `redelivered` counts such runs of each task.
    if (self.request.delivery_info or {}).get("redelivered"):
        _count(lambda: _results.hincrby(RESULTS_PREFIX + "redelivered", task_key, 1))
    time.sleep(float(seconds))
    _count(lambda: _results.pipeline().hincrby(RESULTS_PREFIX + "completed", task_key, 1).hdel(RESULTS_PREFIX + "running", task_key).execute())
    return task_key


@app.task(name="tasks.timed")
def timed(key, seconds, fail=False):
    """Sleeps, keeps its own start and end (epoch seconds) under `timed`, then returns or raises:
    the duration a recording of it must match, as the task itself measured it (a loaded machine
    wakes a sleeper late)."""
    start = time.time()
    time.sleep(float(seconds))
    end = time.time()
    _results.hset(RESULTS_PREFIX + "timed", str(key), "%r %r" % (start, end))
    if fail:
        raise RuntimeError("failed on purpose after %s s" % seconds)
    return seconds


@app.task(name="tasks.fail_after")
def fail_after(seconds):
    """Sleeps, then raises: a failed task whose duration is known (`record` reads it from the events)."""
    time.sleep(float(seconds))
    raise RuntimeError("failed on purpose after %s s" % seconds)


@task_received.connect
def _record_received(sender=None, request=None, **_):
    """With FIXTURE_RECORD_RECEIVED=1, `received` maps each `record` task to the last worker that took its message (`received_at`: when).

    celery/worker/strategy.py sends `task_received` in the worker's main process before it hands the
    request to the pool, and celery/worker/request.py `on_accepted` acknowledges (acks on start) only
    after the pool started it: so a task a worker acknowledged is always recorded here first, and a
    test knows every task a killed worker had taken, including one acknowledged but not yet started.
    """
    if os.environ.get("FIXTURE_RECORD_RECEIVED") != "1" or request is None or request.name != "tasks.record":
        return
    args = request.args or []
    if args:
        key = str(args[0])
        _count(lambda: _results.pipeline().hset(RESULTS_PREFIX + "received", key, request.hostname or "").hset(RESULTS_PREFIX + "received_at", key, repr(time.time())).execute())
