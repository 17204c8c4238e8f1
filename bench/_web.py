"""gunicorn serving TART for a benchmark, as deployed."""

import http.client
import os
import subprocess
import sys
import time
from pathlib import Path

from _procs import free_port

import tart

WORKERS = 2  # gevent workers, as deployed on two cores


class Web:
    """gunicorn serving TART (WORKERS gevent workers) on a free port, for the duration
    of a with-block; its output goes to `log_path`."""

    def __init__(self, url, log_path, wrap=()):
        """`wrap`: arguments of a Python program that runs gunicorn (bench/_traced.py)."""
        self.port = free_port()
        env = dict(
            os.environ,
            DATABASE_URL=url,
            API_BIND=f"127.0.0.1:{self.port}",
            TART_WEB_WORKERS=str(WORKERS),
            TART_LOG_LEVEL="warning",
        )
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, *wrap, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            # The tree whose tart this bench imports (PYTHONPATH may name another checkout):
            # gunicorn puts its working directory first on the workers' path.
            cwd=Path(tart.__file__).resolve().parent.parent,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def __enter__(self):
        """Once a worker answers /api/health: a bare listening socket would leave the first
        requests measured waiting for the workers to boot."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(
                    f"gunicorn exited with {self.process.returncode}; see {self.log.name}"
                )
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/api/health")
                if conn.getresponse().status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit(f"gunicorn did not start serving in 60 s; see {self.log.name}")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(60)
        self.log.close()
