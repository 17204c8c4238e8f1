"""A client of TART's public API: the REST endpoints, and the live events of WS /api/ws.

`tart dash` reads TART only through this module, and the dashboard's tests use it too, so
what the dashboard shows is what any API client can get. It is asyncio-based (httpx for REST,
websockets for the stream), as the dashboard is.

    async with TartClient("http://localhost:8080") as tart:
        print(await tart.stats())
        async for item in tart.live(since_id=None):
            ...  # Event, Streaming, Missed or Interrupted

A TART that cannot be reached, or answers with an error, raises Unavailable with one line
saying why; the live stream instead reports it as Interrupted and keeps reconnecting, resuming
after the last event it delivered.
"""

import asyncio
import contextlib
import functools
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson
import websockets
from websockets.asyncio.client import connect

from tart.api_url import base_url

# Longest a request or the WebSocket handshake may take before TART counts as unreachable.
TIMEOUT = 5.0
# Waits between attempts to reconnect the live stream: quick at first, then every 5 s.
RETRY_DELAYS = (0.5, 1.0, 2.0, 5.0)


class Unavailable(Exception):
    """TART did not answer, or answered with an error; str() says which, in one line (without
    TART's URL, which the caller knows)."""


class NotFound(Unavailable):
    """TART answered 404: no such block, or (an older TART) no such endpoint."""


@dataclass(frozen=True, slots=True)
class Event:
    """A stored event, the same whether it came from REST or the live stream."""

    id: int
    node_id: str
    event_id: int
    event_type: int
    timestamp: str  # the node's time of the event (ISO 8601, UTC)
    received_at: str  # when TART received it
    data: dict  # the decoded event, e.g. {"BestBlockChanged": {"slot": 1, "hash": "0x…"}}

    @property
    def name(self) -> str:
        return next(iter(self.data), "?")

    @property
    def fields(self) -> dict:
        fields = self.data.get(self.name)
        return fields if isinstance(fields, dict) else {}


@dataclass(frozen=True, slots=True)
class Streaming:
    """The live stream is (again) connected and subscribed; `replayed` events were caught up."""

    replayed: int


@dataclass(frozen=True, slots=True)
class Missed:
    """Events after_id < id <= through_id were stored while away but are too many to replay;
    the stream goes on after them. /api/events?since_id=after_id pages through them."""

    after_id: int
    through_id: int


@dataclass(frozen=True, slots=True)
class Interrupted:
    """The live stream was lost (or could not connect); it retries in `retry_in` seconds."""

    reason: str
    retry_in: float


def _answer(method):
    """A REST method whose answer's shape is not what TART's API gives raises Unavailable
    (a proxy's page, another service on the port) instead of a KeyError."""

    @functools.wraps(method)
    async def wrapper(self, *args, **kwargs):
        try:
            return await method(self, *args, **kwargs)
        except (KeyError, TypeError, IndexError, AttributeError) as error:
            raise Unavailable(f"the answer is not TART's ({error!r})") from None

    return wrapper


def _having(answer: dict, *keys: str) -> dict:
    """`answer`, if it has `keys` (else the KeyError that _answer turns into Unavailable)."""
    for key in keys:
        answer[key]
    return answer


