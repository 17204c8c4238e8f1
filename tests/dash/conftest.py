"""A running TART (ingest and web on the session's PostgreSQL) with a 20-node `tart loadgen`
network streaming into it, shared by the dashboard's tests."""

import time
from dataclasses import dataclass

import pytest
import requests

from tests.support.ingest import running_ingest
from tests.support.procs import running, tart
from tests.support.web import running_web

NODES = 20
RATE = 10  # events per second per node: the Status mix, a best and a finalized block a cycle


@dataclass
class Network:
    database_url: str
    api: str  # the web process's base URL
    web_port: int
    telemetry: tuple[str, int]
    nodes: int = NODES  # the loadgen's


@pytest.fixture(scope="package")
def network(pg):
    database_url = pg.fresh_database()
    with (
        running_ingest(database_url) as (host, port, _),
        running_web(database_url, workers=1) as (web_port, _),
    ):
        loadgen = tart(
            "loadgen", "--telemetry", f"{host}:{port}", "--nodes", str(NODES),
            "--rate", str(RATE), "--duration", "600", "--mix", "status", "--garbage-rate", "0.02",
        )  # fmt: skip
        with running(loadgen, {}):
            api = f"http://127.0.0.1:{web_port}"
            _wait_for_nodes(api)
            yield Network(database_url, api, web_port, (host, port))
    pg.drop_database(database_url)


def _wait_for_nodes(api):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        nodes = requests.get(f"{api}/api/nodes", timeout=5).json()["nodes"]
        if len(nodes) == NODES and all(n["best_block"]["slot"] for n in nodes):
            return
        time.sleep(0.2)
    raise AssertionError("the loadgen's nodes did not all report a best block in 30 s")
