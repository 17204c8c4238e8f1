"""Resuming with since_id: what was missed, then live, with no gap and no duplicate."""

import threading

import requests
from psycopg2.extras import Json

from tart.db import EVENTS_CHANNEL
from tart.db.connect import connect
from tart.web.live.history import REPLAY_LIMIT
from tests.support.ingest import query, running_ingest, wait_for_rows
from tests.support.live import LiveClient
from tests.support.node import TelemetryNode, best_block
from tests.support.web import running_web


def test_a_client_resumes_where_it_left_off(database_url):
    with running_ingest(database_url) as (host, port, _), running_web(database_url) as (web, _):
        with TelemetryNode(host, port) as node:
            with LiveClient(web) as client:
                for slot in range(200):
                    node.send(best_block(slot))
                seen = client.events(150)
            last_seen = seen[-1]["id"]

            for slot in range(200, 1200):  # while the client is away
                node.send(best_block(slot))
            wait_for_rows(database_url, "SELECT count(*) FROM events", 1200)

            # More arrive while it resubscribes, so live events race the replay.
            more = threading.Thread(
                target=lambda: [node.send(best_block(slot)) for slot in range(1200, 1700)]
            )
            with LiveClient(web) as client:
                client.send({"type": "Subscribe", "filter": {"type": "All"}, "since_id": last_seen})
                more.start()
                assert client.next("subscribed")["since_id"] == last_seen
                received = []
                while (message := client.message())["type"] != "replayed":
                    if message["type"] == "event":
                        received.append(message["data"])
                summary = message["data"]
                assert summary["complete"] and summary["since_id"] == last_seen
                assert summary["events"] == len(received) >= 1050
                assert summary["last_id"] == received[-1]["id"]
                more.join()
                wait_for_rows(database_url, "SELECT count(*) FROM events", 1700)
                received += client.events(1700 - 150 - len(received))

    stored = query(
        database_url, "SELECT id, event_id FROM events WHERE id > %s ORDER BY id", (last_seen,)
    )
    assert [(e["id"], e["event_id"]) for e in received] == [tuple(row) for row in stored]
    assert [e["event"] for e in received] == [best_block(slot) for slot in range(150, 1700)]


def test_resuming_a_filtered_stream(database_url):
    with running_ingest(database_url) as (host, port, _), running_web(database_url) as (web, _):
        with TelemetryNode(host, port) as a, TelemetryNode(host, port) as b:
            for slot in range(100):
                (a if slot % 2 else b).send(best_block(slot))
            wait_for_rows(database_url, "SELECT count(*) FROM events", 100)
            with LiveClient(web, f"/api/events/stream?node_id={a.node_id}&since_id=0") as ws:
                replayed = ws.stream(50)
                a.send(best_block(100))
                b.send(best_block(101))
                a.send(best_block(102))
                live = ws.stream(2)
    assert [e["event"] for e in replayed + live] == [
        best_block(slot) for slot in [*range(1, 100, 2), 100, 102]
    ]
    assert {e["node_id"] for e in replayed + live} == {a.node_id}


def test_a_replay_beyond_the_limit_says_what_to_read_from_the_rest_api(database_url):
    stored = REPLAY_LIMIT + 500
    insert_events(database_url, stored)
    with running_web(database_url) as (web, _):
        with LiveClient(web) as client:
            client.send(
                {
                    "type": "Subscribe",
                    "filter": {"type": "EventType", "event_type": 11},
                    "since_id": 0,
                }
            )
            client.next("subscribed")
            replayed = client.events(REPLAY_LIMIT)
            summary = client.next("replayed")
            assert summary == {
                "since_id": 0,
                "events": REPLAY_LIMIT,
                "last_id": REPLAY_LIMIT,
                "complete": False,
                "missing": {
                    "after_id": REPLAY_LIMIT,
                    "through_id": stored,
                    "rest": f"/api/events?since_id={REPLAY_LIMIT}&event_type=11",
                },
            }
            assert [e["id"] for e in replayed] == list(range(1, REPLAY_LIMIT + 1))
            page = requests.get(
                f"http://127.0.0.1:{web}{summary['missing']['rest']}", timeout=10
            ).json()
            assert page["events"][0]["id"] == REPLAY_LIMIT + 1
            # Live goes on after `through_id`.
            insert_events(database_url, 1)
            assert client.events(1)[0]["id"] == stored + 1

        with LiveClient(web, "/api/events/stream?event_type=11&since_id=5") as client:
            assert [e["id"] for e in client.stream(REPLAY_LIMIT)] == list(
                range(6, REPLAY_LIMIT + 6)
            )
            assert client.closed() == (
                1000,
                f"replay limit of {REPLAY_LIMIT} events reached: "
                f"reconnect with since_id={REPLAY_LIMIT + 5}",
            )


def test_a_batched_client_resumes_in_batches_with_no_gap_and_no_duplicate(database_url):
    with running_ingest(database_url) as (host, port, _), running_web(database_url) as (web, _):
        with TelemetryNode(host, port) as node:
            for slot in range(300):
                node.send(best_block(slot))
            wait_for_rows(database_url, "SELECT count(*) FROM events", 300)
            with LiveClient(web) as client:
                client.send(
                    {"type": "Subscribe", "filter": {"type": "All"}, "since_id": 100, "batch": True}
                )
                while (acknowledged := client.message())["type"] != "subscribed":
                    pass  # `event`s of the subscription every client starts with
                assert acknowledged["data"]["batch"] is True
                replayed = []
                while (message := client.message())["type"] != "replayed":
                    if message["type"] == "events":
                        replayed += message["data"]
                    else:
                        assert message["type"] == "stats", message
                assert message["data"]["events"] == len(replayed) == 200
                for slot in range(300, 800):
                    node.send(best_block(slot))
                live, batches = [], 0
                while len(live) < 500:
                    message = client.message()
                    if message["type"] == "events":
                        live += message["data"]
                        batches += 1
                client.send({"type": "Ping"})
                assert client.next("pong")["events_received"] == 700
                client.send({"type": "Subscribe", "filter": {"type": "All"}, "batch": "yes"})
                assert client.next("error") == {"message": "batch must be true or false"}
    stored = query(database_url, "SELECT id FROM events WHERE id > 100 ORDER BY id")
    assert [e["id"] for e in replayed + live] == [row[0] for row in stored]
    assert [e["event"] for e in replayed + live] == [best_block(slot) for slot in range(100, 800)]
    assert batches < 500  # several events to a message


def insert_events(database_url, count):
    """Store `count` BestBlockChanged events of one node and NOTIFY, as the ingest writer does."""
    conn = connect(database_url)
    try:
        with conn, conn.cursor() as cur:
            node = "ab" * 32
            cur.execute(
                "INSERT INTO known_nodes (node_id) VALUES (%s) ON CONFLICT DO NOTHING", (node,)
            )
            cur.execute(
                "INSERT INTO sessions (node_id, remote_address) VALUES (%s, 'test') RETURNING id",
                (node,),
            )
            session = cur.fetchone()[0]
            cur.execute(
                "INSERT INTO events (node_id, session_id, event_id, event_type, node_timestamp,"
                " data) SELECT %s, %s, n, 11, 0, %s FROM generate_series(1, %s) n RETURNING id",
                (node, session, Json(best_block(1)), count),
            )
            ids = [row[0] for row in cur.fetchall()]
            cur.execute("SELECT pg_notify(%s, %s)", (EVENTS_CHANNEL, f"{min(ids)},{max(ids)}"))
    finally:
        conn.close()
