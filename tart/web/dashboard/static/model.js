// What the page knows about the network: the protocol's event catalog (from the server), the
// nodes (from /api/nodes, kept current by the live stream) and recent event rates.

import { millis } from "./format.js";

/** GET /api/event-types: event names and the spec's sections (categories) they are under. */
export class Catalog {
  constructor(answer) {
    // Sections the spec has not written yet have no events to show.
    this.categories = answer.categories.filter((category) => category.event_types.length);
    this.types = new Map(answer.event_types.map((type) => [type.event_type, type]));
    this.categoryOf = new Int16Array(256).fill(-1);
    this.categories.forEach((category, index) => {
      for (const type of category.event_types) this.categoryOf[type] = index;
    });
    this.categoryIndex = new Map(this.categories.map((category, index) => [category.key, index]));
    const named = (name) => answer.event_types.find((type) => type.event_name === name).event_type;
    this.bestBlockChanged = named("BestBlockChanged");
    this.finalizedBlockChanged = named("FinalizedBlockChanged");
  }

  name(eventType) {
    const type = this.types.get(eventType);
    return type ? type.event_name : `Unknown (${eventType})`;
  }
}

// Events per second: live events as they reach the page, counted per second over this window
// (the second under way is not complete). Replayed events are not: they are not arriving now.
const RATE_WINDOW_S = 5;

export class Network {
  constructor(catalog) {
    this.catalog = catalog;
    this.nodes = new Map();
    this.perSecond = new Map();
    this.version = 0; // bumped when nodes come or go, for lists of nodes to rebuild
    this.decodeErrors = null; // {total, rate}
    this.countingFrom = Date.now();
    this.lastStats = null;
  }

  node(nodeId) {
    let node = this.nodes.get(nodeId);
    if (node === undefined) {
      node = {
        id: nodeId,
        name: null,
        version: null,
        connected: false,
        best: null,
        finalized: null,
        events: 0,
        lastSeen: null,
        // Set when a live event moved the block: /api/nodes, which trails by a second, must
        // not move it back.
        liveBest: false,
        liveFinalized: false,
      };
      this.nodes.set(nodeId, node);
      this.version += 1;
    }
    return node;
  }

  /** The answer of GET /api/nodes. Returns whether a node was new. */
  applyNodes(list) {
    const before = this.version;
    for (const item of list) {
      const node = this.node(item.node_id);
      node.name = item.implementation_name;
      node.version = item.implementation_version;
      node.connected = item.is_connected;
      // Counters trail the events by about a second: never go back on what the stream showed.
      node.events = Math.max(node.events, item.event_count);
      node.lastSeen = Math.max(node.lastSeen ?? 0, millis(item.last_seen_at) ?? 0) || null;
      if (!node.liveBest) node.best = item.best_block.slot;
      if (!node.liveFinalized) node.finalized = item.finalized_block.slot;
    }
    return this.version !== before;
  }

  /** After events were missed (a replay cut short), the database is the better judge. */
  forgetLiveBlocks() {
    for (const node of this.nodes.values()) node.liveBest = node.liveFinalized = false;
  }

  /** One event of the stream (`replayed`: missed while away). Returns whether its node was
   * known to the page. */
  applyEvent(event, receivedMs, replayed) {
    if (!replayed) {
      const second = Math.floor(Date.now() / 1000);
      this.perSecond.set(second, (this.perSecond.get(second) || 0) + 1);
    }
    const known = this.nodes.has(event.node_id);
    const node = this.node(event.node_id);
    node.events += 1;
    if (receivedMs > (node.lastSeen ?? 0)) node.lastSeen = receivedMs;
    if (event.event_type === this.catalog.bestBlockChanged) {
      node.best = Object.values(event.event)[0].slot;
      node.liveBest = true;
    } else if (event.event_type === this.catalog.finalizedBlockChanged) {
      node.finalized = Object.values(event.event)[0].slot;
      node.liveFinalized = true;
    }
    return known;
  }

  /** The `stats` message of /api/ws (every 5 s): decode errors come only this way. */
  applyStats(data, serverMs) {
    const total = data.database.decode_errors;
    const last = this.lastStats;
    const rate =
      last && serverMs > last.at ? Math.max(0, total - last.total) / ((serverMs - last.at) / 1000) : null;
    this.decodeErrors = { total, rate };
    this.lastStats = { total, at: serverMs };
    const connected = new Set(data.connections.nodes);
    for (const node of this.nodes.values()) node.connected = connected.has(node.id);
  }

  /** Events per second reaching the page lately; null until it has followed the stream for
   * long enough to know. */
  eventRate() {
    const end = Math.floor(Date.now() / 1000);
    if ((end - RATE_WINDOW_S) * 1000 < this.countingFrom) return null;
    let events = 0;
    for (let second = end - RATE_WINDOW_S; second < end; second += 1) {
      events += this.perSecond.get(second) || 0;
    }
    for (const second of this.perSecond.keys()) {
      if (second < end - 60) this.perSecond.delete(second);
    }
    return events / RATE_WINDOW_S;
  }

  totals() {
    let connected = 0;
    let best = null;
    let finalized = null;
    let events = 0;
    for (const node of this.nodes.values()) {
      if (node.connected) connected += 1;
      if (node.best != null && (best == null || node.best > best)) best = node.best;
      if (node.finalized != null && (finalized == null || node.finalized > finalized)) {
        finalized = node.finalized;
      }
      events += node.events;
    }
    return { connected, total: this.nodes.size, best, finalized, events };
  }

  /** Nodes sorted for a list: by implementation name, then id. */
  sortedNodes() {
    return [...this.nodes.values()].sort(
      (a, b) => (a.name || "").localeCompare(b.name || "") || a.id.localeCompare(b.id),
    );
  }
}
