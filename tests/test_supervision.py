"""The Supervisor: no long-lived greenlet dies silently."""

import logging
import subprocess
import sys
import time

import gevent
import gevent.event

from tart.db.connect import connect
from tart.supervision import KILL_WAIT, Backoff, Supervisor
from tests.support.procs import free_port


def test_a_failing_loop_is_logged_with_its_traceback_counted_and_run_again(caplog):
    supervisor = Supervisor(on_fatal=lambda name, error: None)
    calls = []

    def step():
        calls.append(len(calls))
        if len(calls) <= 2:
            raise ValueError(f"failure {len(calls)}")

    with caplog.at_level(logging.ERROR, logger="tart.supervision"):
        supervisor.loop("heartbeat", step, interval=0.01, first_backoff=0.01)
        gevent.sleep(0.3)
        supervisor.kill_all()
    assert len(calls) > 3  # failed twice, then went on
    assert supervisor.failures == {"heartbeat": 2}
    failures = [r for r in caplog.records if r.getMessage().startswith("heartbeat failed")]
    assert len(failures) == 2 and all(r.exc_info for r in failures)
    assert "failure 1" in caplog.text and "Traceback" in caplog.text


def test_a_loop_waiting_for_the_database_says_so_in_one_line(caplog):
    supervisor = Supervisor(on_fatal=lambda name, error: None)
    port = free_port()  # nothing listens there

    def step():
        connect(f"postgresql://tart@127.0.0.1:{port}/tart").close()

    with caplog.at_level(logging.WARNING, logger="tart.supervision"):
        supervisor.loop("heartbeat", step, interval=0.01, first_backoff=0.01)
        gevent.sleep(0.3)
        supervisor.kill_all()
    waits = [r for r in caplog.records if r.getMessage().startswith("heartbeat waits for")]
    assert len(waits) >= 2 and supervisor.failures["heartbeat"] == len(waits)
    assert all(r.levelno == logging.WARNING and not r.exc_info for r in waits)
    assert "cannot connect" in waits[0].getMessage()
    assert "Traceback" not in caplog.text


def test_an_essential_greenlet_that_dies_ends_the_process():
    fatal = []
    supervisor = Supervisor(on_fatal=lambda name, error: fatal.append((name, str(error))))

    def writer():
        gevent.sleep(0.01)
        raise RuntimeError("the writer broke")

    greenlet = supervisor.essential("writer", writer)
    gevent.joinall([greenlet])
    gevent.sleep(0.01)  # link_exception callbacks run on the next loop iteration
    assert fatal == [("writer", "the writer broke")]
    assert supervisor.failures == {"writer": 1}


def test_backoff_doubles_up_to_its_longest_and_resets_after_a_success():
    backoff = Backoff(0.5, longest=3)
    assert [backoff.failed() for _ in range(5)] == [0.5, 1, 2, 3, 3]
    backoff.succeeded()
    assert backoff.failed() == 0.5


def test_kill_all_ends_a_loop_even_when_its_step_turns_the_kill_into_an_error():
    """A kill that reaches a green psycopg2 connect may come out as an error of another kind:
    the loop must not take it for a failure to retry."""
    supervisor = Supervisor(on_fatal=lambda name, error: None)
    entered = gevent.event.Event()

    def step():
        entered.set()
        try:
            gevent.sleep(60)
        except BaseException as kill:
            raise RuntimeError("connection closed") from kill

    looping = supervisor.loop("heartbeat", step, interval=0.01, first_backoff=0.01)
    entered.wait(5)
    started = time.monotonic()
    supervisor.kill_all()
    assert time.monotonic() - started < KILL_WAIT + 0.5
    assert looping.dead
    assert supervisor.failures == {}


def test_kill_all_does_not_wait_past_its_limit_for_a_greenlet_that_will_not_die():
    supervisor = Supervisor(on_fatal=lambda name, error: None)
    released = gevent.event.Event()

    def stubborn():
        while not released.is_set():
            try:
                gevent.sleep(60)
            except BaseException:
                continue

    greenlet = supervisor.essential("stubborn", stubborn)
    gevent.sleep(0)
    started = time.monotonic()
    supervisor.kill_all()
    assert KILL_WAIT - 0.1 < time.monotonic() - started < KILL_WAIT + 0.5
    assert not greenlet.dead and supervisor.greenlets == {}
    released.set()
    greenlet.kill()
    assert greenlet.dead


def test_a_process_whose_essential_greenlet_dies_exits_non_zero_with_the_traceback():
    """For systemd, compose or `tart run` to restart it, rather than live on as a zombie."""
    program = (
        "import gevent, logging\n"
        "from tart.supervision import Supervisor\n"
        "logging.basicConfig()\n"
        "def writer():\n"
        "    raise RuntimeError('the writer broke')\n"
        "Supervisor().essential('writer', writer)\n"
        "gevent.sleep(30)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 70, result.stderr
    assert "writer died" in result.stderr and "RuntimeError: the writer broke" in result.stderr
    assert "writer cannot go on" in result.stderr
