// The public API, as this page uses it: JSON over HTTP, and the live stream over /api/ws.
// Paths are relative to the page, so the dashboard also works behind a proxy under a prefix.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** GET `path` (relative, e.g. "api/nodes") and return its JSON; an ApiError says what failed. */
export async function getJson(path) {
  let response;
  try {
    response = await fetch(path, { headers: { Accept: "application/json" } });
  } catch (error) {
    throw new ApiError(0, `TART is unreachable (${error.message})`);
  }
  if (!response.ok) {
    let problem = response.statusText;
    try {
      problem = (await response.json()).error || problem;
    } catch {
      // not JSON: a proxy's error page; the status text says enough
    }
    throw new ApiError(response.status, `${path}: ${response.status} ${problem}`);
  }
  return response.json();
}

// Seconds to wait before each reconnection attempt; the last repeats.
const RETRY_SECONDS = [1, 2, 4, 8, 10];
// A Subscribe the server could not carry out (its database away) is sent again after this.
const RESUBSCRIBE_MS = 2000;
// How often the server clock is sampled from message timestamps.
const CLOCK_SAMPLE_MS = 500;
const CLOCK_SAMPLES = 60;

/**
 * One /api/ws connection that subscribes to every event and, after any reconnection, resumes
 * from the last event id it delivered (Subscribe with since_id): no event is delivered twice,
 * and none is missed unless the server says so (a replay over its limit, see onReplayed).
 * Events come in batches (`events` messages), so 10,000 events/s are a hundred messages.
 *
 * handlers: onEvent(event, replayed), onStats(data, serverMs), onState(state, detail),
 * onReplayed(data), onConnected(data). States: "connecting", "live", "down".
 */
export class LiveStream {
  constructor(handlers, sinceId) {
    this.handlers = handlers;
    this.lastId = sinceId;
    this.attempt = 0;
    this.ws = null;
    this.offsets = [];
    this.lastSample = 0;
    this.offset = 0;
  }

  start() {
    this.connect();
  }

  /** Now on the server's clock (milliseconds), as estimated from its messages' timestamps. */
  serverNow() {
    return Date.now() + this.offset;
  }

  connect() {
    const url = new URL("api/ws", location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    this.handlers.onState("connecting", this.attempt ? `attempt ${this.attempt + 1}` : "");
    const ws = new WebSocket(url);
    this.ws = ws;
    this.subscribing = false;
    this.subscribed = false;
    this.replaying = false;
    ws.onmessage = (message) => this.receive(JSON.parse(message.data));
    ws.onclose = (close) => {
      if (this.ws === ws) this.retry(close);
    };
  }

  retry(close) {
    this.ws = null;
    const wait = RETRY_SECONDS[Math.min(this.attempt, RETRY_SECONDS.length - 1)];
    this.attempt += 1;
    const why = close.reason || (close.code === 1006 ? "connection lost" : `code ${close.code}`);
    this.handlers.onState("down", { reason: why, retryAt: Date.now() + wait * 1000 });
    setTimeout(() => this.connect(), wait * 1000);
  }

  subscribe() {
    if (this.ws === null || this.ws.readyState !== WebSocket.OPEN) return;
    this.subscribing = true;
    this.subscribed = false;
    this.ws.send(
      JSON.stringify({ type: "Subscribe", filter: { type: "All" }, since_id: this.lastId, batch: true }),
    );
  }

  sampleClock(timestamp) {
    const now = Date.now();
    if (now - this.lastSample < CLOCK_SAMPLE_MS) return;
    this.lastSample = now;
    // The message left the server before it arrived here, so each sample is at most the true
    // offset; the largest recent one is the closest.
    this.offsets.push(Date.parse(timestamp) - now);
    if (this.offsets.length > CLOCK_SAMPLES) this.offsets.shift();
    this.offset = Math.max(...this.offsets);
  }

  receive(message) {
    this.sampleClock(message.timestamp);
    switch (message.type) {
      case "events":
        // Only our subscription sends batches. (The `event`s of the one every connection
        // starts with, before ours is in place, are ignored: our replay brings them again.)
        if (!this.subscribed) return;
        for (const event of message.data) {
          if (event.id <= this.lastId) continue;
          this.lastId = event.id;
          this.handlers.onEvent(event, this.replaying);
        }
        break;
      case "connected":
        this.subscribe();
        this.handlers.onConnected(message.data);
        break;
      case "subscribed":
        this.subscribed = true;
        this.replaying = true;
        break;
      case "replayed":
        this.subscribing = false;
        this.replaying = false;
        this.attempt = 0;
        this.handlers.onState("live", "");
        this.handlers.onReplayed(message.data);
        break;
      case "stats":
        this.handlers.onStats(message.data, Date.parse(message.timestamp));
        break;
      case "error":
        // Only our Subscribe can fail (with the database away): until it is in place there is
        // no subscription, so try again.
        if (this.subscribing) {
          this.subscribed = false;
          this.handlers.onState("connecting", message.data.message);
          setTimeout(() => this.subscribe(), RESUBSCRIBE_MS);
        }
        break;
      default:
        break;
    }
  }
}
