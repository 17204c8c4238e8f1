"""Runs a TART process with timestamps at each stage of the live path, for bench/live.py.

    python bench/_traced.py TRACE_DIR PROGRAM [ARGUMENTS…]   # e.g. .venv/bin/tart ingest
    python bench/_traced.py TRACE_DIR -m MODULE [ARGUMENTS…] # e.g. -m gunicorn -c …

The program runs in this process, unchanged but for a few functions wrapped as their modules
are imported (in gunicorn's workers too, which fork from it). Each process appends JSON lines
to TRACE_DIR/<pid>.jsonl about twice a second, all times Unix seconds (time.time()):

- ingest, one line a batch: ``{"sent": …, "committed": …, "events": [[session_id, event_id,
  received, queued], …]}``, where queued is when the event went into the writer's queue, sent
  when its batch went to PostgreSQL and committed when the commit's answer came back;
- a web worker: ``["notified", last_id, t]`` when the listener's connection had a
  notification, ``["fetched", first_id, last_id, t]`` when its rows came back, and
  ``["written", id, t]`` when a write of a WebSocket client ended, with the id of the first
  event it held.

Only the bench uses this: what it wraps are TART internals, the writer's commit under its old
name (``Writer._commit``) or its new one (``Lane.commit``), so that one bench measures both.
"""

import atexit
import importlib.abc
import importlib.util
import os
import runpy
import sys
import time

import orjson

FLUSH_EVERY = 0.5
EVENT = b'{"type":"event","data":{"id":'


class _Trace:
    def __init__(self, directory):
        self.path = os.path.join(directory, "%d.jsonl")
        self.lines = []
        self.flusher = None

    def add(self, record):
        self.lines.append(orjson.dumps(record))
        if self.flusher is None:
            import gevent  # here: the program patches the standard library first

            self.flusher = gevent.spawn(self._flush_forever)

    def flush(self):
        lines, self.lines = self.lines, []
        if lines:
            with open(self.path % os.getpid(), "ab") as file:
                file.write(b"\n".join(lines) + b"\n")

    def _flush_forever(self):
        import gevent

        while True:
            gevent.sleep(FLUSH_EVERY)
            self.flush()


def _ingest_server(module, queued):
    class TracedQueue(module.Queue):
        def put(self, item, block=True, timeout=None):
            super().put(item, block, timeout)
            if type(item).__name__ == "Event":
                queued[(item.session.id, item.event_id)] = time.time()

    module.Queue = TracedQueue


def _commit_wrapper(commit, trace, queued, batch_of):
    def traced(*args, **kwargs):
        sent = time.time()
        commit(*args, **kwargs)
        if kwargs.get("gated"):  # a batch in its turn, not one stored again in parts
            events = batch_of(args).events
            trace.add(
                {
                    "sent": sent,
                    "committed": time.time(),
                    "events": [
                        [
                            e.session.id,
                            e.event_id,
                            e.received,
                            queued.pop((e.session.id, e.event_id), None),
                        ]
                        for e in events
                    ],
                }
            )

    return traced


def _listener(module, trace):
    advance, dispatch = module.Listener._advance, module.Listener._dispatch

    def traced_advance(self, last):
        trace.add(["notified", last, time.time()])
        advance(self, last)

    def traced_dispatch(self, rows):
        trace.add(["fetched", rows[0][0], rows[-1][0], time.time()])
        dispatch(self, rows)

    module.Listener._advance = traced_advance
    module.Listener._dispatch = traced_dispatch


def _connection(module, trace):
    send = module._WholeWrites.send

    def traced_send(self, data):
        sent = send(self, data)
        at = data.find(EVENT, 0, 4096) if isinstance(data, bytes) else -1
        if at >= 0:
            start = at + len(EVENT)
            end = data.find(b",", start)
            if end > start:
                trace.add(["written", int(data[start:end]), time.time()])
        return sent

    module._WholeWrites.send = traced_send
    module._WholeWrites.sendall = traced_send


class _Hook(importlib.abc.MetaPathFinder):
    """Wraps functions of a module right after it is first imported."""

    def __init__(self, trace):
        self.trace = trace
        self.queued = {}
        self.patches = {
            "tart.ingest.server": lambda module: _ingest_server(module, self.queued),
            "tart.ingest.writer": self._writer,
            "tart.ingest.lane": self._lane,
            "tart.web.live.listener": lambda module: _listener(module, trace),
            "tart.web.live.connection": lambda module: _connection(module, trace),
        }

    def find_spec(self, name, path, target=None):
        if name not in self.patches:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        loader, patch = spec.loader, self.patches[name]

        class Loader(importlib.abc.Loader):
            def create_module(self, spec):
                return loader.create_module(spec)

            def exec_module(self, module):
                loader.exec_module(module)
                patch(module)

        spec.loader = Loader()
        return spec

    def _writer(self, module):
        if hasattr(module.Writer, "_commit"):  # before the writer's lanes had a module
            module.Writer._commit = _commit_wrapper(
                module.Writer._commit, self.trace, self.queued, lambda args: args[2]
            )

    def _lane(self, module):
        module.Lane.commit = _commit_wrapper(
            module.Lane.commit, self.trace, self.queued, lambda args: args[1]
        )


def main():
    directory, *program = sys.argv[1:]
    trace = _Trace(directory)
    hook = _Hook(trace)
    sys.meta_path.insert(0, hook)
    atexit.register(trace.flush)
    if program[0] == "-m":
        sys.argv = [program[1], *program[2:]]
        runpy.run_module(program[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = program
        runpy.run_path(program[0], run_name="__main__")


if __name__ == "__main__":
    main()