class TartClient:
    def __init__(self, url: str, timeout: float = TIMEOUT):
        self.url = base_url(url)
        self.timeout = timeout
        self._http = httpx.AsyncClient(base_url=self.url, timeout=timeout)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # REST

    @_answer
    async def health_detailed(self) -> dict:
        """GET /api/health/detailed; its 503 (unhealthy) is an answer, not an error."""
        return await self._get("/api/health/detailed", answers=(200, 503))

    @_answer
    async def stats(self) -> dict:
        return await self._get("/api/stats")

    @_answer
    async def nodes(self) -> list[dict]:
        return (await self._get("/api/nodes"))["nodes"]

    @_answer
    async def node(self, node_id: str) -> dict:
        return await self._get(f"/api/nodes/{node_id}")

    @_answer
    async def node_events(self, node_id: str, limit: int = 50) -> list[Event]:
        """The node's latest events, newest first."""
        page = await self._get(f"/api/nodes/{node_id}/events", limit=limit)
        return [rest_event(event) for event in page["events"]]

    @_answer
    async def node_errors(self, node_id: str, limit: int = 50) -> list[dict]:
        """The node's frames that did not decode, newest first."""
        return (await self._get(f"/api/nodes/{node_id}/errors", limit=limit))["errors"]

    @_answer
    async def blocks(self, limit: int = 50) -> list[dict]:
        """The blocks with the highest slots, highest first, with their spreads."""
        return (await self._get("/api/blocks", limit=limit))["blocks"]

    @_answer
    async def block(self, block: str) -> list[dict]:
        """The blocks of a slot, or the block of a header hash, with each node's times and
        the nodes that never had it."""
        return (await self._get(f"/api/blocks/{block}"))["blocks"]

    @_answer
    async def work_packages(self, limit: int = 50) -> dict:
        """The last hour's work-packages, funnels per guarantor role, failures by reason."""
        return _having(await self._get("/api/workpackages", limit=limit), "funnel", "failures")

    @_answer
    async def network_health(self) -> dict:
        """GET /api/analytics/health: the network's score and the anomalies that lowered it."""
        return _having(await self._get("/api/analytics/health"), "score", "anomalies")

    @_answer
    async def events(
        self,
        limit: int = 50,
        node_id: str | None = None,
        event_types: list[int] | None = None,
        since_id: int | None = None,
    ) -> list[Event]:
        """Events of every node, or of the nodes whose id starts with `node_id`, of the given
        types: the latest, newest first; or with `since_id`, those after it, oldest first."""
        query = {"limit": limit}
        if node_id is not None:
            query["node_id"] = node_id
        if event_types is not None:
            query["event_type"] = ",".join(map(str, event_types))
        if since_id is not None:
            query["since_id"] = since_id
        page = await self._get("/api/events", **query)
        return [rest_event(event) for event in page["events"]]

    async def _get(self, path: str, answers=(200,), **query):
        try:
            try:
                response = await self._http.get(path, params=query)
            except httpx.RemoteProtocolError:
                # The server closed the kept-alive connection as the request went out (its
                # keep-alive timeout): a GET is safe to send again, on a new connection.
                response = await self._http.get(path, params=query)
        except httpx.TransportError as error:
            raise Unavailable(_transport_problem(error)) from None
        if response.status_code == 404 and 404 not in answers:
            raise NotFound(f"GET {path}: 404 {_error_text(response)}")
        if response.status_code not in answers:
            raise Unavailable(f"GET {path}: {response.status_code} {_error_text(response)}")
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise Unavailable(f"GET {path}: the answer is not JSON") from None

    # The live stream

    async def live(self, since_id: int | None = None) -> AsyncIterator:
        """Every event stored from now on (after `since_id` if given), in id order, for as long
        as the caller iterates: Event items, and Streaming, Missed and Interrupted as the
        connection comes and goes. After a reconnect it resumes after the last event it
        yielded, so nothing is skipped or repeated (beyond the server's replay limit, Missed
        says what was)."""
        last_id = since_id
        failures = 0
        while True:
            reason = None
            try:
                async with connect(
                    self._ws_url(),
                    open_timeout=self.timeout,
                    max_size=None,  # a Status event of a many-core network is large
                    compression=None,  # the server never compresses
                ) as ws:
                    async for item in _subscribed(ws, last_id):
                        if isinstance(item, Event):
                            last_id = item.id
                        elif isinstance(item, Missed):
                            last_id = item.through_id
                        elif isinstance(item, Streaming):
                            failures = 0
                        yield item
            except websockets.ConnectionClosed as closed:
                reason = _closed_reason(closed)
            except _Refused as refused:
                reason = str(refused)
            except (KeyError, TypeError, orjson.JSONDecodeError) as error:
                reason = f"the stream is not TART's ({error!r})"
            except (OSError, TimeoutError, websockets.InvalidHandshake) as error:
                reason = _connect_problem(error)
            failures += 1
            delay = RETRY_DELAYS[min(failures, len(RETRY_DELAYS)) - 1]
            yield Interrupted(reason or "the server ended the stream", delay)
            await asyncio.sleep(delay)

    def _ws_url(self) -> str:
        parts = urlsplit(self.url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return urlunsplit((scheme, parts.netloc, f"{parts.path}/api/ws", "", ""))


async def _subscribed(ws, since_id: int | None) -> AsyncIterator:
    """One connection's items: subscribe to every event after `since_id` (all new events when
    None), then yield what the server sends. Ids only grow: anything at or below the last one
    yielded is a duplicate (the events the server sends before it takes the subscription)."""
    subscribe = {"type": "Subscribe", "filter": {"type": "All"}}
    if since_id is not None:
        subscribe["since_id"] = since_id
    await ws.send(orjson.dumps(subscribe).decode())
    last_id = since_id
    subscribed = False
    async for text in ws:
        message = orjson.loads(text)
        kind = message.get("type")
        if kind == "event":
            if subscribed and (last_id is None or message["data"]["id"] > last_id):
                event = live_event(message["data"])
                last_id = event.id
                yield event
        elif kind == "subscribed":
            subscribed = True
            if since_id is None:
                yield Streaming(replayed=0)
        elif kind == "replayed":
            replay = message["data"]
            if not replay["complete"]:
                missing = replay["missing"]
                yield Missed(missing["after_id"], missing["through_id"])
                last_id = missing["through_id"]
            yield Streaming(replayed=replay["events"])
        elif kind == "error":
            # E.g. the database was away when it subscribed: reconnect and subscribe again.
            raise _Refused(f"the server refused the subscription: {message['data']['message']}")


class _Refused(Exception):
    pass


def rest_event(event: dict) -> Event:
    return Event(
        id=event["id"],
        node_id=event["node_id"],
        event_id=event["event_id"],
        event_type=event["event_type"],
        timestamp=event["timestamp"],
        received_at=event["received_at"],
        data=event["data"],
    )


def live_event(data: dict) -> Event:
    return Event(
        id=data["id"],
        node_id=data["node_id"],
        event_id=data["event_id"],
        event_type=data["event_type"],
        timestamp=data["timestamp"],
        received_at=data["received_at"],
        data=data["event"],
    )


def _transport_problem(error: httpx.TransportError) -> str:
    if isinstance(error, httpx.TimeoutException):
        return "no answer in time"
    if isinstance(error, httpx.ConnectError):
        return f"cannot connect ({_root_cause(error)})"
    return f"{type(error).__name__}: {_root_cause(error)}"


def _connect_problem(error: Exception) -> str:
    if isinstance(error, TimeoutError):
        return "no answer in time"
    if isinstance(error, websockets.InvalidStatus):
        return f"the server refused the WebSocket: HTTP {error.response.status_code}"
    return f"cannot connect ({_root_cause(error)})"


def _closed_reason(closed: websockets.ConnectionClosed) -> str:
    close = closed.rcvd or closed.sent
    if close is None:
        return "the connection was lost"
    return f"closed by the server: {close.code} {close.reason}".rstrip()


def _root_cause(error: BaseException) -> str:
    while error.__cause__ is not None or error.__context__ is not None:
        error = error.__cause__ or error.__context__
    if isinstance(error, OSError) and error.errno:
        return os.strerror(error.errno).lower()  # "connection refused", not the call's text
    return str(error) or type(error).__name__


def _error_text(response: httpx.Response) -> str:
    """The API's error message ({"error": …}), or the status's reason phrase."""
    with contextlib.suppress(orjson.JSONDecodeError, AttributeError, TypeError):
        return orjson.loads(response.content)["error"]
    return response.reason_phrase
