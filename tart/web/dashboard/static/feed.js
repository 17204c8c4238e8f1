// A capped list of events, newest first: the live feed of the overview and a node's latest
// events. Events are taken as they come and drawn in batches (draw(), a few times a second);
// only the newest `cap` are kept, so 10,000 events/s cost the page no more than 10.

import { clock, el, millis, nodeLabel, summary } from "./format.js";

/** The event's decoded data: REST events carry it as `data`, live ones as `event`. */
export const dataOf = (event) => event.data ?? event.event;

export class EventTable {
  /**
   * columns: "node" (the overview's feed: which node sent it) or "event_id" (a node's page:
   * the JIP-3 event id on its connection).
   */
  constructor(table, inspect, note, { catalog, network, cap, columns }) {
    this.body = table.tBodies[0];
    this.inspect = inspect;
    this.note = note;
    this.catalog = catalog;
    this.network = network;
    this.cap = cap;
    this.columns = columns;
    this.events = []; // newest first, at most `cap` (twice that between draws)
    this.rows = new Map(); // event id → its row, for the events shown
    this.shown = new Map(); // event id → the event, for the events shown
    this.changed = false;
    this.paused = false;
    this.missed = 0; // events that arrived while paused
    this.selected = null;
    this.body.addEventListener("click", (click) => {
      if (click.target.closest("a")) return;
      const row = click.target.closest("tr");
      if (row) this.select(Number(row.dataset.eventId));
    });
  }

  clear() {
    this.events = [];
    this.missed = 0;
    this.select(null);
    this.changed = true;
  }

  /** Newer events than any shown (the live stream), in id order. */
  add(event) {
    if (this.events.length && event.id <= this.events[0].id) return;
    if (this.paused) this.missed += 1;
    this.events.unshift(event);
    if (this.events.length > this.cap * 2) this.events.length = this.cap;
    this.changed = true;
  }

  /** A page of stored events, newest first (REST): merged with what the stream brought. */
  addPage(events) {
    const known = new Set(this.events.map((event) => event.id));
    const merged = this.events.concat(events.filter((event) => !known.has(event.id)));
    merged.sort((a, b) => b.id - a.id);
    this.events = merged.slice(0, this.cap);
    this.changed = true;
  }

  setPaused(paused) {
    this.paused = paused;
    if (!paused) this.missed = 0;
    this.changed = true;
  }

  select(eventId) {
    this.rows.get(this.selected)?.classList.remove("selected");
    const event = this.shown.get(eventId);
    this.selected = event ? eventId : null;
    this.inspect.hidden = !event;
    if (event) {
      this.rows.get(eventId)?.classList.add("selected");
      this.inspect.textContent = JSON.stringify(event, null, 2);
    }
  }

  row(event) {
    let row = this.rows.get(event.id);
    if (row === undefined) {
      const received = millis(event.received_at);
      const second =
        this.columns === "node"
          ? el("td", {},
              el("a", {
                href: `#/node/${event.node_id}`,
                title: event.node_id,
                textContent: nodeLabel(this.network.nodes.get(event.node_id), event.node_id),
              }))
          : el("td", { className: "num", textContent: String(event.event_id) });
      const text = summary(dataOf(event));
      row = el(
        "tr",
        { dataset: { eventId: event.id, eventType: event.event_type, nodeId: event.node_id } },
        el("td", { textContent: clock(received), title: `node time ${event.timestamp}` }),
        second,
        el("td", { textContent: this.catalog.name(event.event_type), title: `type ${event.event_type}` }),
        el("td", { textContent: text, title: text }),
      );
      if (event.id === this.selected) row.classList.add("selected");
    }
    return row;
  }

  draw() {
    if (this.paused) {
      this.note.textContent = `paused: ${this.missed} new`;
      return;
    }
    if (!this.changed) return;
    this.changed = false;
    if (this.events.length > this.cap) this.events.length = this.cap;
    const rows = new Map();
    for (const event of this.events) rows.set(event.id, this.row(event));
    this.rows = rows;
    this.shown = new Map(this.events.map((event) => [event.id, event]));
    this.body.replaceChildren(...rows.values());
    this.note.textContent = this.events.length
      ? `newest ${this.events.length} (at most ${this.cap})`
      : "no events yet";
  }
}
