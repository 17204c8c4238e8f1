import importlib.util
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg2
import pytest

from tart.db.embedded import EmbeddedPostgres
from tests.support.procs import free_port, running, tart, wait_for_http, wait_for_port

HEALTH = {"status": "ok", "service": "tart-backend", "version": "0.1.0"}


@pytest.fixture
def data_dir():
    """A TART_DATA_DIR of the test's own; its embedded server is stopped afterwards.

    Not under pytest's tmp_path: every pytest run on the machine resets its base directory
    to mode 0700, which would lock the embedded server's user (as root, not root) out.
    """
    path = Path(tempfile.mkdtemp(prefix="tart-test-data-"))
    yield path
    subprocess.run(tart("db-stop"), env=cli_env(path), check=True, timeout=60)
    shutil.rmtree(path)


def cli_env(data_dir, **variables):
    """The environment for a `tart` command: no DATABASE_URL unless given, our data dir."""
    env = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}
    env["TART_DATA_DIR"] = str(data_dir)
    env.update(variables)
    return env


def run_tart(*args, env):
    return subprocess.run(tart(*args), env=env, capture_output=True, text=True, timeout=120)


def assert_one_line_error(result, *fragments):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_db_url_starts_the_embedded_database(data_dir):
    result = run_tart("db-url", env=cli_env(data_dir))
    assert result.returncode == 0, result.stderr
    assert "starting embedded PostgreSQL" in result.stderr
    url = result.stdout.strip()
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT current_database()")
            assert cur.fetchone() == ("tart",)
    finally:
        conn.close()
    again = run_tart("db-url", env=cli_env(data_dir))
    assert again.stdout.strip() == url
    assert "starting" not in again.stderr


def test_migrate_applies_the_schema(pg):
    url = pg.fresh_database(migrated=False)
    result = run_tart("migrate", env=cli_env("/nonexistent", DATABASE_URL=url))
    assert result.returncode == 0, result.stderr
    assert "applied 001_initial" in result.stderr
    assert "up to date" in run_tart("migrate", env=cli_env("/nonexistent", DATABASE_URL=url)).stderr
    pg.drop_database(url)


@pytest.mark.parametrize(
    "url, message",
    [
        (
            "postgresql://tart@127.0.0.1:{port}/telemetry",
            "cannot connect to database 'telemetry' on 127.0.0.1:{port}",
        ),
        ("not a url", "not a valid PostgreSQL URL"),
    ],
)
def test_bad_database_url_is_one_line_error(tmp_path, url, message):
    port = free_port()
    result = run_tart("migrate", env=cli_env(tmp_path, DATABASE_URL=url.format(port=port)))
    assert_one_line_error(result, message.format(port=port))


def test_bad_setting_is_one_line_error_naming_the_variable(tmp_path):
    result = run_tart("migrate", env=cli_env(tmp_path, TART_BATCH_SIZE="lots"))
    assert_one_line_error(result, "TART_BATCH_SIZE")


def test_unwritable_data_dir_is_one_line_error(tmp_path):
    # Root may write anywhere, so make the directory impossible: its parent is a file.
    (tmp_path / "file").write_text("")
    result = run_tart("db-url", env=cli_env(tmp_path / "file" / "data"))
    assert_one_line_error(result, "TART_DATA_DIR", "not a writable directory")


def test_web_serves_health(database_url, tmp_path):
    port = free_port()
    env = cli_env(
        tmp_path, DATABASE_URL=database_url, API_BIND=f"127.0.0.1:{port}", TART_WEB_WORKERS="1"
    )
    with running(tart("web"), env, cwd=tmp_path) as web:
        response = wait_for_http(f"http://127.0.0.1:{port}/api/health", process=web)
        assert response.json() == HEALTH


@pytest.mark.parametrize("command, variable", [("web", "API_BIND"), ("run", "TELEMETRY_BIND")])
def test_port_in_use_is_one_line_error(database_url, tmp_path, command, variable):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = cli_env(
            tmp_path,
            DATABASE_URL=database_url,
            TELEMETRY_BIND=f"127.0.0.1:{free_port()}",
            API_BIND=f"127.0.0.1:{free_port()}",
        )
        env[variable] = f"127.0.0.1:{port}"
        result = run_tart(command, env=env)
    assert_one_line_error(result, variable, f"port {port} is already in use")


@pytest.mark.skipif(
    importlib.util.find_spec("tart.ingest.server") is None,
    reason="tart run needs the ingest server, tart.ingest.server",
)
def test_run_serves_until_sigterm_then_stops_everything(data_dir):
    api_port, telemetry_port = free_port(), free_port()
    env = cli_env(
        data_dir, API_BIND=f"127.0.0.1:{api_port}", TELEMETRY_BIND=f"127.0.0.1:{telemetry_port}"
    )
    with running(tart("run"), env) as run:
        assert wait_for_http(f"http://127.0.0.1:{api_port}/api/health", 60, run).json() == HEALTH
        wait_for_port("127.0.0.1", telemetry_port, 60, run)
        assert EmbeddedPostgres(data_dir).is_running()
        run.terminate()
        assert run.wait(60) == 0, run.output()
    assert not EmbeddedPostgres(data_dir).is_running()


def test_version_is_printed_without_configuration_or_database():
    result = subprocess.run(
        tart("--version"),
        env=dict(os.environ, DATABASE_URL="postgresql://nowhere.invalid/x", API_BIND="bad"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"tart, version {HEALTH['version']}\n"


def test_the_readmes_first_screen_says_where_the_tart_command_is():
    first_screen = (Path(__file__).parent.parent / "README.md").read_text().splitlines()[:40]
    text = "\n".join(first_screen)
    assert "make run" in text
    assert "`.venv/bin/tart`" in text and "source .venv/bin/activate" in text
    assert "tart --version" in text
