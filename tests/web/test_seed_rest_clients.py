"""The seed README's REST examples, as a user of the Rust TART runs them, against real `tart
ingest` and gunicorn: its Python `TartClient` with its usage example, its TypeScript
`TartClient` under Node, and its cURL examples piped through jq."""

import json
import subprocess

import pytest

from tests.support.ingest import running_ingest, wait_for_rows
from tests.support.node import TelemetryNode, best_block, block_outline
from tests.support.procs import BIN
from tests.support.web import running_web

# Events each node sends: more than the 10 the seed's examples ask for.
SLOTS = {"polkajam": range(100, 130), "jamduna": range(200, 215)}
AUTHORED = {
    "Authored": {
        "authoring_id": 0,
        "outline": block_outline("0x" + "0a" * 32, size=1000, num_guarantees=1, num_assurances=2),
    }
}

# From the seed README's "Python Integration", unchanged but for the URL in its usage example.
SEED_PYTHON_CLIENT = '''
import requests
import json

class TartClient:
    def __init__(self, base_url="http://localhost:8080"):
        self.base_url = base_url

    def get_health(self):
        """Check backend health"""
        response = requests.get(f"{self.base_url}/api/health")
        return response.json()

    def get_nodes(self):
        """Get all connected nodes"""
        response = requests.get(f"{self.base_url}/api/nodes")
        return response.json()["nodes"]

    def get_node_events(self, node_id, limit=100):
        """Get events for a specific node"""
        response = requests.get(
            f"{self.base_url}/api/nodes/{node_id}/events",
            params={"limit": limit}
        )
        return response.json()["events"]

    def get_recent_events(self, limit=50):
        """Get recent events across all nodes"""
        response = requests.get(
            f"{self.base_url}/api/events",
            params={"limit": limit}
        )
        return response.json()["events"]

    def get_stats(self):
        """Get system statistics"""
        response = requests.get(f"{self.base_url}/api/stats")
        return response.json()

# Usage example
client = TartClient("http://localhost:8080")

# Check health
health = client.get_health()
print(f"Status: {health['status']}")

# Get all nodes
nodes = client.get_nodes()
print(f"Connected nodes: {len(nodes)}")

# Get events from first node
if nodes:
    events = client.get_node_events(nodes[0]["node_id"], limit=10)
    print(f"Recent events: {len(events)}")

# Get system stats
stats = client.get_stats()
print(f"Best block: {stats['best_block']}")
'''

# The seed README's "JavaScript/TypeScript Integration" client as JavaScript: Node 20 runs no
# TypeScript, so its interfaces and type annotations are left out and the `private baseUrl`
# parameter property is written as the assignment TypeScript compiles it to. Nothing else
# differs.
SEED_JS_CLIENT = """
class TartClient {
  constructor(baseUrl = "http://localhost:8080") {
    this.baseUrl = baseUrl;
  }

  async getHealth() {
    const response = await fetch(`${this.baseUrl}/api/health`);
    return response.json();
  }

  async getNodes() {
    const response = await fetch(`${this.baseUrl}/api/nodes`);
    const data = await response.json();
    return data.nodes;
  }

  async getNodeEvents(nodeId, limit = 100) {
    const response = await fetch(
      `${this.baseUrl}/api/nodes/${nodeId}/events?limit=${limit}`
    );
    const data = await response.json();
    return data.events;
  }

  async getRecentEvents(limit = 50) {
    const response = await fetch(
      `${this.baseUrl}/api/events?limit=${limit}`
    );
    const data = await response.json();
    return data.events;
  }

  async getStats() {
    const response = await fetch(`${this.baseUrl}/api/stats`);
    return response.json();
  }
}
"""

# The seed's usage (its stats line once, not every 5 s), then every method, as JSON.
JS_HARNESS = """
const client = new TartClient(process.argv[2]);

const nodes = await client.getNodes();
console.log(`Connected nodes: ${nodes.length}`);
const stats = await client.getStats();
console.log(`Best block: ${stats.best_block}`);

const health = await client.getHealth();
const nodeEvents = await client.getNodeEvents(nodes[0].node_id, 10);
const recent = await client.getRecentEvents();
console.log(JSON.stringify({health, nodes, nodeEvents, recent, stats}));
"""

# The seed README's cURL examples (all but `watch`, which repeats the stats one), its node id
# placeholder standing for a node's id.
SEED_CURL = (
    "curl http://localhost:8080/api/health",
    "curl -s http://localhost:8080/api/nodes | jq",
    "curl -s http://localhost:8080/api/nodes/a1b2c3d4... | jq",
    'curl -s "http://localhost:8080/api/nodes/a1b2c3d4.../events?limit=10" | jq',
    'curl -s "http://localhost:8080/api/events?limit=50"'
    " | jq '.events[] | select(.event_type == 11)'",
    "curl -s http://localhost:8080/api/stats | jq",
)

# The seed README's "Data Export" of nodes to CSV.
SEED_NODES_CSV = """curl -s "http://localhost:8080/api/nodes" | \\
  jq -r '.nodes[] | [.node_id, .implementation_name, .event_count, .is_connected] | @csv' \\
  > nodes.csv"""


