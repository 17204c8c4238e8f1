"""The seed README's JavaScript and Python WebSocket clients, as written there, against TART.

Both negotiate what real clients do (the Python `websockets` library and undici's browser
WebSocket in Node offer permessage-deflate), so this is what dashboards built from the seed see.
"""

import asyncio
import contextlib
import json
import subprocess
import threading

from tests.support.ingest import running_ingest
from tests.support.live import TIMEOUT
from tests.support.node import TelemetryNode, best_block
from tests.support.web import running_web

# From the seed README's "Python WebSocket Client", unchanged.
SEED_PYTHON_CLIENT = '''
import asyncio
import websockets
import json

class TartWebSocketClient:
    def __init__(self, url="ws://localhost:8080/api/ws"):
        self.url = url
        self.handlers = {}

    async def connect(self):
        """Connect and handle messages"""
        async with websockets.connect(self.url) as websocket:
            # Subscribe to all events
            await websocket.send(json.dumps({
                "type": "Subscribe",
                "filter": {"type": "All"}
            }))

            # Handle incoming messages
            async for message in websocket:
                data = json.loads(message)
                await self.handle_message(data)

    async def handle_message(self, message):
        """Route messages to handlers"""
        msg_type = message.get("type")
        if msg_type in self.handlers:
            await self.handlers[msg_type](message.get("data"))

    def on(self, event_type, handler):
        """Register event handler"""
        self.handlers[event_type] = handler
'''

# From the seed README's "JavaScript WebSocket Client", unchanged.
SEED_JS_CLIENT = """
class TartWebSocket {
  constructor(url = "ws://localhost:8080/api/ws") {
    this.ws = new WebSocket(url);
    this.eventHandlers = new Map();

    this.ws.onopen = () => {
      console.log("Connected to TART telemetry");
      this.subscribe({ type: "All" });
    };

    this.ws.onmessage = (event) => {
      const message = JSON.parse(event.data);
      this.handleMessage(message);
    };

    this.ws.onerror = (error) => {
      console.error("WebSocket error:", error);
    };

    this.ws.onclose = () => {
      console.log("Disconnected from TART telemetry");
    };
  }

  subscribe(filter) {
    this.send({ type: "Subscribe", filter });
  }

  subscribeToNode(nodeId) {
    this.subscribe({ type: "Node", node_id: nodeId });
  }

  getRecentEvents(limit = 100) {
    this.send({ type: "GetRecentEvents", limit });
  }

  ping() {
    this.send({ type: "Ping" });
  }

  send(message) {
    if (this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(message));
    }
  }

  on(eventType, handler) {
    this.eventHandlers.set(eventType, handler);
  }

  handleMessage(message) {
    const handler = this.eventHandlers.get(message.type);
    if (handler) {
      handler(message.data);
    }
  }
}
"""

# Drives the seed's class: every event, then one node's; says what it saw on stdout.
JS_HARNESS = """
const [url, nodeId] = process.argv.slice(2);
const client = new TartWebSocket(url);
const seen = {all: [], node: [], pong: null, recent: null};
let phase = "all";
client.on("subscribed", () => console.log("ready " + phase));
client.on("event", (data) => {
  seen[phase].push([data.id, data.node_id, data.event_type, data.event]);
  if (phase === "all" && seen.all.length === 10) {
    phase = "node";
    client.subscribeToNode(nodeId);
  } else if (phase === "node" && seen.node.length === 5) {
    client.ping();
  }
});
client.on("pong", (data) => { seen.pong = data; client.getRecentEvents(3); });
client.on("recent_events", (data) => {
  seen.recent = data.count;
  console.log("seen " + JSON.stringify(seen));
  process.exit(0);
});
"""


def test_the_seed_javascript_client(database_url, tmp_path):
    script = tmp_path / "client.js"
    script.write_text(SEED_JS_CLIENT + JS_HARNESS)
    with running_ingest(database_url) as (host, port, _), running_web(database_url) as (web, _):
        with TelemetryNode(host, port) as a, TelemetryNode(host, port) as b:
            node = subprocess.Popen(
                [
                    "node",
                    "--experimental-websocket",
                    "--no-warnings",
                    str(script),
                    f"ws://127.0.0.1:{web}/api/ws",
                    b.node_id,
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
            try:
                assert _line(node) == "Connected to TART telemetry"
                assert _line(node) == "ready all"
                for slot in range(10):
                    a.send(best_block(slot))
                assert _line(node) == "ready node"
                for slot in range(10, 20):
                    (a if slot % 2 else b).send(best_block(slot))
                seen = json.loads(_line(node).removeprefix("seen "))
            finally:
                node.kill()
                node.wait()
    assert [event[3] for event in seen["all"]] == [best_block(slot) for slot in range(10)]
    assert [event[1:] for event in seen["node"]] == [
        [b.node_id, 11, best_block(slot)] for slot in range(10, 20, 2)
    ]
    assert seen["pong"]["events_received"] == 15
    assert seen["recent"] == 3


def _line(process) -> str:
    line = process.stdout.readline()
    assert line, f"node exited with {process.wait()}"
    return line.strip()


def test_the_seed_python_client(database_url):
    namespace = {}
    exec(SEED_PYTHON_CLIENT, namespace)
    with running_ingest(database_url) as (host, port, _), running_web(database_url) as (web, _):
        with TelemetryNode(host, port) as node:
            client = namespace["TartWebSocketClient"](f"ws://127.0.0.1:{web}/api/ws")
            events, stats = [], []

            class Done(Exception):
                pass

            async def on_subscribed(data):
                threading.Thread(
                    target=lambda: [node.send(best_block(slot)) for slot in range(20)]
                ).start()

            async def on_event(data):
                events.append(data)

            async def on_stats(data):
                stats.append(data)
                if len(events) == 20:
                    raise Done

            client.on("subscribed", on_subscribed)
            client.on("event", on_event)
            client.on("stats", on_stats)
            with contextlib.suppress(Done):
                asyncio.run(asyncio.wait_for(client.connect(), TIMEOUT))
    assert [(e["node_id"], e["event_type"], e["event"]) for e in events] == [
        (node.node_id, 11, best_block(slot)) for slot in range(20)
    ]
    assert stats[-1]["connections"] == {"total": 1, "nodes": [node.node_id]}
