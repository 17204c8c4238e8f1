"""The Supervisor: no long-lived greenlet dies silently."""

import logging

import gevent

from tart.supervision import Backoff, Supervisor


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