@pytest.fixture(scope="module")
def stack(pg):
    """Ingest and web over two connected nodes' best blocks, the first also authoring one;
    yield (base URL, {name: node id}). Only read by the tests, so shared by them."""
    url = pg.fresh_database()
    try:
        with running_ingest(url) as (host, port, _), running_web(url, workers=1) as (web, _):
            with (
                TelemetryNode(host, port, name="polkajam") as a,
                TelemetryNode(host, port, name="jamduna") as b,
            ):
                for slot in SLOTS["polkajam"]:
                    a.send(best_block(slot))
                a.send(AUTHORED)
                for slot in SLOTS["jamduna"]:
                    b.send(best_block(slot))
                stored = sum(map(len, SLOTS.values())) + 1
                wait_for_rows(url, "SELECT count(*) FROM events", stored)
                # The nodes' counts are written about once a second.
                wait_for_rows(url, "SELECT sum(event_count)::int FROM known_nodes", stored)
                yield f"http://127.0.0.1:{web}", {"polkajam": a.node_id, "jamduna": b.node_id}
    finally:
        pg.drop_database(url)


def best_of_all() -> int:
    return max(max(slots) for slots in SLOTS.values())


def test_the_seed_python_client_and_its_usage_example(stack, tmp_path):
    base, _ = stack
    script = tmp_path / "tart_client.py"
    script.write_text(SEED_PYTHON_CLIENT.replace("http://localhost:8080", base))
    result = subprocess.run(
        [BIN / "python", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.splitlines() == [
        "Status: ok",
        "Connected nodes: 2",
        "Recent events: 10",
        f"Best block: {best_of_all()}",
    ]


def test_the_seed_typescript_client_under_node(stack, tmp_path):
    base, node_ids = stack
    script = tmp_path / "tart_client.mjs"
    script.write_text(SEED_JS_CLIENT + JS_HARNESS)
    result = subprocess.run(
        ["node", script, base], capture_output=True, text=True, timeout=60, check=True
    )
    usage, called = result.stdout.splitlines()[:2], result.stdout.splitlines()[2]
    assert usage == ["Connected nodes: 2", f"Best block: {best_of_all()}"]
    seen = json.loads(called)
    assert seen["health"]["status"] == "ok"
    assert {node["node_id"] for node in seen["nodes"]} == set(node_ids.values())
    # The fields the seed's `Node` and `Event` interfaces declare are there, typed as declared.
    for node in seen["nodes"]:
        assert node["is_connected"] is True and isinstance(node["event_count"], int)
        assert node["implementation_name"] in SLOTS and node["last_seen_at"]
    first = seen["nodes"][0]
    assert len(seen["nodeEvents"]) == 10
    assert {event["node_id"] for event in seen["nodeEvents"]} == {first["node_id"]}
    assert len(seen["recent"]) == 46  # every event: fewer than the default 50
    for event in seen["nodeEvents"] + seen["recent"]:
        assert isinstance(event["id"], int) and isinstance(event["event_type"], int)
        assert event["timestamp"] and event["data"]
    assert seen["stats"]["best_block"] == best_of_all()
    assert seen["stats"]["total_blocks_authored"] == 1


def test_the_seed_curl_examples(stack):
    base, node_ids = stack
    node_id = node_ids["polkajam"]
    outputs = [
        run(line.replace("http://localhost:8080", base).replace("a1b2c3d4...", node_id))
        for line in SEED_CURL
    ]
    health, nodes, node, node_events, best_blocks, stats = outputs
    assert json.loads(health) == {"status": "ok", "service": "tart-backend", "version": "0.1.0"}
    assert {entry["node_id"] for entry in json.loads(nodes)["nodes"]} == set(node_ids.values())
    assert json.loads(node)["implementation_name"] == "polkajam"
    events = json.loads(node_events)["events"]
    assert [event["data"] for event in events] == [AUTHORED] + [
        best_block(slot) for slot in reversed(SLOTS["polkajam"][-9:])
    ]
    # jq's select prints the matching events one after the other: the best blocks among the
    # 50 newest events, that is all of them.
    found = json_values(best_blocks)
    assert sorted(event["data"]["BestBlockChanged"]["slot"] for event in found) == sorted(
        slot for slots in SLOTS.values() for slot in slots
    )
    assert json.loads(stats)["best_block"] == best_of_all()


def test_the_seed_nodes_csv_export(stack, tmp_path):
    base, node_ids = stack
    run(SEED_NODES_CSV.replace("http://localhost:8080", base), cwd=tmp_path)
    rows = (tmp_path / "nodes.csv").read_text().splitlines()
    assert sorted(rows) == sorted(
        f'"{node_ids[name]}","{name}",{len(slots) + (name == "polkajam")},true'
        for name, slots in SLOTS.items()
    )


def run(command: str, cwd=None) -> str:
    """A shell command line, as a user types it; its standard output."""
    result = subprocess.run(
        command, shell=True, capture_output=True, text=True, timeout=60, cwd=cwd, check=True
    )
    return result.stdout


def json_values(text: str) -> list:
    """The JSON values jq printed one after the other."""
    decoder, values, at = json.JSONDecoder(), [], 0
    text = text.strip()
    while at < len(text):
        value, at = decoder.raw_decode(text, at)
        values.append(value)
        at += len(text[at:]) - len(text[at:].lstrip())
    return values
